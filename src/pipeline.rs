//! Learning from preferences: the stages on threads, joined by crossbeam channels.
//!
//! ```text
//! main thread:  PPO on the newest reward snapshot --clips, wanted count--> selector
//! selector:     saves clips, picks pairs (disagreement) ------------------> labeler
//! labeler:      oracle or person answers ---------------------------------> trainer
//! recorder:     appends each answer to comparisons.jsonl (fsync) at once ---> trainer
//! trainer:      trains the ensemble on the answers in force ----------------> main (snapshot)
//! ```
//! With a person as labeler no stage waits on another except through a channel: a slow or
//! silent labeler only means fewer answers, never a stalled PPO loop. With a scripted labeler
//! the main thread runs the stages in lockstep (`Stages::settle`, `Stages::request_round`), so
//! that a seed gives one run: every query is answered before PPO goes on, and each reward
//! round trains on a fixed set of answers and reaches PPO at a fixed iteration.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::clip::{Clip, ClipStep};
use crate::oracle::{Answer, ClipScore, Teacher, TeacherConfig};
use crate::prefs::{ComparisonStore, Labeler as Who};
use crate::reward::{LabeledPair, QueryMode, RewardConfig, RewardEnsemble, RewardSnapshot, RewardStats, select_pairs};
use crate::task::Task;

/// What the comparisons asked before RL starts are about.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum InitialClips {
    /// The initial policy (small action noise around its initial mean).
    #[default]
    Policy,
    /// Uniform random torques: more varied clips. Measured better for hop forward, worse for
    /// the backflip (README, "Measured").
    Random,
}

/// Settings of learning from preferences, saved in run.json.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PrefConfig {
    /// Total comparisons to ask for.
    pub comparisons: usize,
    pub teacher: TeacherConfig,
    pub queries: QueryMode,
    pub reward: RewardConfig,
    /// Share of the budget asked before RL starts...
    pub initial_share: f32,
    /// ...and the clips it is asked about.
    #[serde(default)]
    pub initial_clips: InitialClips,
    /// Epochs of reward training on the initial comparisons, and per later round.
    pub pretrain_epochs: usize,
    pub epochs_per_round: usize,
    /// A trainer round starts once this many new answers have arrived.
    pub answers_per_round: usize,
    /// With a scripted labeler (lockstep) a reward round trains while PPO runs on, and PPO
    /// takes up its snapshot a fixed number of iterations after asking for it (waiting there
    /// if the round is not done): at least `round_lag_iterations`, and more for a longer round,
    /// one iteration per `round_pair_epochs_per_iteration` pairs trained on in all (pairs x
    /// epochs), the trainer's pace beside PPO on 2 cores. A fixed schedule, so a seed gives
    /// one run; see `PrefConfig::round_lag`.
    #[serde(default = "default_round_lag")]
    pub round_lag_iterations: u64,
    #[serde(default = "default_round_pace")]
    pub round_pair_epochs_per_iteration: f64,
}

fn default_round_lag() -> u64 {
    PrefConfig::default().round_lag_iterations
}

fn default_round_pace() -> f64 {
    PrefConfig::default().round_pair_epochs_per_iteration
}

impl Default for PrefConfig {
    fn default() -> Self {
        PrefConfig {
            comparisons: 1000,
            teacher: TeacherConfig::humanlike(),
            queries: QueryMode::Disagreement,
            reward: RewardConfig::default(),
            initial_share: 0.25,
            initial_clips: InitialClips::Policy,
            pretrain_epochs: 100,
            epochs_per_round: 10,
            answers_per_round: 16,
            round_lag_iterations: 8,
            round_pair_epochs_per_iteration: 32.0,
        }
    }
}

impl PrefConfig {
    /// Comparisons that should have been asked for after `t` env steps of RL, out of `total`:
    /// the initial share, then a rate proportional to 2e6 / (t + 2e6), spent by the end.
    pub fn asked_by(&self, t: u64, total: u64) -> usize {
        let initial = (self.comparisons as f32 * self.initial_share).round() as usize;
        let rest = (self.comparisons - initial) as f64;
        let integral = |t: f64| 2e6 * (1.0 + t / 2e6).ln();
        let share = integral(t as f64) / integral(total.max(1) as f64);
        initial + (rest * share.min(1.0)).round() as usize
    }

