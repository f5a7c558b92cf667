//! The reward trainer's thread: keeps the answers in force as training pairs, trains the
//! ensemble in rounds and publishes each snapshot. Rounds come by themselves (a person labels)
//! or when the main thread asks (a scripted teacher: lockstep, see stages.rs).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use super::answer::Answer;
use super::schedule::PrefConfig;
use super::store::Comparison;
use crate::clip::Clip;
use crate::reward::{LabeledPair, RewardEnsemble, RewardInput, RewardSnapshot, RewardStats};

/// What the trainer tells the main thread.
#[allow(clippy::large_enum_variant)] // a few events a second: boxing the snapshot buys nothing
pub enum TrainerEvent {
    /// A round's model, its figures, and what the answers it was trained on chose.
    Snapshot(RewardSnapshot, RewardStats, Arc<Choices>),
    Answered(usize),
    Error(String),
}

/// What the answers in force chose, for the selector's query rules.
#[derive(Default)]
pub struct Choices {
    /// The clip that won each strict answer, in the store's order (what `prefs.ladder_share`
    /// asks about again and `prefs.anchor_share` sets against the policy's clips).
    pub winners: Vec<String>,
    /// The share of "equal" among the latest `RECENT_ANSWERS` answers that compared (not "can't
    /// tell"); 0 without any. What `prefs.anchor_while_equal` reads.
    pub recent_equal: f32,
}

impl Choices {
    /// From what each answer in force chose, in the store's order: the winning clip, or None
    /// for "equal" ("can't tell" is not among them).
    pub fn of(answers: &[Option<String>]) -> Choices {
        let recent = &answers[answers.len().saturating_sub(RECENT_ANSWERS)..];
        let equal = recent.iter().filter(|a| a.is_none()).count();
        let recent_equal = if recent.is_empty() { 0.0 } else { equal as f32 / recent.len() as f32 };
        Choices { winners: answers.iter().flatten().cloned().collect(), recent_equal }
    }
}

/// How many of the latest answers `Choices::recent_equal` reads: four rounds of the defaults'
/// 16 answers, so that a policy that falls and lies shows within a few rounds
/// (docs/notebook/2026-12-07-collapse.md: 92 to 95% "equal" after a fall, 11 to 26% elsewhere).
pub const RECENT_ANSWERS: usize = 64;

/// A reward-training round the main thread asks for (lockstep): train once `answered`
/// comparisons are in force, for `epochs` epochs, from a new ensemble where `afresh`
/// (`prefs.refit_every`).
pub(super) struct Round {
    pub answered: usize,
    pub epochs: usize,
    pub afresh: bool,
}

/// Makes the ensemble a run starts from, and each fit afresh starts from again.
pub(super) type NewEnsemble = Box<dyn Fn() -> RewardEnsemble + Send>;

/// What the recorder tells the trainer about the store.
pub(super) enum StoreChange {
    Added { id: u64, answer: Answer, left: Arc<Clip>, right: Arc<Clip> },
    Withdrawn(u64),
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

/// The answers the trainer trains on: each comparison in force with a target, by store id.
struct TrainingSet {
    pairs: Vec<LabeledPair>,
    /// The store id of each pair, to drop it again on a withdrawal.
    ids: Vec<u64>,
    /// The clip each pair's answer chose, where it chose one (not "equal").
    winners: Vec<Option<String>>,
    /// Comparisons in force, "can't tell" included.
    in_force: usize,
    holdout: f32,
    seed: u64,
    /// What the reward model sees of a step, and the scene's body count.
    input: RewardInput,
    bodies: usize,
}

impl TrainingSet {
    fn new(config: &PrefConfig, bodies: usize, seed: u64) -> TrainingSet {
        let (input, holdout) = (config.reward.input, config.reward.holdout);
        TrainingSet { pairs: Vec::new(), ids: Vec::new(), winners: Vec::new(), in_force: 0, holdout, seed, input, bodies }
    }

    /// Adds answer `id` about the clips `clips` (left, right) with their rows; returns whether it
    /// is a pair to train on (not "can't tell").
    fn push(&mut self, id: u64, answer: Answer, clips: (&str, &str), left: Arc<Vec<f32>>, right: Arc<Vec<f32>>) -> bool {
        self.in_force += 1;
        let Some(target) = target(answer) else { return false };
        self.pairs.push(LabeledPair { left, right, target, validation: held_out(id, self.holdout, self.seed) });
        self.ids.push(id);
        self.winners.push(match answer {
            Answer::Left => Some(clips.0.to_owned()),
            Answer::Right => Some(clips.1.to_owned()),
            _ => None,
        });
        true
    }

    /// What the answers in force chose.
    fn choices(&self) -> Arc<Choices> {
        Arc::new(Choices::of(&self.winners))
    }

    /// The rows of the latest 64 pairs' clips: what each round renormalises the members on.
    fn recent_rows(&self) -> Vec<f32> {
        self.pairs.iter().rev().take(64).flat_map(|p| p.left.iter().chain(p.right.iter()).copied()).collect()
    }

