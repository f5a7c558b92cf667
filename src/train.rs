//! `backflip train` on a known per-step reward: PPO, metrics, checkpoints, plots, Ctrl-C.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use rand::{RngExt, SeedableRng};

use crate::episode::EpisodeSummary;
use crate::hopper_env::{HopperEnv, Recording};
use crate::metrics::MetricsRow;
use crate::oracle::Teacher;
use crate::pipeline::{ClipRecorder, InitialClips, OracleLabeler, PrefConfig, StageSetup, TrainerEvent};
use crate::prefs::ComparisonStore;
use crate::reward::RewardStats;
use crate::task::Task;
use crate::ppo::{Ppo, PpoEnv};
use crate::run::{RunConfig, RunDir};
use crate::scene::TaskKind;

/// Set by the Ctrl-C handler; the loop saves and stops at the end of the iteration.
pub static STOP: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C (or a closed window) has asked training to stop.
pub fn stopped() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Installs the Ctrl-C handler once.
pub fn install_ctrlc() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst));
    });
}

pub struct TrainOptions {
    /// Draw a progress bar (off in tests).
    pub progress: bool,
    /// A person labels in the viewer instead of the scripted teacher.
    pub human: Option<crate::human::TrainerLink>,
}

/// How a call of `train` starts.
pub enum Start {
    /// A new run with this configuration.
    New(RunConfig),
    /// The run already in the folder, where it stopped; `steps` trains it to that many env
    /// steps in all instead of its own budget.
    Resume { steps: Option<u64> },
}

/// Trains a new run or continues the one in `path`, until its step budget. With `prefs` in
/// the configuration, the reward is learned from comparisons (src/pipeline.rs).
pub fn train(path: PathBuf, start: Start, mut opts: TrainOptions) -> anyhow::Result<RunDir> {
    let (run, config, mut ppo) = match start {
        Start::New(config) => {
            let run = RunDir::create(&path, &config)?;
            let ppo = run.load_or_new(&config)?;
            (run, config, ppo)
        }
        Start::Resume { steps } => {
            let (run, mut config) = RunDir::open(&path)?;
            let ppo = run.load_or_new(&config)?;
            if let Some(steps) = steps
                && crate::settings::extend_steps(&path, &mut config, ppo.global_step, steps)?
            {
                run.save_config(&config)?;
            }
            (run, config, ppo)
        }
    };
    let scene = Arc::new(config.scene.clone());
    // A resumed run starts fresh episodes, seeded by where it resumes.
    let env_seed = config.seed.wrapping_add(ppo.iteration.wrapping_mul(0x9E37_79B9));
    let mut env = HopperEnv::new(scene.clone(), config.reward, config.ppo.num_envs, env_seed)?;
    env.task.handwritten = config.handwritten.clone();
    env.task.terminate_when_unhealthy = config.terminate_when_unhealthy;
    let batch = config.ppo.batch_size() as u64;
    let total_iterations = config.total_steps.div_ceil(batch);
    let mut history = run.read_metrics()?;
    let wall_offset = history.last().map(|r| r.wall_seconds).unwrap_or(0.0);
    let bar = progress_bar(opts.progress, config.total_steps, ppo.global_step);
    let started = Instant::now();
    let mut last_episode: Option<u64> = None;
    let status = opts.human.as_ref().map(|h| h.status.clone());
    let mut prefs = match &config.prefs {
        Some(pc) => {
            let rounds = history.last().and_then(|r| r.reward_rounds).unwrap_or(0);
            Some(Preferences::start(&run, &config, pc, &mut env, &ppo, opts.human.take(), rounds)?)
        }
        None => None,
    };
    if let Some(tx) = &status {
        let budget = config.prefs.as_ref().map(|p| p.comparisons).unwrap_or(0);
        let _ = tx.send(crate::human::TrainingStatus { budget, iteration: ppo.iteration, env_steps: ppo.global_step, ..Default::default() });
    }
    if let Some(p) = &mut prefs
        && !p.wait_for_first_model(&mut env, &ppo, &bar)?
    {
        eprintln!("stopped before the reward model was trained; continue with --resume {}", run.path.display());
        return Ok(run);
    }
    while ppo.iteration < total_iterations && !STOP.load(Ordering::SeqCst) {
        if let Some(p) = &mut prefs
            && !p.before_iteration(&mut env, ppo.iteration)?
        {
            break;
        }
        let stats = ppo.iterate(&mut env, total_iterations)?;
        let episodes = EpisodeSummary::of(&env.drain_finished());
        let mut row = MetricsRow::new(stats, batch as usize, episodes, wall_offset + started.elapsed().as_secs_f64());
        if let Some(p) = &mut prefs {
            p.after_iteration(&mut env, ppo.iteration, ppo.global_step, config.total_steps, &mut row)?;
        }
        run.append_metrics(&row)?;
        if let Some(tx) = &status {
            send_status(tx, &ppo, &row, &config, &mut last_episode)?;
        }
        bar.set_position(ppo.global_step);
        bar.set_message(describe(&row, config.scene.task));
        history.push(row);
        // A snapshot each time the steps pass a multiple of `snapshot_every`.
        let every = config.snapshot_every;
        if every > 0 && ppo.global_step / every > (ppo.global_step - batch) / every {
            run.save_snapshot(&ppo)?;
        }
        if ppo.iteration % config.checkpoint_every == 0 {
            run.save_checkpoint(&ppo)?;
            plot(&run, &history, config.scene.task);
        }
    }
    run.save_checkpoint(&ppo)?;
    plot(&run, &history, config.scene.task);
    bar.finish();
    if STOP.load(Ordering::SeqCst) {
        eprintln!("stopped at {} env steps; continue with --resume {}", ppo.global_step, run.path.display());
    }
    Ok(run)
}

