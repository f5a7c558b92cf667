//! What the reward model sees of one step: the one place a step becomes a row of its input,
//! for clips (training, query selection) and for running environments (PPO's reward).

use serde::{Deserialize, Serialize};

use crate::clip::Clip;
use crate::scene::Scene;
use crate::sim::StepInfo;

/// The reward model's input for one step.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum RewardInput {
    /// The observation the action was chosen from, and the action (the paper's).
    #[default]
    ObsAction,
    /// Those, and which bodies touch the ground after the step (one 0/1 a body): what the
    /// judge counts a clean landing by, which the observation shows only indirectly.
    ObsActionContacts,
}

impl RewardInput {
    /// Numbers per row in `scene`.
    pub fn dim(self, scene: &Scene) -> usize {
        let base = scene.obs_dim() + scene.action_dim();
        match self {
            RewardInput::ObsAction => base,
            RewardInput::ObsActionContacts => base + scene.bodies.len(),
        }
    }

    /// Appends one step's row: `obs` before the step, its `action`, its `info` after it.
    pub fn push_row(self, out: &mut Vec<f32>, obs: &[f32], action: &[f32], info: &StepInfo, bodies: usize) {
        out.extend_from_slice(obs);
        out.extend_from_slice(action);
        if self == RewardInput::ObsActionContacts {
            out.extend((0..bodies).map(|b| f32::from(info.contacts >> b & 1)));
        }
    }

    /// The rows of every step of a clip recorded in a scene of `bodies` bodies.
    pub fn clip_rows(self, clip: &Clip, bodies: usize) -> Vec<f32> {
        let mut rows = Vec::new();
        for s in &clip.steps {
            self.push_row(&mut rows, &s.obs, &s.action, &s.info, bodies);
        }
        rows
    }
}
