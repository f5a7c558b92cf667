//! What the agent is asked to do: judges, true rewards, the hand-written reward.

pub mod backflip;
pub mod forward;

pub use backflip::{BackflipJudge, FlipCredit, FlipReport, HandwrittenBackflipReward, full_backward_turns};
pub use forward::{hop_forward_distance_reward, hop_forward_reward, is_healthy};

use crate::scene::{Scene, TaskKind};
use crate::sim::StepInfo;

/// The task of a scene: judges whole trajectories and gives its true per-step reward.
#[derive(Clone, Debug)]
pub struct Task {
    pub kind: TaskKind,
    pub judge: BackflipJudge,
}

impl Task {
    pub fn for_scene(scene: &Scene) -> Task {
        Task {
            kind: scene.task,
            judge: BackflipJudge::for_scene(scene),
        }
    }

    /// The true per-step reward, where the task has one (hop forward).
    pub fn true_reward(&self, now: &StepInfo, action: &[f32]) -> Option<f32> {
        match self.kind {
            TaskKind::HopForward => Some(hop_forward_reward(now, action)),
            TaskKind::Backflip => None,
        }
    }

    /// How good a clip is, by the task's own measure: the judge's score for the backflip, the
    /// true return for hop forward. The scripted teachers answer by this.
    pub fn clip_score(&self, infos: &[StepInfo], actions: &[&[f32]]) -> f32 {
        match self.kind {
            TaskKind::Backflip => self.judge.score(infos),
            TaskKind::HopForward => infos.iter().zip(actions).map(|(i, a)| hop_forward_reward(i, a)).sum(),
        }
    }

    /// Whether a clip shows what the task asks for within its own steps: a clean backflip, its
    /// landing held inside the clip (one cut by the clip's edge does not count); for hop
    /// forward, healthy throughout (the standard Hopper's health). Read by the metrics of
    /// which clips are asked about (src/prefs/stages.rs, `QueryTally`), never by a labeler.
    pub fn clip_shows_success(&self, infos: &[StepInfo]) -> bool {
        match self.kind {
            TaskKind::Backflip => self.judge.evaluate(infos).clean_flips > 0,
            TaskKind::HopForward => !infos.is_empty() && infos.iter().all(is_healthy),
        }
    }
}
