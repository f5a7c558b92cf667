//! The viewer's state, apart from any drawing: the query on screen, the queue, playback, the
//! answer flash, the mode. Tested headless (tests/viewer.rs).

use std::sync::Arc;
use std::time::Instant;

use bevy::prelude::*;
use crossbeam_channel::{Receiver, Sender};

use crate::clip::Clip;
use crate::prefs::person::{MIN_VAL_PAIRS, TrainingPhase, TrainingStatus, ViewerQuery};
use crate::prefs::Answer;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Label,
    WatchPolicy,
}

/// Something the person asked for, by key or button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewerAction {
    Answer(Answer),
    Undo,
    TogglePause,
    Slower,
    Faster,
    Restart,
    ToggleWatch,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Playback {
    /// Seconds of clip time played.
    pub time: f32,
    pub paused: bool,
    pub speed: f32,
}

pub const SPEEDS: [f32; 6] = [0.125, 0.25, 0.5, 1.0, 1.5, 2.0];

#[derive(Resource)]
pub struct LabelSession {
    incoming: Receiver<ViewerQuery>,
    withdraw: Option<Sender<(String, String)>>,
    status: Option<Receiver<TrainingStatus>>,
    /// The query on screen.
    pub current: Option<ViewerQuery>,
    /// Queries received but not yet shown.
    pub queue: std::collections::VecDeque<ViewerQuery>,
    /// Answers given in this window (after undos).
    pub answered: usize,
    /// The last answers given, newest last, for undo: their clip ids, and what each added to
    /// `judged`.
    history: Vec<((String, String), (usize, usize))>,
    pub playback: Playback,
    /// The last answer and the seconds its flash has left.
    pub flash: Option<(Answer, f32)>,
    pub mode: Mode,
    pub training: TrainingStatus,
    /// The window closed its side: the labeler thread is told by the dropped replies.
    pub closed: bool,
    /// The judge, to tell the person how often they agree with it (see `you_line`).
    judge: Option<crate::task::Task>,
    /// Seconds each answer given here took, from the query appearing to the answer.
    pub answer_seconds: Vec<f32>,
    /// Strict answers on pairs the judge scores apart, and how many of those it agrees with.
    pub judged: (usize, usize),
}

impl LabelSession {
    pub fn new(incoming: Receiver<ViewerQuery>, withdraw: Option<Sender<(String, String)>>, status: Option<Receiver<TrainingStatus>>) -> Self {
        LabelSession {
            incoming,
            withdraw,
            status,
            current: None,
            queue: Default::default(),
            answered: 0,
            history: Vec::new(),
            playback: Playback { time: 0.0, paused: false, speed: 1.0 },
            flash: None,
            mode: Mode::Label,
            training: TrainingStatus::default(),
            closed: false,
            judge: None,
            answer_seconds: Vec::new(),
            judged: (0, 0),
        }
    }

    /// Tells the person how their answers compare with the task's judge.
    pub fn with_judge(mut self, task: crate::task::Task) -> Self {
        self.judge = Some(task);
        self
    }

    /// The person's own figures: answers here, median seconds each, agreement with the judge.
    pub fn you_line(&self) -> String {
        let mut secs = self.answer_seconds.clone();
        secs.sort_by(f32::total_cmp);
        let median = secs.get(secs.len() / 2).map(|s| format!("{s:.1} s")).unwrap_or_else(|| "-".into());
        let agree = match self.judged {
            (0, _) => "-".to_string(),
            (n, a) => format!("{:.0}% of {n}", 100.0 * a as f32 / n as f32),
        };
        format!("you: {} answers, median {median} each, agreement with the judge {agree}", self.answered)
    }

    /// Takes new queries and status without waiting; shows the next query if none is shown.
    pub fn poll(&mut self) {
        while let Ok(q) = self.incoming.try_recv() {
            self.queue.push_back(q);
        }
        if let Some(rx) = &self.status {
            while let Ok(mut s) = rx.try_recv() {
                // A status without an episode keeps the last one: the policy stays in view.
                if s.policy_episode.is_none() {
                    s.policy_episode = self.training.policy_episode.take();
                    s.policy_flips = self.training.policy_flips;
                }
                self.training = s;
            }
        }
        if self.current.is_none()
            && let Some(mut q) = self.queue.pop_front()
        {
            q.shown = Instant::now();
            self.current = Some(q);
            self.playback.time = 0.0;
        }
    }

