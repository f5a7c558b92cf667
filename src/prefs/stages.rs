//! The stages on threads, joined by crossbeam channels (the picture is in prefs/mod.rs).
//! With a person as labeler no stage waits on another except through a channel: a slow or
//! silent labeler only means fewer answers, never a stalled PPO loop. With a scripted labeler
//! the main thread runs the stages in lockstep (`Stages::settle`, `Stages::request_round`), so
//! that a seed gives one run: every query is answered before PPO goes on, and each reward
//! round trains on a fixed set of answers and reaches PPO at a fixed iteration.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::answer::{Answer, Labeler, Who};
use super::pg::{self, PgLink, PgTarget};
use super::schedule::PrefConfig;
use super::store::{Comparison, ComparisonStore, StoreLine};
use super::trainer::{Choices, NewEnsemble, Round, StoreChange, TrainerEvent, trainer};
use crate::clip::{Clip, ClipDir};
use crate::reward::{AnchorShare, QueryMode, RewardEnsemble, RewardInput, RewardSnapshot, SelectRule, anchor_pairs, best_answered, champion_pairs, ladder_pairs, select_pairs};
use crate::task::Task;

/// A question for the labeler.
pub struct Query {
    pub left: Arc<Clip>,
    pub right: Arc<Clip>,
}

enum SelectorMsg {
    Clips(Vec<Clip>),
    Want(usize),
    /// The model PPO now trains on, and what its answers chose (the ladder's rungs, the anchors'
    /// candidates, the latest answers' "equal" share).
    Snapshot(RewardSnapshot, Arc<Choices>),
    /// Replies with the number of queries sent so far, once every earlier message is handled.
    Settle(Sender<usize>),
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
    /// What the selector has asked so far (in lockstep, settled once `settle` returns).
    tally: Arc<Mutex<QueryTally>>,
    /// Dropped with the stages: tells the PostgreSQL watcher to stop.
    _stop: Sender<()>,
}

/// Where a run's answers and clips are kept.
#[derive(Clone, Debug)]
pub enum Backend {
    /// The run folder: comparisons.jsonl (appended, fsynced) and clips/ID.clip.
    Folder { store: PathBuf, clips: ClipDir },
    /// PostgreSQL: labelers anywhere claim the queries posted there (src/prefs/pg.rs).
    Postgres(PgTarget),
}

impl Backend {
    /// Answers in force now.
    pub fn answered(&self) -> anyhow::Result<usize> {
        Ok(self.existing()?.len())
    }

    /// The answers in force now (for a resumed run), and, for PostgreSQL, the last line read.
    fn existing_lines(&self) -> anyhow::Result<(Vec<StoreLine>, i64)> {
        match self {
            Backend::Folder { store, .. } => {
                let (store, corrupt) = ComparisonStore::open(store)?;
                for c in &corrupt {
                    eprintln!("warning: {}:{}: skipped a corrupt line: {}", store.path().display(), c.line, c.reason);
                }
                Ok((store.comparisons().iter().cloned().map(StoreLine::Comparison).collect(), 0))
            }
            Backend::Postgres(target) => {
                let (lines, corrupt) = PgLink::waiting(target).lines_after(0)?;
                for c in &corrupt {
                    eprintln!("warning: {} run {}: line {}: skipped: {}", pg::redact(&target.url), target.run, c.line, c.reason);
                }
                let last = lines.last().map(|(s, _)| *s).unwrap_or(0);
                Ok((lines.into_iter().map(|(_, l)| l).collect(), last))
            }
        }
    }

    fn existing(&self) -> anyhow::Result<Vec<Comparison>> {
        Ok(ComparisonStore::in_force(&self.existing_lines()?.0).1)
    }
}

pub struct StageSetup {
    pub backend: Backend,
    pub config: PrefConfig,
    /// The scene the clips come from.
    pub scene: crate::scene::Scene,
    pub device: burn::prelude::Device,
    pub seed: u64,
    /// Where undos come from (the viewer); None makes a channel of its own.
    pub withdraw: Option<Receiver<(String, String)>>,
}