/// The main thread's side of learning from preferences: feeds clips and wanted counts to the
/// stages, takes the newest reward snapshot for PPO. With a scripted labeler it drives the
/// stages in lockstep (src/pipeline.rs), so that a seed gives one run.
struct Preferences {
    stages: crate::pipeline::Stages,
    config: PrefConfig,
    /// Comparisons asked for so far (answered or waiting).
    asked: usize,
    answered: usize,
    /// Answers in force when this process started (queries the selector sent come on top).
    answered_at_start: usize,
    last_stats: Option<RewardStats>,
    /// Lockstep: the PPO iteration at which the requested round's snapshot is taken up...
    round_due: Option<u64>,
    /// ...the snapshot, once it has arrived...
    ready: Option<(crate::reward::RewardSnapshot, RewardStats)>,
    /// ...and the answers in force when that round was asked for.
    round_answered: usize,
    /// Reward snapshots PPO has trained on, over the whole run.
    rounds_used: u64,
    /// Seconds spent waiting on the stages since the last metrics row.
    waited: f64,
}

impl Preferences {
    fn start(
        run: &RunDir,
        config: &RunConfig,
        pc: &PrefConfig,
        env: &mut HopperEnv,
        ppo: &Ppo,
        human: Option<crate::human::TrainerLink>,
        rounds_used: u64,
    ) -> anyhow::Result<Preferences> {
        let scene = &config.scene;
        let (labeler, withdraw): (Box<dyn crate::pipeline::Labeler>, _) = match human {
            Some(h) => (Box::new(h.labeler), Some(h.withdraw)),
            None => (Box::new(OracleLabeler { teacher: Teacher::new(pc.teacher.clone(), config.seed), task: Task::for_scene(scene) }), None),
        };
        let setup = StageSetup {
            run_dir: run.path.clone(),
            config: pc.clone(),
            d_input: scene.obs_dim() + scene.action_dim(),
            clip_steps: scene.clip_steps(),
            device: ppo.inference_device(),
            seed: config.seed,
            withdraw,
        };
        let answered = ComparisonStore::open(&crate::pipeline::store_path(&run.path))?.0.len();
        let stages = crate::pipeline::start(setup, labeler)?;
        // Clip ids name the iteration they were recorded in, so a resumed run never reuses one.
        let prefix = format!("it{:06}", ppo.iteration);
        // Every clip goes to the selector's pool: keeping one in four starved the schedule (842
        // of 1000 comparisons answered by the end of a 3M-step run).
        env.recording = Some(Recording::new(ClipRecorder::new(config.ppo.num_envs, scene.clip_steps(), scene, prefix)));
        Ok(Preferences {
            stages,
            config: pc.clone(),
            asked: answered,
            answered,
            answered_at_start: answered,
            last_stats: None,
            round_due: None,
            ready: None,
            round_answered: answered,
            rounds_used,
            waited: 0.0,
        })
    }

