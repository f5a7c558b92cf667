//! Proximal policy optimisation with burn: config, networks, normalisers, GAE, the trainer.

pub mod config;
pub mod gae;
pub mod model;
pub mod normalize;
pub mod trainer;

pub use config::{Activation, PpoConfig};
pub use model::{Agent, AgentConfig};
pub use trainer::{EnvStep, IterationStats, Ppo, PpoEnv, PpoState};