/// Starts the selector, labeler and trainer threads. Comparisons already in the store (a
/// resumed run) are trained on first. With PostgreSQL the labeler is optional: people at
/// other desktops answer the posted queries (`backflip label --store`).
pub fn start(setup: StageSetup, labeler: Option<Box<dyn Labeler>>) -> anyhow::Result<Stages> {
    let (to_selector, selector_rx) = unbounded::<SelectorMsg>();
    let (query_tx, query_rx) = bounded::<Query>(4);
    let (event_tx, from_trainer) = unbounded::<TrainerEvent>();
    let (withdraw, own_withdraw_rx) = unbounded::<(String, String)>();
    let withdraw_rx = setup.withdraw.clone().unwrap_or(own_withdraw_rx);
    let (change_tx, change_rx) = unbounded::<StoreChange>();
    let (stop_tx, stop_rx) = bounded::<()>(0);

    let seed = setup.seed;
    let (steps, mode) = (setup.scene.clip_steps(), setup.config.queries);
    let (input, bodies) = (setup.config.reward.input, setup.scene.bodies.len());
    let (existing_lines, last_seq) = setup.backend.existing_lines()?;
    let existing = ComparisonStore::in_force(&existing_lines).1;
    let lockstep = labeler.as_ref().is_some_and(|l| l.scripted()) && matches!(setup.backend, Backend::Folder { .. });
    let (save, load): (SaveClip, LoadClip) = match &setup.backend {
        Backend::Folder { store, clips } => {
            let clips = ClipDir::create(clips.path.clone())?;
            let events = event_tx.clone();
            let (answer_tx, answer_rx) = unbounded::<(Query, Answer, u64)>();
            let Some(labeler) = labeler else {
                anyhow::bail!("this run is labelled by a person: continue it with --labeler human (or keep it in PostgreSQL, --store)")
            };
            let who = labeler.who();
            std::thread::Builder::new().name("labeler".into()).spawn(move || labeler_loop(labeler, query_rx, answer_tx))?;
            let (store, _) = ComparisonStore::open(store)?;
            std::thread::Builder::new()
                .name("recorder".into())
                .spawn(move || recorder(store, who, answer_rx, withdraw_rx, change_tx, events))?;
            let (a, b) = (clips.clone(), clips);
            (Box::new(move |c: &Clip| a.contains(&c.id) || a.save(c).is_ok()), Box::new(move |id: &str| Ok(b.load(id)?)))
        }
        Backend::Postgres(target) => {
            let mut poster = PgLink::waiting(target);
            std::thread::Builder::new().name("poster".into()).spawn(move || {
                while let Ok(q) = query_rx.recv() {
                    if poster.post_query(&q.left.id, &q.right.id).is_err() {
                        return;
                    }
                }
            })?;
            let watch = PgLink::waiting(target);
            let (events, ids) = (event_tx.clone(), existing.iter().map(|c| c.id).collect());
            std::thread::Builder::new().name("watcher".into()).spawn(move || watcher(watch, last_seq, ids, change_tx, events, stop_rx))?;
            if let Some(labeler) = labeler {
                let (target, events) = (target.clone(), event_tx.clone());
                std::thread::Builder::new().name("labeler".into()).spawn(move || {
                    if let Err(e) = pg::serve(&target, labeler, Some(withdraw_rx)) {
                        let _ = events.send(TrainerEvent::Error(format!("{e:#}")));
                    }
                })?;
            }
            let (mut a, mut b) = (PgLink::waiting(target), PgLink::waiting(target));
            (Box::new(move |c: &Clip| a.save_clip(c).is_ok()), Box::new(move |id: &str| b.load_clip(id)))
        }
    };
    let tally = Arc::new(Mutex::new(QueryTally::default()));
    let random_share = match mode {
        QueryMode::Uniform => 1.0,
        QueryMode::Disagreement => setup.config.uniform_share as f64,
    };
    let task = Task::for_scene(&setup.scene);
    let rule = SelectRule { initial_pairs_per_clip: setup.config.initial_pairs_per_clip, candidate_pairs: setup.config.candidate_pairs };
    let (champion_share, ladder_share) = (setup.config.champion_share as f64, setup.config.ladder_share as f64);
    let anchor_share = AnchorShare::new(setup.config.anchor_share as f64, setup.config.anchor_while_equal);
    let selecting = SelectorSetup { save, steps, random_share, champion_share, ladder_share, anchor_share, rule, seed, input, bodies, task, tally: tally.clone() };
    std::thread::Builder::new().name("selector".into()).spawn(move || selector(selector_rx, query_tx, selecting))?;
    let (reward, d_input, device) = (setup.config.reward.clone(), input.dim(&setup.scene), setup.device.clone());
    // The same initialisation each time: a fit afresh starts where a resumed run's does.
    let new_ensemble: NewEnsemble = Box::new(move || RewardEnsemble::new(reward.clone(), d_input, &device, seed));
    let (to_trainer, rounds) = unbounded::<Round>();
    std::thread::Builder::new().name("reward-trainer".into()).spawn(move || {
        // A panic in training becomes an error the main thread reports, never a silent wait.
        let events = event_tx.clone();
        let rounds = lockstep.then_some(rounds);
        let run = std::panic::AssertUnwindSafe(|| trainer(existing, load, new_ensemble, setup.config, bodies, seed, change_rx, event_tx, rounds));
        if std::panic::catch_unwind(run).is_err() {
            let _ = events.send(TrainerEvent::Error("the reward trainer panicked".into()));
        }
    })?;
    Ok(Stages { to_selector, to_trainer, from_trainer, lockstep, withdraw, tally, _stop: stop_tx })
}