    pub fn initial(&self) -> usize {
        (self.comparisons as f32 * self.initial_share).round() as usize
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        use crate::settings::check::*;
        at_least("comparisons", self.comparisons as u64, 1)?;
        within("prefs.initial_share", self.initial_share as f64, 0.0, 1.0, false)?;
        anyhow::ensure!(
            self.initial() >= 1,
            "comparisons: {} comparisons leave none to ask before RL starts ({}% of them); ask for more",
            self.comparisons,
            self.initial_share * 100.0
        );
        self.teacher.validate()?;
        self.reward.validate()?;
        at_least("prefs.pretrain_epochs", self.pretrain_epochs as u64, 1)?;
        at_least("prefs.epochs_per_round", self.epochs_per_round as u64, 1)?;
        at_least("prefs.answers_per_round", self.answers_per_round as u64, 1)?;
        positive("prefs.round_pair_epochs_per_iteration", self.round_pair_epochs_per_iteration)?;
        Ok(())
    }

    /// PPO iterations from asking for a round of `epochs` epochs with `answered` comparisons in
    /// force to taking up its snapshot (lockstep).
    pub fn round_lag(&self, answered: usize, epochs: usize) -> u64 {
        let train_pairs = answered as f64 * (1.0 - self.reward.holdout as f64);
        let pace = (train_pairs * epochs as f64 / self.round_pair_epochs_per_iteration).ceil() as u64;
        pace.max(self.round_lag_iterations).max(1)
    }
}

/// Who answers queries. The oracle is one; the desktop viewer will be another. `answer` may
/// block for as long as it needs; `None` means the labeler has stopped.
pub trait Labeler: Send {
    fn answer(&mut self, left: &Clip, right: &Clip) -> Option<Answer>;
    fn who(&self) -> Who;
    /// A scripted labeler answers at once and reproducibly, so the run waits for it (lockstep);
    /// a person is never waited on.
    fn scripted(&self) -> bool {
        false
    }
}

/// The scripted teacher as a labeler: scores each clip with the task's judge or true return.
pub struct OracleLabeler {
    pub teacher: Teacher,
    pub task: Task,
}

impl OracleLabeler {
    fn score(&self, clip: &Clip) -> ClipScore {
        let infos = clip.infos();
        let actions: Vec<&[f32]> = clip.steps.iter().map(|s| s.action.as_slice()).collect();
        // Per-step scores are only read by the myopic teacher.
        let per_step = if self.teacher.config.kind == crate::oracle::TeacherKind::Myopic {
            (0..infos.len()).map(|k| self.task.clip_score(&infos[k..=k], &actions[k..=k])).collect()
        } else {
            Vec::new()
        };
        ClipScore { total: self.task.clip_score(&infos, &actions), per_step }
    }
}

impl Labeler for OracleLabeler {
    fn answer(&mut self, left: &Clip, right: &Clip) -> Option<Answer> {
        let (l, r) = (self.score(left), self.score(right));
        Some(self.teacher.answer(&l, &r))
    }

    fn who(&self) -> Who {
        Who::Teacher(self.teacher.config.clone())
    }

    fn scripted(&self) -> bool {
        true
    }
}

/// A question for the labeler.
pub struct Query {
    pub left: Arc<Clip>,
    pub right: Arc<Clip>,
    pub asked: Instant,
}

enum SelectorMsg {
    Clips(Vec<Clip>),
    Want(usize),
    Snapshot(RewardSnapshot),
    /// Replies with the number of queries sent so far, once every earlier message is handled.
    Settle(Sender<usize>),
}

/// A reward-training round the main thread asks for (lockstep): train once `answered`
/// comparisons are in force, for `epochs` epochs.
struct Round {
    answered: usize,
    epochs: usize,
}

/// What the trainer tells the main thread.
pub enum TrainerEvent {
    Snapshot(RewardSnapshot, RewardStats),
    Answered(usize),
    Error(String),
}

