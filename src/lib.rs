//! backflip: learning a Hopper backflip from preferences (Christiano et al. 2017), in Rust.

pub mod bench;
pub mod cli;
pub mod clip;
pub mod commands;
pub mod compare;
pub mod device;
pub mod episode;
pub mod eval;
pub mod experiment;
pub mod fsutil;
pub mod hopper_env;
pub mod metrics;
pub mod plot;
pub mod ppo;
pub mod prefs;
pub mod reward;
pub mod rollout;
pub mod run;
pub mod scene;
pub mod settings;
pub mod stop;
pub mod sim;
pub mod task;
pub mod train;
#[cfg(feature = "viewer")]
pub mod viewer;
