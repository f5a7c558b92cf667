//! The person as a labeler: queries cross to the window over channels, answers come back.
//! No drawing here, so headless builds have it too.

use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::Sender;

use super::answer::{Answer, Labeler, Who};
use crate::clip::Clip;

/// A query on its way to the person, with the way back for the answer.
pub struct ViewerQuery {
    pub left: Arc<Clip>,
    pub right: Arc<Clip>,
    pub reply: Sender<Answer>,
    pub shown: Instant,
}

/// The labeler side of the viewer: `answer` hands the clips to the window and waits for the
/// person. Runs on the pipeline's labeler thread, never on the window's.
pub struct HumanLabeler {
    pub queries: Sender<ViewerQuery>,
    /// The name answers are recorded under.
    pub name: String,
}

impl Labeler for HumanLabeler {
    fn answer(&mut self, left: &Clip, right: &Clip) -> Option<Answer> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        let q = ViewerQuery { left: Arc::new(left.clone()), right: Arc::new(right.clone()), reply, shown: Instant::now() };
        self.queries.send(q).ok()?;
        // None when the window has closed.
        answer.recv().ok()
    }

    fn who(&self) -> Who {
        Who::person(&self.name)
    }
}

/// What the training side reports for the HUD.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainingStatus {
    pub phase: TrainingPhase,
    pub comparisons: usize,
    pub budget: usize,
    pub reward_val_accuracy: Option<f32>,
    /// Held-out comparisons behind that accuracy.
    pub reward_val_pairs: usize,
    pub iteration: u64,
    pub env_steps: u64,
    pub success_rate: Option<f32>,
    /// The latest episode of the current policy, to watch (with P).
    pub policy_episode: Option<Arc<Clip>>,
    pub policy_flips: usize,
}

/// What training is doing, for the window to say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrainingPhase {
    /// Asking the comparisons before RL starts (or nothing known yet).
    #[default]
    Starting,
    /// Exploring before the first comparisons (prefs.explore_steps), until this many env steps.
    Exploring { until_steps: u64 },
    Training,
    /// RL waits for answers: it is ahead of the schedule by its margin, and needs this many
    /// comparisons answered in all to go on.
    WaitingForAnswers { needed: usize },
    /// Training is not running: it reached its steps (`finished`) or stopped before.
    Ended { finished: bool },
}

/// Fewest held-out comparisons behind an accuracy worth showing as a percentage.
pub const MIN_VAL_PAIRS: usize = 20;

/// The window's side of a human-labelled run: where queries arrive, where undos go, where
/// the training status comes from.
pub struct ViewerLink {
    pub queries: crossbeam_channel::Receiver<ViewerQuery>,
    pub withdraw: Option<Sender<(String, String)>>,
    pub status: Option<crossbeam_channel::Receiver<TrainingStatus>>,
}

/// The training side of a human-labelled run.
pub struct TrainerLink {
    pub labeler: HumanLabeler,
    pub withdraw: crossbeam_channel::Receiver<(String, String)>,
    pub status: Sender<TrainingStatus>,
}

/// Both ends, connected; answers are recorded under `name`.
pub fn link(name: &str) -> (ViewerLink, TrainerLink) {
    let (q_tx, q_rx) = crossbeam_channel::unbounded();
    let (w_tx, w_rx) = crossbeam_channel::unbounded();
    let (s_tx, s_rx) = crossbeam_channel::unbounded();
    (
        ViewerLink { queries: q_rx, withdraw: Some(w_tx), status: Some(s_rx) },
        TrainerLink { labeler: HumanLabeler { queries: q_tx, name: name.to_owned() }, withdraw: w_rx, status: s_tx },
    )
}