    /// Applies one change of the store; returns whether it added a pair to train on.
    fn apply(&mut self, change: StoreChange) -> bool {
        match change {
            StoreChange::Added { id, answer, left, right } => {
                let (l, r) = (self.input.clip_rows(&left, self.bodies), self.input.clip_rows(&right, self.bodies));
                self.push(id, answer, (&left.id, &right.id), Arc::new(l), Arc::new(r))
            }
            StoreChange::Withdrawn(id) => {
                self.in_force = self.in_force.saturating_sub(1);
                if let Some(i) = self.ids.iter().position(|&p| p == id) {
                    self.ids.remove(i);
                    self.pairs.remove(i);
                    self.winners.remove(i);
                }
                false
            }
        }
    }
}

/// What the reward model reads of each clip `load_clip` loads, loaded once (a clip may be in
/// several comparisons).
fn row_loader(input: RewardInput, bodies: usize, mut load_clip: impl FnMut(&str) -> anyhow::Result<Clip>) -> impl FnMut(&str) -> anyhow::Result<Arc<Vec<f32>>> {
    let mut loaded: HashMap<String, Arc<Vec<f32>>> = HashMap::new();
    move |id| {
        if let Some(r) = loaded.get(id) {
            return Ok(r.clone());
        }
        let rows = Arc::new(input.clip_rows(&load_clip(id)?, bodies));
        loaded.insert(id.to_owned(), rows.clone());
        Ok(rows)
    }
}

/// Trains the ensemble on the comparisons in force and publishes each new snapshot: by itself
/// once `answers_per_round` new answers are in, or, in lockstep (`rounds`), when asked.
#[allow(clippy::too_many_arguments)] // a thread's whole world, passed once at spawn
pub(super) fn trainer(
    existing: Vec<Comparison>,
    load_clip: super::stages::LoadClip,
    new_ensemble: NewEnsemble,
    config: PrefConfig,
    bodies: usize,
    seed: u64,
    changes: Receiver<StoreChange>,
    events: Sender<TrainerEvent>,
    rounds: Option<Receiver<Round>>,
) {
    let mut set = TrainingSet::new(&config, bodies, seed);
    // Answers already in the store (a resumed run), with their clips from disk.
    let mut load = row_loader(config.reward.input, bodies, load_clip);
    for c in &existing {
        match (load(&c.left), load(&c.right)) {
            (Ok(left), Ok(right)) => {
                set.push(c.id, c.answer, (&c.left, &c.right), left, right);
            }
            (Err(e), _) | (_, Err(e)) => {
                set.in_force += 1;
                let _ = events.send(TrainerEvent::Error(format!("comparison {}: {e}", c.id)));
            }
        }
    }
    let mut version = 0;
    let mut ensemble = new_ensemble();
    let mut publish = |set: &TrainingSet, epochs: usize, afresh: bool| {
        if afresh {
            ensemble = new_ensemble();
        }
        let stats = ensemble.train(&set.pairs, epochs, &set.recent_rows());
        version += 1;
        let _ = events.send(TrainerEvent::Snapshot(ensemble.snapshot(version), stats, set.choices()));
    };
    if let Some(rounds) = rounds {
        // Lockstep: each round trains on exactly the answers the main thread counted.
        while let Ok(round) = rounds.recv() {
            while set.in_force < round.answered {
                let Ok(change) = changes.recv() else { return };
                set.apply(change);
            }
            publish(&set, round.epochs, round.afresh);
        }
        return;
    }
    let mut fresh = 0usize;
    let mut trained_once = false;
    // A person labels: fits afresh come as in lockstep (driver.rs), but nothing waits for them.
    let mut refits = config.refits(set.in_force);
    if set.pairs.len() >= config.initial().max(1) {
        publish(&set, config.pretrain_epochs, false);
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
            publish(&set, config.pretrain_epochs, false);
            trained_once = true;
            fresh = 0;
            refits = config.refits(set.in_force);
        } else if trained_once && fresh >= config.answers_per_round {
            let afresh = refits.take(set.in_force);
            publish(&set, if afresh { config.pretrain_epochs } else { config.epochs_per_round }, afresh);
            fresh = 0;
        }
    }
}

/// A reward ensemble fitted afresh, for `epochs` epochs, on `comparisons` (a run's first ones,
/// in the store's order) as the run's trainer holds them: the same held-out share by id, the
/// same inputs, the same renormalisation. What `backflip reward refit` writes, to tell a model's
/// drift from what its answers say (docs/notebook/2026-12-07-refit.md).
pub fn refit(
    comparisons: &[Comparison],
    load_clip: impl FnMut(&str) -> anyhow::Result<Clip>,
    config: &PrefConfig,
    scene: &crate::scene::Scene,
    device: &burn::prelude::Device,
    seed: u64,
    epochs: usize,
) -> anyhow::Result<(RewardSnapshot, RewardStats)> {
    let bodies = scene.bodies.len();
    let mut set = TrainingSet::new(config, bodies, seed);
    let mut load = row_loader(config.reward.input, bodies, load_clip);
    for c in comparisons {
        set.push(c.id, c.answer, (&c.left, &c.right), load(&c.left)?, load(&c.right)?);
    }
    anyhow::ensure!(set.pairs.iter().any(|p| !p.validation), "no comparison to train on among the {} given", comparisons.len());
    let mut ensemble = RewardEnsemble::new(config.reward.clone(), config.reward.input.dim(scene), device, seed);
    let stats = ensemble.train(&set.pairs, epochs, &set.recent_rows());
    Ok((ensemble.snapshot(1), stats))
}