/// The running stages; dropping it closes the channels and the threads finish.
pub struct Stages {
    to_selector: Sender<SelectorMsg>,
    to_trainer: Sender<Round>,
    pub from_trainer: Receiver<TrainerEvent>,
    /// The labeler is scripted: the main thread drives the stages in lockstep.
    pub lockstep: bool,
    /// Withdraws the answer to the query with these clip ids (undo): the store appends a
    /// withdrawal. It may be sent before the answer reaches the store; it waits for it.
    pub withdraw: Sender<(String, String)>,
}

/// (observation, action) rows of a clip, the reward model's input.
pub fn clip_rows(clip: &Clip) -> Vec<f32> {
    clip.steps.iter().flat_map(|s| s.obs.iter().chain(&s.action).copied()).collect()
}

fn target(answer: Answer) -> Option<f32> {
    match answer {
        Answer::Left => Some(1.0),
        Answer::Right => Some(0.0),
        Answer::Equal => Some(0.5),
        Answer::CantTell => None,
    }
}

/// Whether comparison `id` is held out for validation: a fixed share, decided by its id.
fn held_out(id: u64, share: f32, seed: u64) -> bool {
    let h = crate::sim::episode_seed(seed, 7, id);
    (h >> 11) as f64 / (1u64 << 53) as f64 <= share as f64
}

pub struct StageSetup {
    pub run_dir: PathBuf,
    pub config: PrefConfig,
    pub d_input: usize,
    pub clip_steps: usize,
    pub device: burn::prelude::Device,
    pub seed: u64,
    /// Where undos come from (the viewer); None makes a channel of its own.
    pub withdraw: Option<Receiver<(String, String)>>,
}

/// Starts the selector, labeler and trainer threads. Comparisons already in the store (a
/// resumed run) are trained on first.
pub fn start(setup: StageSetup, labeler: Box<dyn Labeler>) -> anyhow::Result<Stages> {
    let clip_dir = setup.run_dir.join("clips");
    std::fs::create_dir_all(&clip_dir).with_context(|| format!("{}: cannot create", clip_dir.display()))?;
    let (store, corrupt) = ComparisonStore::open(&setup.run_dir.join("comparisons.jsonl"))?;
    for c in &corrupt {
        eprintln!("warning: {}:{}: skipped a corrupt line: {}", store.path().display(), c.line, c.reason);
    }
    let (to_selector, selector_rx) = unbounded::<SelectorMsg>();
    let (query_tx, query_rx) = bounded::<Query>(4);
    let (answer_tx, answer_rx) = unbounded::<(Query, Answer, u64)>();
    let (event_tx, from_trainer) = unbounded::<TrainerEvent>();
    let (withdraw, own_withdraw_rx) = unbounded::<(String, String)>();
    let withdraw_rx = setup.withdraw.clone().unwrap_or(own_withdraw_rx);

    let seed = setup.seed;
    let (steps, mode) = (setup.clip_steps, setup.config.queries);
    let dir = clip_dir.clone();
    std::thread::Builder::new().name("selector".into()).spawn(move || selector(selector_rx, query_tx, dir, steps, mode, seed))?;
    let who = labeler.who();
    let lockstep = labeler.scripted();
    std::thread::Builder::new().name("labeler".into()).spawn(move || labeler_loop(labeler, query_rx, answer_tx))?;
    let ensemble = RewardEnsemble::new(setup.config.reward.clone(), setup.d_input, &setup.device, seed);
    let existing = store.comparisons().to_vec();
    let (to_trainer, rounds) = unbounded::<Round>();
    let (change_tx, change_rx) = unbounded::<StoreChange>();
    let events = event_tx.clone();
    std::thread::Builder::new()
        .name("recorder".into())
        .spawn(move || recorder(store, who, answer_rx, withdraw_rx, change_tx, events))?;
    std::thread::Builder::new().name("reward-trainer".into()).spawn(move || {
        // A panic in training becomes an error the main thread reports, never a silent wait.
        let events = event_tx.clone();
        let rounds = lockstep.then_some(rounds);
        let run = std::panic::AssertUnwindSafe(|| trainer(existing, clip_dir, ensemble, setup.config, seed, change_rx, event_tx, rounds));
        if std::panic::catch_unwind(run).is_err() {
            let _ = events.send(TrainerEvent::Error("the reward trainer panicked".into()));
        }
    })?;
    Ok(Stages { to_selector, to_trainer, from_trainer, lockstep, withdraw })
}

