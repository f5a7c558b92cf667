//! The main thread's side of learning from preferences: feeds clips and wanted counts to the
//! stages, and puts each new reward snapshot where the environments read it. With a scripted
//! labeler it drives the stages in lockstep (stages.rs), so that a seed gives one run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};

use super::answer::Labeler;
use super::person::TrainerLink;
use super::schedule::{InitialClips, PrefConfig, Refits};
use super::stages::{Backend, QueryTally, StageSetup, Stages};
use super::teacher::OracleLabeler;
use super::trainer::{Choices, TrainerEvent};
use crate::hopper_env::{HopperEnv, LearnedReward};
use crate::ppo::{Ppo, PpoEnv};
use crate::progress::Progress;
use crate::reward::{RewardSnapshot, RewardStats};
use crate::scene::Scene;
use crate::stop::stopped;

/// Where a run keeps what the loop makes, and what it is seeded with.
pub struct DriverSetup {
    pub config: PrefConfig,
    pub scene: Scene,
    pub seed: u64,
    /// Where the answers and clips are kept.
    pub backend: Backend,
    /// Where the environments read the learned reward.
    pub learned: LearnedReward,
    /// Reward-training rounds the run has already trained on (a resumed run's count).
    pub rounds_used: u64,
}

pub struct Preferences {
    stages: Stages,
    config: PrefConfig,
    learned: LearnedReward,
    /// Comparisons asked for so far (answered or waiting).
    asked: usize,
    /// Answers in force.
    pub answered: usize,
    /// Answers in force when this process started (queries the selector sent come on top).
    answered_at_start: usize,
    /// The latest round's figures.
    pub last_stats: Option<RewardStats>,
    /// Lockstep: the PPO iteration at which the requested round's snapshot is taken up...
    round_due: Option<u64>,
    /// ...the snapshot, once it has arrived...
    ready: Option<(RewardSnapshot, RewardStats, Arc<Choices>)>,
    /// ...and the answers in force when that round was asked for.
    round_answered: usize,
    /// Lockstep: when the next fit afresh is due (`prefs.refit_every`); set with the first model.
    refits: Refits,
    /// Reward snapshots PPO has trained on, over the whole run.
    pub rounds_used: u64,
    /// Seconds spent waiting on the stages since the last `take_waited`.
    waited: f64,
    /// The selector's tally at the last `take_queries`.
    tally_before: QueryTally,
}

impl Preferences {
    /// Starts the stages with the scripted teacher, or with the person behind `human`.
    pub fn start(setup: DriverSetup, ppo: &Ppo, human: Option<TrainerLink>) -> anyhow::Result<Preferences> {
        let pc = setup.config;
        // The person in the window; or the scripted teacher; or, for a run in PostgreSQL
        // labelled from other desktops only, no labeler here.
        let (labeler, withdraw): (Option<Box<dyn Labeler>>, _) = match human {
            Some(h) => (Some(Box::new(h.labeler)), Some(h.withdraw)),
            None if pc.scripted_labeler => (Some(Box::new(OracleLabeler::new(&pc.teacher, &setup.scene, setup.seed, pc.answer_delay, ""))), None),
            None => (None, None),
        };
        let answered = setup.backend.answered()?;
        let stages = super::stages::start(
            StageSetup {
                backend: setup.backend,
                config: pc.clone(),
                scene: setup.scene.clone(),
                device: ppo.inference_device(),
                seed: setup.seed,
                withdraw,
            },
            labeler,
        )?;
        Ok(Preferences {
            refits: pc.refits(answered),
            stages,
            config: pc,
            learned: setup.learned,
            asked: answered,
            answered,
            answered_at_start: answered,
            last_stats: None,
            round_due: None,
            ready: None,
            round_answered: answered,
            rounds_used: setup.rounds_used,
            waited: 0.0,
            tally_before: QueryTally::default(),
        })
    }

    /// Asks for the initial comparisons (on clips of the initial policy, or of random torques)
    /// and waits for the first reward model. Returns false when stopped by Ctrl-C first.
    pub fn wait_for_first_model(&mut self, env: &mut HopperEnv, ppo: &Ppo, bar: &mut Progress) -> anyhow::Result<bool> {
        let initial = self.config.initial();
        self.label_until(env, ppo, bar, initial, true)
    }