    /// Asks for the initial comparisons (on clips of the initial policy, or of random torques)
    /// and waits for the first reward model. Returns false when stopped by Ctrl-C first.
    fn wait_for_first_model(&mut self, env: &mut HopperEnv, ppo: &Ppo, bar: &ProgressBar) -> anyhow::Result<bool> {
        let initial = self.config.initial();
        self.label_until(env, ppo, bar, initial, true)
    }

    /// Asks for comparisons up to `target` on clips of the current policy, and waits until they
    /// are answered (and, with `need_model`, until a reward model is trained on them).
    fn label_until(&mut self, env: &mut HopperEnv, ppo: &Ppo, bar: &ProgressBar, target: usize, need_model: bool) -> anyhow::Result<bool> {
        if target > self.asked {
            self.stages.want(target - self.asked);
            self.asked = target;
        }
        let policy = ppo.policy();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(ppo.iteration ^ 0x1A17);
        // The initial policy's small noise makes its clips alike; random torques vary them
        // more, where the run asks for that.
        let random = env.learned.is_none() && self.config.initial_clips == InitialClips::Random;
        let mut play = |env: &mut HopperEnv, stages: &crate::pipeline::Stages| -> anyhow::Result<()> {
            for _ in 0..32 {
                let actions = if random {
                    let n = env.num_envs() * env.action_dim();
                    (0..n).map(|_| rng.random_range(-1.0f32..=1.0)).collect()
                } else {
                    ppo.act_stochastic(&policy, &env.venv.observations(), &mut rng)
                };
                PpoEnv::step(env, &actions)?;
            }
            env.drain_finished();
            if let Some(rec) = &mut env.recording {
                stages.offer_clips(std::mem::take(&mut rec.finished));
            }
            Ok(())
        };
        if self.stages.lockstep {
            // Play until the selector has sent every query asked for, then wait for the answers.
            while self.answered_at_start + self.stages.settle() < self.asked {
                if STOP.load(Ordering::SeqCst) {
                    return Ok(false);
                }
                bar.set_message(format!("recording clips of the current policy: {}/{} queries", self.answered, target));
                play(env, &self.stages)?;
            }
            if !self.wait_answers(env)? {
                return Ok(false);
            }
            if need_model {
                self.stages.request_round(self.answered, self.config.pretrain_epochs);
                self.round_answered = self.answered;
                return self.take_round(env);
            }
            return Ok(true);
        }
        loop {
            if STOP.load(Ordering::SeqCst) {
                return Ok(false);
            }
            if self.poll(env)? && need_model || !need_model && self.answered >= target {
                return Ok(true);
            }
            bar.set_message(format!("labelling clips of the current policy: {}/{} comparisons", self.answered, target));
            if self.answered < target {
                // Keep clips of the policy coming while the labeler works.
                play(env, &self.stages)?;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Handles one event of the stages. A snapshot is used at once, or, in lockstep, kept
    /// until the iteration it is due.
    fn take(&mut self, event: TrainerEvent, env: &mut HopperEnv) -> anyhow::Result<()> {
        match event {
            TrainerEvent::Answered(n) => self.answered = n,
            TrainerEvent::Snapshot(snap, stats) if self.stages.lockstep => self.ready = Some((snap, stats)),
            TrainerEvent::Snapshot(snap, stats) => self.use_snapshot(env, snap, stats),
            TrainerEvent::Error(e) => anyhow::bail!("reward trainer: {e}"),
        }
        Ok(())
    }

    fn use_snapshot(&mut self, env: &mut HopperEnv, snap: crate::reward::RewardSnapshot, stats: RewardStats) {
        self.stages.use_snapshot(snap.clone());
        env.learned = Some(snap);
        self.last_stats = Some(stats);
        self.rounds_used += 1;
    }

    /// Takes whatever the stages have sent; returns whether a reward model is in use.
    fn poll(&mut self, env: &mut HopperEnv) -> anyhow::Result<bool> {
        while let Ok(event) = self.stages.from_trainer.try_recv() {
            self.take(event, env)?;
        }
        Ok(env.learned.is_some())
    }

    /// Waits for the next event; false when stopped by Ctrl-C.
    fn wait_event(&mut self, env: &mut HopperEnv) -> anyhow::Result<bool> {
        let started = Instant::now();
        loop {
            if STOP.load(Ordering::SeqCst) {
                return Ok(false);
            }
            match self.stages.from_trainer.recv_timeout(std::time::Duration::from_millis(200)) {
                Ok(event) => {
                    self.waited += started.elapsed().as_secs_f64();
                    return self.take(event, env).map(|_| true);
                }
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => anyhow::bail!("the preference stages stopped"),
            }
        }
    }

    /// Lockstep: waits until every query the selector has sent is answered.
    fn wait_answers(&mut self, env: &mut HopperEnv) -> anyhow::Result<bool> {
        let sent = self.answered_at_start + self.stages.settle();
        while self.answered < sent {
            if !self.wait_event(env)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Lockstep: waits for the requested round's snapshot and trains PPO on it from now on.
    fn take_round(&mut self, env: &mut HopperEnv) -> anyhow::Result<bool> {
        while self.ready.is_none() {
            if !self.wait_event(env)? {
                return Ok(false);
            }
        }
        let (snap, stats) = self.ready.take().expect("checked above");
        self.use_snapshot(env, snap, stats);
        self.round_due = None;
        Ok(true)
    }

    /// Before PPO iteration `iteration`: takes up a new reward snapshot, if one is due.
    fn before_iteration(&mut self, env: &mut HopperEnv, iteration: u64) -> anyhow::Result<bool> {
        if !self.stages.lockstep {
            self.poll(env)?;
            return Ok(true);
        }
        match self.round_due {
            Some(due) if due <= iteration => self.take_round(env),
            _ => Ok(true),
        }
    }

    /// After PPO iteration `iteration` (at `steps` env steps of `total`): offers its clips, asks
    /// what the schedule wants by now, and in lockstep waits for the answers and asks for a
    /// reward round once enough are new.
    fn after_iteration(&mut self, env: &mut HopperEnv, iteration: u64, steps: u64, total: u64, row: &mut MetricsRow) -> anyhow::Result<()> {
        if let Some(rec) = &mut env.recording {
            self.stages.offer_clips(std::mem::take(&mut rec.finished));
        }
        let target = self.config.asked_by(steps, total).min(self.config.comparisons);
        if target > self.asked {
            self.stages.want(target - self.asked);
            self.asked = target;
        }
        // A Ctrl-C while waiting for answers leaves the round unasked; the loop then stops.
        if self.stages.lockstep
            && self.wait_answers(env)?
            && self.round_due.is_none()
            && self.answered >= self.round_answered + self.config.answers_per_round
        {
            self.stages.request_round(self.answered, self.config.epochs_per_round);
            self.round_answered = self.answered;
            self.round_due = Some(iteration + self.config.round_lag(self.answered, self.config.epochs_per_round));
        }
        row.comparisons = Some(self.answered);
        row.reward_val_accuracy = self.last_stats.as_ref().map(|s| s.val_accuracy);
        row.reward_val_loss = self.last_stats.as_ref().map(|s| s.val_loss);
        row.reward_rounds = Some(self.rounds_used);
        row.wait_seconds = Some(std::mem::take(&mut self.waited));
        Ok(())
    }
}

/// `backflip label`: asks the comparisons a run's schedule wants by now and has not had
/// answered, on clips of its latest policy, without training. Returns the answers in force.
pub fn label(path: PathBuf, human: crate::human::TrainerLink) -> anyhow::Result<usize> {
    let (run, config) = RunDir::open(&path)?;
    let Some(pc) = config.prefs.clone() else {
        anyhow::bail!("{}: not a run that learns from preferences (no --labeler)", path.display())
    };
    let ppo = run.load_or_new(&config)?;
    let scene = Arc::new(config.scene.clone());
    let mut env = HopperEnv::new(scene, config.reward, config.ppo.num_envs, config.seed ^ 0x1abe1)?;
    let status = human.status.clone();
    let mut prefs = Preferences::start(&run, &config, &pc, &mut env, &ppo, Some(human), 0)?;
    let target = pc.asked_by(ppo.global_step, config.total_steps).max(pc.initial()).min(pc.comparisons);
    let _ = status.send(crate::human::TrainingStatus {
        comparisons: prefs.answered,
        budget: pc.comparisons,
        iteration: ppo.iteration,
        env_steps: ppo.global_step,
        ..Default::default()
    });
    if target > prefs.answered {
        prefs.label_until(&mut env, &ppo, &ProgressBar::hidden(), target, false)?;
    }
    Ok(prefs.answered)
}

/// Tells the viewer how training goes; every 10 iterations, with an episode of the policy.
fn send_status(
    tx: &crossbeam_channel::Sender<crate::human::TrainingStatus>,
    ppo: &Ppo,
    row: &MetricsRow,
    config: &RunConfig,
    last_episode: &mut Option<u64>,
) -> anyhow::Result<()> {
    let mut status = crate::human::TrainingStatus {
        comparisons: row.comparisons.unwrap_or(0),
        budget: config.prefs.as_ref().map(|p| p.comparisons).unwrap_or(0),
        reward_val_accuracy: row.reward_val_accuracy,
        iteration: ppo.iteration,
        env_steps: ppo.global_step,
        success_rate: row.episodes.success_rate,
        policy_episode: None,
        policy_flips: 0,
    };
    if last_episode.is_none_or(|i| ppo.iteration >= i + 10) {
        let scene = Arc::new(config.scene.clone());
        let (report, clips) = crate::eval::evaluate(ppo, scene, 1, config.seed ^ ppo.iteration, true)?;
        status.policy_episode = clips.into_iter().next().map(Arc::new);
        status.policy_flips = report.summary.backflips_per_episode.unwrap_or(0.0) as usize;
        *last_episode = Some(ppo.iteration);
    }
    let _ = tx.send(status);
    Ok(())
}

/// Redraws the learning curve; a plot that fails is reported and training goes on.
fn plot(run: &RunDir, history: &[MetricsRow], task: TaskKind) {
    let path = run.path.join("plots/learning.png");
    if let Err(e) = crate::plot::learning_curve(&path, history, task) {
        eprintln!("warning: {}: plot not drawn: {e:#}", path.display());
    }
}

fn progress_bar(visible: bool, total: u64, position: u64) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {human_pos}/{human_len} steps, {per_sec} | {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_position(position);
    bar
}

fn describe(row: &MetricsRow, task: TaskKind) -> String {
    let f = |v: Option<f32>| v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into());
    match task {
        TaskKind::Backflip => format!(
            "{}return {} success {} flips/ep {}",
            row.comparisons.map(|c| format!("comparisons {c} | ")).unwrap_or_default(),
            f(row.episodes.episodic_return),
            f(row.episodes.success_rate),
            f(row.episodes.backflips_per_episode)
        ),
        TaskKind::HopForward => format!(
            "{}return {} true return {}",
            row.comparisons.map(|c| format!("comparisons {c} | ")).unwrap_or_default(),
            f(row.episodes.episodic_return),
            f(row.episodes.true_return)
        ),
    }
}
