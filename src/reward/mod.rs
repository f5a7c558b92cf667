//! The learned reward: an ensemble of MLPs trained from clip comparisons, and query selection.

pub mod ensemble;
pub mod features;
pub mod model;
pub mod novelty;
pub mod select;

pub use ensemble::{LabeledPair, RewardConfig, RewardEnsemble, RewardSnapshot, RewardStats};
pub use features::RewardInput;
pub use novelty::Novelty;
pub use select::{AnchorShare, QueryMode, SelectRule, anchor_pairs, best_answered, champion_pairs, ladder_pairs, select_pairs};