/// Saves a clip before it is asked about (false: it could not be saved).
type SaveClip = Box<dyn FnMut(&Clip) -> bool + Send>;
/// Loads a clip the store refers to.
pub(super) type LoadClip = Box<dyn FnMut(&str) -> anyhow::Result<Clip> + Send>;

/// PostgreSQL: reads the answers and withdrawals as labelers write them, and tells the
/// trainer and the driver, as the recorder does for the run folder. Stops when the stages do.
fn watcher(
    mut link: PgLink,
    mut seq: i64,
    mut in_force: std::collections::HashSet<u64>,
    to_trainer: Sender<StoreChange>,
    events: Sender<TrainerEvent>,
    stop: Receiver<()>,
) {
    let mut run = || -> anyhow::Result<()> {
        loop {
            let (lines, corrupt) = link.lines_after(seq)?;
            for c in corrupt {
                eprintln!("warning: run {}: store line {}: skipped: {}", link.target.run, c.line, c.reason);
                seq = seq.max(c.line as i64);
            }
            for (s, line) in lines {
                seq = s;
                match line {
                    StoreLine::Comparison(c) => {
                        let (left, right) = (Arc::new(link.load_clip(&c.left)?), Arc::new(link.load_clip(&c.right)?));
                        in_force.insert(c.id);
                        let _ = to_trainer.send(StoreChange::Added { id: c.id, answer: c.answer, left, right });
                    }
                    StoreLine::Withdrawal { id, .. } => {
                        if in_force.remove(&id) {
                            let _ = to_trainer.send(StoreChange::Withdrawn(id));
                        }
                    }
                }
                if events.send(TrainerEvent::Answered(in_force.len())).is_err() {
                    return Ok(());
                }
            }
            match stop.recv_timeout(Duration::from_millis(200)) {
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                _ => return Ok(()),
            }
        }
    };
    if let Err(e) = run() {
        let _ = events.send(TrainerEvent::Error(format!("{e:#}")));
    }
}

