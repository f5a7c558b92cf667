//! The physics side: a rapier3d world built from a scene, one environment, many environments.

mod env;
mod turn;
mod vec_env;
mod world;

pub use env::{Env, SimError, StepInfo, wrap_angle};
pub use turn::{CLEAN_TURN_DEG, TurnRule, TurnSinceUpright, TurnSoFar, TurnStep, UPRIGHT_DEG, foot_down_limit};
pub use vec_env::{VecEnv, episode_seed};
pub use world::{BodyPose, HopperWorld, RootOffset, applied_action, pitch_of, pitch_rotation};