impl Stages {
    pub fn offer_clips(&self, clips: Vec<Clip>) {
        let _ = self.to_selector.send(SelectorMsg::Clips(clips));
    }

    pub fn want(&self, n: usize) {
        let _ = self.to_selector.send(SelectorMsg::Want(n));
    }

    /// Hands the selector the reward model PPO now trains on (it picks queries by it).
    pub fn use_snapshot(&self, snapshot: RewardSnapshot) {
        let _ = self.to_selector.send(SelectorMsg::Snapshot(snapshot));
    }

    /// Waits until the selector has handled everything sent to it; returns the number of
    /// queries it has sent so far (0 if it has stopped).
    pub fn settle(&self) -> usize {
        let (tx, rx) = bounded(1);
        if self.to_selector.send(SelectorMsg::Settle(tx)).is_err() {
            return 0;
        }
        rx.recv().unwrap_or(0)
    }

    /// Lockstep: asks for a reward-training round once `answered` comparisons are in force.
    pub fn request_round(&self, answered: usize, epochs: usize) {
        let _ = self.to_trainer.send(Round { answered, epochs });
    }
}

/// Keeps a pool of recent candidate clips and turns wanted counts into queries.
fn selector(rx: Receiver<SelectorMsg>, queries: Sender<Query>, clip_dir: PathBuf, steps: usize, mode: QueryMode, seed: u64) {
    const POOL: usize = 200;
    let mut pool: Vec<(Arc<Clip>, Vec<f32>)> = Vec::new();
    let mut snapshot: Option<RewardSnapshot> = None;
    let mut want = 0usize;
    let mut issued = 0usize;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5E1E_C700);
    while let Ok(msg) = rx.recv() {
        match msg {
            SelectorMsg::Settle(reply) => {
                let _ = reply.send(issued);
                continue;
            }
            SelectorMsg::Clips(clips) => {
                for c in clips.into_iter().filter(|c| c.steps.len() == steps) {
                    let rows = clip_rows(&c);
                    pool.push((Arc::new(c), rows));
                }
                let excess = pool.len().saturating_sub(POOL);
                pool.drain(..excess);
            }
            SelectorMsg::Want(n) => want += n,
            SelectorMsg::Snapshot(s) => snapshot = Some(s),
        }
        if want == 0 || pool.len() < 2 {
            continue;
        }
        let rows: Vec<&[f32]> = pool.iter().map(|(_, r)| r.as_slice()).collect();
        let picked = select_pairs(snapshot.as_ref(), &rows, steps, want, mode, &mut rng);
        let mut used = Vec::new();
        for (a, b) in picked {
            let (left, right) = (pool[a].0.clone(), pool[b].0.clone());
            // A clip is saved before it is ever asked about.
            let saved = [&left, &right].iter().all(|c| {
                let path = clip_dir.join(format!("{}.clip", c.id));
                path.exists() || c.save(&path).is_ok()
            });
            if !saved || queries.send(Query { left, right, asked: Instant::now() }).is_err() {
                return;
            }
            want -= 1;
            issued += 1;
            used.extend([a, b]);
        }
        // A clip is asked about once: drop the used ones from the pool.
        used.sort_unstable();
        used.dedup();
        for i in used.into_iter().rev() {
            pool.swap_remove(i);
        }
    }
}

fn labeler_loop(mut labeler: Box<dyn Labeler>, queries: Receiver<Query>, answers: Sender<(Query, Answer, u64)>) {
    while let Ok(q) = queries.recv() {
        let Some(answer) = labeler.answer(&q.left, &q.right) else { return };
        let ms = q.asked.elapsed().as_millis() as u64;
        if answers.send((q, answer, ms)).is_err() {
            return;
        }
    }
}

/// What the recorder tells the trainer about the store.
enum StoreChange {
    Added { id: u64, answer: Answer, left: Arc<Clip>, right: Arc<Clip> },
    Withdrawn(u64),
}