    /// What the window says of the state of things, on the HUD's second line.
    pub fn state_line(&self) -> String {
        let t = &self.training;
        let training = match t.phase {
            TrainingPhase::Starting => "training starts once the first comparisons are answered".to_string(),
            TrainingPhase::Exploring { until_steps } => {
                format!("exploring before the first comparisons: {} of {until_steps} env steps", t.env_steps)
            }
            TrainingPhase::Training => "training".to_string(),
            TrainingPhase::WaitingForAnswers { needed } => {
                format!("training waits for your answers: {} more before it goes on", needed.saturating_sub(t.comparisons))
            }
            TrainingPhase::Ended { finished: true } => "training has ended: answers now are only stored; Esc closes".to_string(),
            TrainingPhase::Ended { finished: false } => "training is not running: answers are stored for when it resumes".to_string(),
        };
        let view = match (self.mode, &self.current) {
            (Mode::WatchPolicy, _) => format!("watching the policy: {} clean backflips in this episode", t.policy_flips),
            (Mode::Label, None) if t.policy_episode.is_some() => "no query waiting: showing the current policy".to_string(),
            (Mode::Label, None) => "no query waiting".to_string(),
            (Mode::Label, Some(_)) => "which clip is the better backflip?".to_string(),
        };
        format!("{view} | {training}")
    }

    /// The reward model's held-out accuracy, or why there is none worth showing.
    pub fn accuracy_text(&self) -> String {
        let t = &self.training;
        match t.reward_val_accuracy {
            Some(a) if a.is_finite() && t.reward_val_pairs >= MIN_VAL_PAIRS => {
                format!("{:.0}% of {} held out", 100.0 * a, t.reward_val_pairs)
            }
            Some(_) => format!("- (only {} held-out comparisons)", t.reward_val_pairs),
            None => "-".to_string(),
        }
    }

    /// Queries waiting, the one on screen included.
    pub fn waiting(&self) -> usize {
        self.queue.len() + usize::from(self.current.is_some())
    }

    pub fn apply(&mut self, action: ViewerAction) {
        match action {
            ViewerAction::Answer(a) => {
                if self.mode != Mode::Label {
                    return;
                }
                if let Some(q) = self.current.take() {
                    self.answer_seconds.push(q.shown.elapsed().as_secs_f32());
                    let mut judged = (0, 0);
                    if let (Some(task), Answer::Left | Answer::Right) = (&self.judge, a)
                        && let Some(agrees) = a.agrees_with_scores(task.judge.score(&q.left.infos()), task.judge.score(&q.right.infos()))
                    {
                        judged = (1, usize::from(agrees));
                    }
                    self.judged = (self.judged.0 + judged.0, self.judged.1 + judged.1);
                    self.history.push(((q.left.id.clone(), q.right.id.clone()), judged));
                    // The labeler thread may have gone (training ended): the answer is dropped.
                    let _ = q.reply.send(a);
                    self.answered += 1;
                    self.flash = Some((a, 0.6));
                    self.poll();
                }
            }
            ViewerAction::Undo => {
                if let (Some((ids, judged)), Some(tx)) = (self.history.pop(), &self.withdraw) {
                    let _ = tx.send(ids);
                    self.answer_seconds.pop();
                    self.judged = (self.judged.0 - judged.0, self.judged.1 - judged.1);
                    self.answered = self.answered.saturating_sub(1);
                    self.flash = None;
                }
            }
            ViewerAction::TogglePause => self.playback.paused = !self.playback.paused,
            ViewerAction::Slower | ViewerAction::Faster => {
                let i = SPEEDS.iter().position(|s| *s >= self.playback.speed).unwrap_or(3);
                let j = if action == ViewerAction::Slower { i.saturating_sub(1) } else { (i + 1).min(SPEEDS.len() - 1) };
                self.playback.speed = SPEEDS[j];
            }
            ViewerAction::Restart => self.playback.time = 0.0,
            ViewerAction::ToggleWatch => {
                self.mode = if self.mode == Mode::Label { Mode::WatchPolicy } else { Mode::Label };
                self.playback.time = 0.0;
            }
        }
    }

    /// Advances playback by `dt` seconds of wall time; clips loop in sync.
    pub fn tick(&mut self, dt: f32) {
        if !self.playback.paused {
            self.playback.time += dt * self.playback.speed;
        }
        if let Some((_, left)) = &mut self.flash {
            *left -= dt;
            if *left <= 0.0 {
                self.flash = None;
            }
        }
    }

    /// The clips to draw now: two in labeling, the policy's episode when watching (or when no
    /// query is waiting).
    pub fn clips(&self) -> Vec<Arc<Clip>> {
        match (&self.mode, &self.current) {
            (Mode::Label, Some(q)) => vec![q.left.clone(), q.right.clone()],
            _ => self.training.policy_episode.iter().cloned().collect(),
        }
    }

    /// The step of a clip to show at the current playback time (looping).
    pub fn frame(&self, clip: &Clip) -> usize {
        let n = clip.steps.len().max(1);
        ((self.playback.time / clip.control_dt) as usize) % n
    }
}