impl Stages {
    pub fn offer_clips(&self, clips: Vec<Clip>) {
        let _ = self.to_selector.send(SelectorMsg::Clips(clips));
    }

    pub fn want(&self, n: usize) {
        let _ = self.to_selector.send(SelectorMsg::Want(n));
    }

    /// Hands the selector the reward model PPO now trains on (it picks queries by it).
    pub fn use_snapshot(&self, snapshot: RewardSnapshot, choices: Arc<Choices>) {
        let _ = self.to_selector.send(SelectorMsg::Snapshot(snapshot, choices));
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

    /// What the selector has asked so far.
    pub fn tally(&self) -> QueryTally {
        *self.tally.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lockstep: asks for a reward-training round once `answered` comparisons are in force.
    /// With `afresh`, from a new ensemble (`prefs.refit_every`).
    pub fn request_round(&self, answered: usize, epochs: usize, afresh: bool) {
        let _ = self.to_trainer.send(Round { answered, epochs, afresh });
    }
}

/// What the selector has done so far, for the metrics (`Stages::tally`): the clips it asked
/// about, and its pool of candidates at its latest selection, each with how many show the
/// task's success (`Task::clip_shows_success`). Whether the queries keep asking about what
/// the policy does best is read from these (docs/notebook/2026-12-06-queries.md).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QueryTally {
    /// Selections made (each turns the wanted count into queries, as many as the pool allows).
    pub selections: u64,
    /// Clips in the queries sent, and those among them that show a success.
    pub asked_clips: u64,
    pub asked_successes: u64,
    /// The pool at the latest selection, and those of its clips that show a success.
    pub pool_clips: u64,
    pub pool_successes: u64,
}

/// A clip in the selector's pool.
#[derive(Clone)]
struct Candidate {
    clip: Arc<Clip>,
    /// What the reward model reads of it.
    rows: Vec<f32>,
    /// Whether it shows the task's success (for the tally only).
    success: bool,
}

/// What the selector thread is given once, at spawn.
struct SelectorSetup {
    save: SaveClip,
    steps: usize,
    /// Share of the queries asked with a reward model drawn at random (1 for uniform queries).
    random_share: f64,
    /// Share of them that pair the clip the model pays most with a pool clip
    /// (`prefs.champion_share`).
    champion_share: f64,
    /// Share of them that ask again about a clip that won an answer (`prefs.ladder_share`).
    ladder_share: f64,
    /// How many of them pair the best clip answered with a pool clip (`prefs.anchor_share`,
    /// `prefs.anchor_while_equal`).
    anchor_share: AnchorShare,
    /// How pairs are drawn before and after there is a reward model.
    rule: SelectRule,
    seed: u64,
    input: RewardInput,
    bodies: usize,
    task: Task,
    tally: Arc<Mutex<QueryTally>>,
}

/// Keeps a pool of recent candidate clips and turns wanted counts into queries.
fn selector(rx: Receiver<SelectorMsg>, queries: Sender<Query>, setup: SelectorSetup) {
    const POOL: usize = 200;
    // Clips asked about that stay candidates for the champion (`champion_pairs`'s hall).
    const RECENT_ASKED: usize = 32;
    let SelectorSetup { mut save, steps, random_share, champion_share, ladder_share, mut anchor_share, rule, seed, input, bodies, task, tally } = setup;
    let mut pool: Vec<Candidate> = Vec::new();
    // The last champion (kept until the model pays another clip more) and the latest clips asked.
    let (mut champion, mut recent_asked): (Option<Candidate>, VecDeque<Candidate>) = (None, VecDeque::new());
    let mut modelled_champion = 0usize;
    // With ladder or anchor queries: every clip asked about, by id; what the latest snapshot's
    // answers chose; the winners asked about again already (ladder).
    let mut asked: std::collections::HashMap<String, Candidate> = std::collections::HashMap::new();
    let mut choices: Arc<Choices> = Arc::default();
    let mut laddered: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut modelled_ladder = 0usize;
    // With anchor queries, while their gate is open: the best clip answered, found once per
    // snapshot (every winner asked since this process started is among the clips asked by then).
    let mut best: Option<Candidate> = None;
    let mut snapshot: Option<RewardSnapshot> = None;
    let mut want = 0usize;
    let mut issued = 0usize;
    // Queries asked with a reward model, and those of them drawn at random.
    let (mut modelled, mut modelled_at_random) = (0usize, 0usize);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5E1E_C700);
    while let Ok(msg) = rx.recv() {
        match msg {
            SelectorMsg::Settle(reply) => {
                let _ = reply.send(issued);
                continue;
            }
            SelectorMsg::Clips(clips) => {
                for c in clips.into_iter().filter(|c| c.steps.len() == steps) {
                    let rows = input.clip_rows(&c, bodies);
                    let success = task.clip_shows_success(&c.infos());
                    pool.push(Candidate { clip: Arc::new(c), rows, success });
                }
                let excess = pool.len().saturating_sub(POOL);
                pool.drain(..excess);
            }
            SelectorMsg::Want(n) => want += n,
            SelectorMsg::Snapshot(s, c) => {
                best = None;
                if anchor_share.open(c.recent_equal) {
                    // Each winner once (a clip may have won several answers), in the store's order.
                    let mut distinct = std::collections::HashSet::new();
                    let winning: Vec<&Candidate> = c.winners.iter().filter(|id| distinct.insert(id.as_str())).filter_map(|id| asked.get(id)).collect();
                    let rows: Vec<&[f32]> = winning.iter().map(|w| w.rows.as_slice()).collect();
                    best = best_answered(&s, &rows, steps).map(|i| winning[i].clone());
                }
                snapshot = Some(s);
                choices = c;
            }
        }
        if want == 0 || pool.len() < 2 {
            continue;
        }
        let rows: Vec<&[f32]> = pool.iter().map(|c| c.rows.as_slice()).collect();
        // The random share is kept over this process's modelled queries, not per selection (one or
        // two queries at a time would round it away).
        // What a share is owed of this process's modelled queries, this selection's included,
        // given how many it has had.
        let owed = |share: f64, had: usize| ((((modelled + want) as f64) * share).floor() as usize).saturating_sub(had);
        let at_random = owed(random_share, modelled_at_random).min(want);
        let champions = match snapshot.as_ref() {
            Some(_) if champion_share > 0.0 => owed(champion_share, modelled_champion).min(want - at_random),
            _ => 0,
        };
        let ladders = match snapshot.as_ref() {
            Some(_) if ladder_share > 0.0 => owed(ladder_share, modelled_ladder).min(want - at_random - champions),
            _ => 0,
        };
        let anchors = match snapshot.as_ref() {
            Some(_) => anchor_share.owed(choices.recent_equal, want).min(want - at_random - champions - ladders),
            None => 0,
        };
        // The rungs: winners asked about but not yet again, newest first, each once (a clip may
        // have won several answers).
        let mut seen = std::collections::HashSet::new();
        let rungs: Vec<&Candidate> = choices
            .winners
            .iter()
            .rev()
            .filter(|id| !laddered.contains(*id) && seen.insert(id.as_str()))
            .filter_map(|id| asked.get(id))
            .take(ladders)
            .collect();
        let anchor_clip = best.as_ref().filter(|_| anchors > 0);
        let hall: Vec<&Candidate> = champion.iter().chain(&recent_asked).collect();
        let (crowned, mut picked) = match snapshot.as_ref() {
            Some(s) if champions > 0 => {
                let hall_rows: Vec<&[f32]> = hall.iter().map(|c| c.rows.as_slice()).collect();
                let (crowned, pairs) = champion_pairs(s, &rows, &hall_rows, steps, champions, rule.candidate_pairs, &mut rng);
                (Some(crowned), pairs)
            }
            _ => (None, Vec::new()),
        };
        let champion_picked = picked.len();
        let mut ladder_picked = 0;
        if let Some(s) = snapshot.as_ref().filter(|_| !rungs.is_empty()) {
            let ladder = ladder_pairs(s, &rows, hall.len(), rungs.len(), steps, &mut rng);
            ladder_picked = ladder.len();
            picked.extend(ladder);
        }
        let mut anchor_picked = 0;
        if anchor_clip.is_some() {
            let anchored = anchor_pairs(rows.len(), rows.len() + hall.len() + rungs.len(), anchors, &mut rng);
            anchor_picked = anchored.len();
            picked.extend(anchored);
        }
        let by_rule = want - champion_picked - ladder_picked - anchor_picked;
        picked.extend(select_pairs(snapshot.as_ref(), &rows, steps, by_rule, at_random, rule, &mut rng));
        if snapshot.is_some() {
            modelled += picked.len();
            modelled_at_random += at_random.min(picked.len());
            modelled_champion += champion_picked;
            modelled_ladder += ladder_picked;
            anchor_share.record(choices.recent_equal, picked.len(), anchor_picked);
        }
        let n = pool.len();
        let h = hall.len();
        let r = rungs.len();
        let clip_at = |i: usize| match i {
            _ if i < n => &pool[i],
            _ if i < n + h => hall[i - n],
            _ if i < n + h + r => rungs[i - n - h],
            _ => anchor_clip.expect("an index past the rungs is the anchor's"),
        };
        let crowned = crowned.filter(|_| champion_picked > 0).map(|i| clip_at(i).clone());
        {
            let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
            t.selections += 1;
            t.pool_clips = pool.len() as u64;
            t.pool_successes = pool.iter().filter(|c| c.success).count() as u64;
        }
        let mut used = Vec::new();
        for (a, b) in picked {
            let (left, right) = (clip_at(a).clip.clone(), clip_at(b).clip.clone());
            // A clip is saved before it is ever asked about.
            let saved = save(&left) && save(&right);
            if !saved || queries.send(Query { left, right }).is_err() {
                return;
            }
            want -= 1;
            issued += 1;
            let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
            t.asked_clips += 2;
            t.asked_successes += clip_at(a).success as u64 + clip_at(b).success as u64;
            drop(t);
            used.extend([a, b].into_iter().filter(|&i| i < n));
        }
        // The clips asked about leave the pool (one may be in several of this selection's pairs);
        // with champion queries the latest of them stay candidates for the champion.
        used.sort_unstable();
        used.dedup();
        if crowned.is_some() {
            champion = crowned;
        }
        laddered.extend(rungs.iter().map(|c| c.clip.id.clone()));
        if ladder_share > 0.0 || anchor_share.in_use() {
            asked.extend(used.iter().map(|&i| (pool[i].clip.id.clone(), pool[i].clone())));
        }
        if champion_share > 0.0 {
            recent_asked.extend(used.iter().map(|&i| pool[i].clone()));
            let excess = recent_asked.len().saturating_sub(RECENT_ASKED);
            recent_asked.drain(..excess);
        }
        for i in used.into_iter().rev() {
            pool.swap_remove(i);
        }
    }
}

fn labeler_loop(mut labeler: Box<dyn Labeler>, queries: Receiver<Query>, answers: Sender<(Query, Answer, u64)>) {
    while let Ok(q) = queries.recv() {
        // The labeler's own time: from being handed the query to its answer (a query may wait
        // in the channel while the one before it is answered).
        let handed = Instant::now();
        let Some(answer) = labeler.answer(&q.left, &q.right) else { return };
        let ms = handed.elapsed().as_millis() as u64;
        if answers.send((q, answer, ms)).is_err() {
            return;
        }
    }
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