    /// Asks for comparisons up to `target` on clips of the current policy, and waits until they
    /// are answered (and, with `need_model`, until a reward model is trained on them).
    pub fn label_until(&mut self, env: &mut HopperEnv, ppo: &Ppo, bar: &mut Progress, target: usize, need_model: bool) -> anyhow::Result<bool> {
        if target > self.asked {
            self.stages.want(target - self.asked);
            self.asked = target;
        }
        let policy = ppo.policy();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(ppo.iteration ^ 0x1A17);
        // The initial policy's small noise makes its clips alike; random torques vary them
        // more, where the run asks for that.
        let random = !self.learned.is_set() && self.config.initial_clips == InitialClips::Random;
        let mut play = |env: &mut HopperEnv, stages: &Stages| -> anyhow::Result<()> {
            let n = env.num_envs() * env.action_dim();
            env.play(32, |obs| {
                if random {
                    (0..n).map(|_| rng.random_range(-1.0f32..=1.0)).collect()
                } else {
                    ppo.act_stochastic(&policy, obs, &mut rng)
                }
            })?;
            env.drain_finished();
            stages.offer_clips(env.take_clips());
            Ok(())
        };
        if self.stages.lockstep {
            // Play until the selector has sent every query asked for, then wait for the answers.
            while self.answered_at_start + self.stages.settle() < self.asked {
                if stopped() {
                    return Ok(false);
                }
                bar.set_message(format!("recording clips of the current policy: {}/{} queries", self.answered, target));
                play(env, &self.stages)?;
            }
            if !self.wait_answers()? {
                return Ok(false);
            }
            if need_model {
                self.stages.request_round(self.answered, self.config.pretrain_epochs, false);
                self.round_answered = self.answered;
                self.refits = self.config.refits(self.answered);
                return self.take_round();
            }
            return Ok(true);
        }
        loop {
            if stopped() {
                return Ok(false);
            }
            if self.poll()? && need_model || !need_model && self.answered >= target {
                return Ok(true);
            }
            bar.set_message(format!("labelling clips of the current policy: {}/{} comparisons", self.answered, target));
            if self.answered < target {
                // Keep clips of the policy coming while the labeler works.
                play(env, &self.stages)?;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Handles one event of the stages. A snapshot is used at once, or, in lockstep, kept
    /// until the iteration it is due.
    fn take(&mut self, event: TrainerEvent) -> anyhow::Result<()> {
        match event {
            TrainerEvent::Answered(n) => {
                // A withdrawal (undo) leaves a query to ask again.
                self.asked -= self.answered.saturating_sub(n).min(self.asked);
                self.answered = n;
            }
            TrainerEvent::Snapshot(snap, stats, choices) if self.stages.lockstep => self.ready = Some((snap, stats, choices)),
            TrainerEvent::Snapshot(snap, stats, choices) => self.use_snapshot(snap, stats, choices),
            TrainerEvent::Error(e) => anyhow::bail!("reward trainer: {e}"),
        }
        Ok(())
    }

    fn use_snapshot(&mut self, snap: RewardSnapshot, stats: RewardStats, choices: Arc<Choices>) {
        self.stages.use_snapshot(snap.clone(), choices);
        self.learned.set(snap);
        self.last_stats = Some(stats);
        self.rounds_used += 1;
    }

    /// Takes whatever the stages have sent; returns whether a reward model is in use.
    fn poll(&mut self) -> anyhow::Result<bool> {
        while let Ok(event) = self.stages.from_trainer.try_recv() {
            self.take(event)?;
        }
        Ok(self.learned.is_set())
    }

    /// Waits for the next event; false when stopped by Ctrl-C.
    fn wait_event(&mut self) -> anyhow::Result<bool> {
        self.wait_event_for(Duration::MAX)
    }

    /// Waits for the next event, or at most `limit`; false when stopped by Ctrl-C.
    fn wait_event_for(&mut self, limit: Duration) -> anyhow::Result<bool> {
        let started = Instant::now();
        let result = loop {
            if stopped() {
                break Ok(false);
            }
            let slice = Duration::from_millis(200).min(limit.saturating_sub(started.elapsed()));
            if slice.is_zero() {
                break Ok(true);
            }
            match self.stages.from_trainer.recv_timeout(slice) {
                Ok(event) => break self.take(event).map(|_| true),
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break Err(anyhow::anyhow!("the preference stages stopped")),
            }
        };
        self.waited += started.elapsed().as_secs_f64();
        result
    }

    /// Lockstep: waits until every query the selector has sent is answered.
    fn wait_answers(&mut self) -> anyhow::Result<bool> {
        let sent = self.answered_at_start + self.stages.settle();
        while self.answered < sent {
            if !self.wait_event()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Lockstep: waits for the requested round's snapshot and trains PPO on it from now on.
    fn take_round(&mut self) -> anyhow::Result<bool> {
        while self.ready.is_none() {
            if !self.wait_event()? {
                return Ok(false);
            }
        }
        let (snap, stats, choices) = self.ready.take().expect("checked above");
        self.use_snapshot(snap, stats, choices);
        self.round_due = None;
        Ok(true)
    }

    /// Before PPO iteration `iteration`: takes up a new reward snapshot, if one is due.
    /// Returns false when stopped by Ctrl-C while waiting for it.
    pub fn before_iteration(&mut self, iteration: u64) -> anyhow::Result<bool> {
        if !self.stages.lockstep {
            self.poll()?;
            return Ok(true);
        }
        match self.round_due {
            Some(due) if due <= iteration => self.take_round(),
            _ => Ok(true),
        }
    }

    /// After PPO iteration `iteration` (at `steps` env steps of `total`): offers its clips, asks
    /// what the schedule wants by now, and in lockstep waits for the answers and asks for a
    /// reward round once enough are new. A round past a multiple of `prefs.refit_every` starts
    /// from a new ensemble, and RL waits for it here, as a resumed run waits for its first model.
    pub fn after_iteration(&mut self, env: &mut HopperEnv, iteration: u64, steps: u64, total: u64) -> anyhow::Result<()> {
        self.stages.offer_clips(env.take_clips());
        let target = self.config.asked_by(steps, total).min(self.config.comparisons);
        if target > self.asked {
            self.stages.want(target - self.asked);
            self.asked = target;
        }
        // A Ctrl-C while waiting for answers leaves the round unasked; the loop then stops.
        if self.stages.lockstep
            && self.wait_answers()?
            && self.round_due.is_none()
            && self.answered >= self.round_answered + self.config.answers_per_round
        {
            self.round_answered = self.answered;
            if self.refits.take(self.answered) {
                self.stages.request_round(self.answered, self.config.pretrain_epochs, true);
                // A Ctrl-C while waiting leaves the fit untaken; the loop then stops, and a
                // resumed run fits afresh anyway.
                self.take_round()?;
                return Ok(());
            }
            self.stages.request_round(self.answered, self.config.epochs_per_round, false);
            self.round_due = Some(iteration + self.config.round_lag(self.answered, self.config.epochs_per_round));
        }
        Ok(())
    }

    /// A labeler slower than training (not lockstep): before RL goes on to `next_steps` env
    /// steps (of `total`), waits while the schedule wants more answers `pace_margin` steps
    /// earlier than there are, asking for them and keeping clips of the current policy coming.
    /// The wait blocks on the stages' events (no busy loop); `waiting(answered, needed)` is
    /// called as it starts and every few seconds. Returns false when stopped by Ctrl-C.
    pub fn pace(&mut self, env: &mut HopperEnv, ppo: &Ppo, next_steps: u64, total: u64, mut waiting: impl FnMut(usize, usize)) -> anyhow::Result<bool> {
        if self.stages.lockstep {
            return Ok(true);
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(ppo.iteration ^ 0x9ACE);
        let mut last_clips = Instant::now();
        let mut told: Option<Instant> = None;
        loop {
            self.poll()?;
            let need = self.config.paced_need(next_steps, total);
            if self.answered >= need {
                return Ok(true);
            }
            if stopped() {
                return Ok(false);
            }
            if need > self.asked {
                self.stages.want(need - self.asked);
                self.asked = need;
            }
            if told.is_none_or(|t| t.elapsed() >= Duration::from_secs(2)) {
                waiting(self.answered, need);
                told = Some(Instant::now());
            }
            // Fresh clips of the policy now and then, so that the selector's pool (each query
            // uses two of its clips) never runs dry while RL waits.
            if last_clips.elapsed() >= Duration::from_secs(5) {
                let policy = ppo.policy();
                env.play(32, |obs| ppo.act_stochastic(&policy, obs, &mut rng))?;
                env.drain_finished();
                self.stages.offer_clips(env.take_clips());
                last_clips = Instant::now();
            }
            self.wait_event_for(Duration::from_secs(1))?;
        }
    }

    /// What the selector asked since the last call. In lockstep it is settled after
    /// `after_iteration` (its `settle`), so a seed gives the same figures.
    pub fn take_queries(&mut self) -> QueriesSince {
        let now = self.stages.tally();
        let before = std::mem::replace(&mut self.tally_before, now);
        let selected = now.selections > before.selections;
        QueriesSince {
            asked_clips: now.asked_clips - before.asked_clips,
            asked_successes: now.asked_successes - before.asked_successes,
            pool_clips: selected.then_some(now.pool_clips),
            pool_successes: selected.then_some(now.pool_successes),
        }
    }

    /// Seconds spent waiting on the stages since the last call.
    pub fn take_waited(&mut self) -> f64 {
        std::mem::take(&mut self.waited)
    }
}

/// The selector's queries since the last look (metrics.csv's query columns).
pub struct QueriesSince {
    /// Clips in the queries sent, and those among them that show a success.
    pub asked_clips: u64,
    pub asked_successes: u64,
    /// The pool at the latest selection and its clips that show a success; None without a
    /// selection since the last look.
    pub pool_clips: Option<u64>,
    pub pool_successes: Option<u64>,
}
