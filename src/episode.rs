//! Finished episodes, judged, and the one summary of many: training metrics and evaluation
//! average episodes the same way.

use serde::{Deserialize, Serialize};

use crate::sim::StepInfo;
use crate::task::{BackflipJudge, Task, full_backward_turns};

/// One finished episode, judged.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EpisodeStats {
    /// Sum of the training reward (0 where nothing was trained, as in evaluation).
    pub train_return: f32,
    /// Sum of the true reward, where the task has one.
    pub true_return: Option<f32>,
    pub clean_flips: usize,
    pub judge_score: f32,
    /// Full backward turns of the torso (each 360 degrees of backward pitch from the start).
    pub backward_turns: usize,
}

impl EpisodeStats {
    /// Judges the steps of one whole episode.
    pub fn judge(task: &Task, steps: &[StepInfo], train_return: f32, true_return: Option<f32>) -> EpisodeStats {
        let report = task.judge.evaluate(steps);
        EpisodeStats {
            train_return,
            true_return,
            clean_flips: report.clean_flips,
            judge_score: BackflipJudge::score_report(&report),
            backward_turns: full_backward_turns(steps),
        }
    }
}

/// Means over a set of episodes; None where there was no episode (or, for the true return
/// and the training return, where no episode had one).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default)]
pub struct EpisodeSummary {
    pub episodes: usize,
    /// Mean episode return of the training reward.
    pub episodic_return: Option<f32>,
    /// Mean episode return of the true reward (hop forward).
    #[serde(alias = "mean_return")]
    pub true_return: Option<f32>,
    pub backflips_per_episode: Option<f32>,
    /// Share of episodes with at least one clean backflip.
    pub success_rate: Option<f32>,
    pub judge_score: Option<f32>,
    pub backward_turns_per_episode: Option<f32>,
    /// Clean backflips per full backward turn: near 1 for a flip, low for a tumble.
    pub landings_per_turn: Option<f32>,
}

fn mean(v: impl Iterator<Item = f32>) -> Option<f32> {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| s / n as f32)
}

impl EpisodeSummary {
    pub fn of(eps: &[EpisodeStats]) -> EpisodeSummary {
        let turns: usize = eps.iter().map(|e| e.backward_turns).sum();
        let flips: usize = eps.iter().map(|e| e.clean_flips).sum();
        EpisodeSummary {
            episodes: eps.len(),
            episodic_return: mean(eps.iter().map(|e| e.train_return)),
            true_return: mean(eps.iter().filter_map(|e| e.true_return)),
            backflips_per_episode: mean(eps.iter().map(|e| e.clean_flips as f32)),
            success_rate: mean(eps.iter().map(|e| if e.clean_flips > 0 { 1.0 } else { 0.0 })),
            judge_score: mean(eps.iter().map(|e| e.judge_score)),
            backward_turns_per_episode: mean(eps.iter().map(|e| e.backward_turns as f32)),
            landings_per_turn: (turns > 0).then(|| flips as f32 / turns as f32),
        }
    }
}