/// Owns the comparison store: writes and fsyncs each answer as soon as it arrives (so an answer
/// never waits on a training round to count), applies withdrawals, and tells the trainer.
fn recorder(
    mut store: ComparisonStore,
    who: Who,
    answers: Receiver<(Query, Answer, u64)>,
    withdraw: Receiver<(String, String)>,
    to_trainer: Sender<StoreChange>,
    events: Sender<TrainerEvent>,
) {
    // Withdrawals whose answer has not reached the store yet.
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut labeler_done = false;
    loop {
        match answers.recv_timeout(Duration::from_millis(100)) {
            Ok((q, answer, ms)) => match store.record(&q.left.id, &q.right.id, answer, who.clone(), ms) {
                Ok(c) => {
                    let _ = events.send(TrainerEvent::Answered(store.len()));
                    let _ = to_trainer.send(StoreChange::Added { id: c.id, answer, left: q.left, right: q.right });
                }
                Err(e) => {
                    let _ = events.send(TrainerEvent::Error(format!("{e:#}")));
                    return;
                }
            },
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => labeler_done = true,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
        }
        let mut undo_done = false;
        loop {
            match withdraw.try_recv() {
                Ok(ids) => pending.push(ids),
                Err(crossbeam_channel::TryRecvError::Empty) => break,
                Err(crossbeam_channel::TryRecvError::Disconnected) => {
                    undo_done = true;
                    break;
                }
            }
        }
        let mut kept = Vec::new();
        for (l, r) in std::mem::take(&mut pending) {
            let found = store.comparisons().iter().rev().find(|c| c.left == l && c.right == r).map(|c| c.id);
            let Some(id) = found else {
                kept.push((l, r));
                continue;
            };
            if let Err(e) = store.withdraw(id) {
                let _ = events.send(TrainerEvent::Error(format!("{e:#}")));
                return;
            }
            let _ = events.send(TrainerEvent::Answered(store.len()));
            let _ = to_trainer.send(StoreChange::Withdrawn(id));
        }
        pending = kept;
        if labeler_done && (undo_done || pending.is_empty()) {
            return;
        }
        if labeler_done {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The answers the trainer trains on: each comparison in force with a target, by store id.
struct TrainingSet {
    pairs: Vec<LabeledPair>,
    /// The store id of each pair, to drop it again on a withdrawal.
    ids: Vec<u64>,
    /// Comparisons in force, "can't tell" included.
    in_force: usize,
    holdout: f32,
    seed: u64,
}

impl TrainingSet {
    fn push(&mut self, id: u64, answer: Answer, left: Arc<Vec<f32>>, right: Arc<Vec<f32>>) -> bool {
        self.in_force += 1;
        let Some(target) = target(answer) else { return false };
        self.pairs.push(LabeledPair { left, right, target, validation: held_out(id, self.holdout, self.seed) });
        self.ids.push(id);
        true
    }

    /// Applies one change of the store; returns whether it added a pair to train on.
    fn apply(&mut self, change: StoreChange) -> bool {
        match change {
            StoreChange::Added { id, answer, left, right } => {
                self.push(id, answer, Arc::new(clip_rows(&left)), Arc::new(clip_rows(&right)))
            }
            StoreChange::Withdrawn(id) => {
                self.in_force = self.in_force.saturating_sub(1);
                if let Some(i) = self.ids.iter().position(|&p| p == id) {
                    self.ids.remove(i);
                    self.pairs.remove(i);
                }
                false
            }
        }
    }
}

/// Trains the ensemble on the comparisons in force and publishes each new snapshot: by itself
/// once `answers_per_round` new answers are in, or, in lockstep (`rounds`), when asked.
#[allow(clippy::too_many_arguments)] // a thread's whole world, passed once at spawn
fn trainer(
    existing: Vec<crate::prefs::Comparison>,
    clip_dir: PathBuf,
    mut ensemble: RewardEnsemble,
    config: PrefConfig,
    seed: u64,
    changes: Receiver<StoreChange>,
    events: Sender<TrainerEvent>,
    rounds: Option<Receiver<Round>>,
) {
    let mut set = TrainingSet { pairs: Vec::new(), ids: Vec::new(), in_force: 0, holdout: config.reward.holdout, seed };
    // Answers already in the store (a resumed run), with their clips from disk.
    let mut clips: HashMap<String, Arc<Vec<f32>>> = HashMap::new();
    let mut load = |id: &str| -> anyhow::Result<Arc<Vec<f32>>> {
        if let Some(r) = clips.get(id) {
            return Ok(r.clone());
        }
        let rows = Arc::new(clip_rows(&Clip::load(&clip_dir.join(format!("{id}.clip")))?));
        clips.insert(id.to_owned(), rows.clone());
        Ok(rows)
    };
    for c in &existing {
        match (load(&c.left), load(&c.right)) {
            (Ok(left), Ok(right)) => {
                set.push(c.id, c.answer, left, right);
            }
            (Err(e), _) | (_, Err(e)) => {
                set.in_force += 1;
                let _ = events.send(TrainerEvent::Error(format!("comparison {}: {e}", c.id)));
            }
        }
    }
    let mut version = 0;
    let mut publish = |set: &TrainingSet, epochs: usize| {
        let recent: Vec<f32> = set.pairs.iter().rev().take(64).flat_map(|p| p.left.iter().chain(p.right.iter()).copied()).collect();
        let stats = ensemble.train(&set.pairs, epochs, &recent);
        version += 1;
        let _ = events.send(TrainerEvent::Snapshot(ensemble.snapshot(version), stats));
    };
    if let Some(rounds) = rounds {
        // Lockstep: each round trains on exactly the answers the main thread counted.
        while let Ok(round) = rounds.recv() {
            while set.in_force < round.answered {
                let Ok(change) = changes.recv() else { return };
                set.apply(change);
            }
            publish(&set, round.epochs);
        }
        return;
    }
    let mut fresh = 0usize;
    let mut trained_once = false;
    if set.pairs.len() >= config.initial().max(1) {
        publish(&set, config.pretrain_epochs);
        trained_once = true;
    }
    loop {
        // Wait for a change, then take every change that is in before training.
        let first = match changes.recv_timeout(Duration::from_millis(500)) {
            Ok(c) => Some(c),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => None,
        };
        for change in first.into_iter().chain(changes.try_iter()) {
            if set.apply(change) {
                fresh += 1;
            }
        }
        if !trained_once && set.in_force >= config.initial() && !set.pairs.is_empty() {
            publish(&set, config.pretrain_epochs);
            trained_once = true;
            fresh = 0;
        } else if trained_once && fresh >= config.answers_per_round {
            publish(&set, config.epochs_per_round);
            fresh = 0;
        }
    }
}

/// Path of a run's comparison store.
pub fn store_path(run: &Path) -> PathBuf {
    run.join("comparisons.jsonl")
}

/// Builds clips from the steps of each environment, cutting one every `clip_steps` steps.
pub struct ClipRecorder {
    buffers: Vec<Vec<ClipStep>>,
    starts: Vec<usize>,
    clip_steps: usize,
    scene: String,
    control_dt: f32,
    counter: u64,
    prefix: String,
}

impl ClipRecorder {
    pub fn new(num_envs: usize, clip_steps: usize, scene: &crate::scene::Scene, prefix: String) -> Self {
        ClipRecorder {
            buffers: vec![Vec::new(); num_envs],
            starts: vec![0; num_envs],
            clip_steps,
            scene: scene.name.clone(),
            control_dt: scene.control_dt(),
            counter: 0,
            prefix,
        }
    }

    /// Adds one step of environment `e`; returns a finished clip when there is one.
    pub fn push(&mut self, e: usize, step: ClipStep, episode_step: usize, seed: u64, done: bool) -> Option<Clip> {
        if self.buffers[e].is_empty() {
            self.starts[e] = episode_step;
        }
        self.buffers[e].push(step);
        if self.buffers[e].len() == self.clip_steps || done {
            let steps = std::mem::take(&mut self.buffers[e]);
            self.counter += 1;
            let clip = Clip {
                id: format!("{}-{:06}", self.prefix, self.counter),
                scene: self.scene.clone(),
                seed,
                start_step: self.starts[e],
                control_dt: self.control_dt,
                steps,
            };
            return (clip.steps.len() == self.clip_steps).then_some(clip);
        }
        None
    }
}
