//! `backflip train`: PPO on the run's reward, metrics, checkpoints, snapshots, plots, Ctrl-C.
//! With a labeler the reward is learned from comparisons (src/prefs); `label` asks a run's
//! waiting comparisons of a person without training.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::progress::Progress;

use crate::clip::ClipRecorder;
use crate::episode::EpisodeSummary;
use crate::hopper_env::{EnvReward, EnvSpec, HopperEnv, LearnedReward, RewardKind};
use crate::metrics::MetricsRow;
use crate::ppo::Ppo;
use crate::prefs::person::{TrainerLink, TrainingPhase, TrainingStatus};
use crate::prefs::stages::Backend;
use crate::prefs::{DriverSetup, Preferences};
use crate::run::{RunConfig, RunDir};
use crate::scene::TaskKind;
use crate::stop::stopped;

pub struct TrainOptions {
    /// Report progress: a bar on a terminal, a line every 30 s otherwise (off in tests).
    pub progress: bool,
    /// A person labels in the viewer instead of the scripted teacher.
    pub human: Option<TrainerLink>,
}

/// How a call of `train` starts.
#[allow(clippy::large_enum_variant)] // one value a run
pub enum Start {
    /// A new run with this configuration.
    New(RunConfig),
    /// The run already in the folder, where it stopped; `steps` trains it to that many env
    /// steps in all instead of its own budget.
    Resume { steps: Option<u64> },
}

/// The environments a run trains in, built with its reward (and, learning from preferences,
/// the clip recorder whose clips the labeler is asked about).
fn training_env(config: &RunConfig, iteration: u64, seed: u64, learned: &LearnedReward) -> anyhow::Result<HopperEnv> {
    let scene = Arc::new(config.scene.clone());
    let reward = match config.reward {
        RewardKind::Handwritten => EnvReward::Handwritten(config.handwritten.clone()),
        RewardKind::True => EnvReward::True,
        RewardKind::Distance => EnvReward::Distance,
        RewardKind::Learned => EnvReward::Learned(learned.clone()),
    };
    // Clip ids name the iteration they were recorded in, so a resumed run never reuses one.
    // Every clip goes to the selector's pool: keeping one in four starved the schedule
    // (docs/notebook).
    let clips = config.prefs.as_ref().map(|p| ClipRecorder::candidates(config.ppo.num_envs, &scene, format!("it{iteration:06}"), p.clip_overlap));
    let spec = EnvSpec { reward, terminate_when_unhealthy: config.terminate_when_unhealthy, clips };
    HopperEnv::new(scene, spec, config.ppo.num_envs, seed)
}

/// The preference driver of a run that learns from them.
fn preferences(config: &RunConfig, run: &RunDir, ppo: &Ppo, learned: &LearnedReward, rounds_used: u64, human: Option<TrainerLink>) -> anyhow::Result<Option<Preferences>> {
    let Some(pc) = &config.prefs else { return Ok(None) };
    let backend = run.pref_backend(Some(pc));
    if let Backend::Postgres(target) = &backend {
        // Labelers elsewhere read the scene (and the teacher's settings) from there.
        crate::prefs::pg::PgLink::waiting(target).publish_run(&serde_json::to_string(config)?)?;
    }
    let setup = DriverSetup {
        config: pc.clone(),
        scene: config.scene.clone(),
        seed: config.seed,
        backend,
        learned: learned.clone(),
        rounds_used,
    };
    Preferences::start(setup, ppo, human).map(Some)
}

/// Where the run's answers are kept in PostgreSQL, if they are (`--store`). The server is checked
/// when training starts; the links opened after that wait while it is away (src/prefs/pg.rs).
fn store(config: &RunConfig) -> Option<&crate::prefs::pg::PgTarget> {
    config.prefs.as_ref().and_then(|p| p.store.as_ref())
}

/// Trains a new run or continues the one in `path`, until its step budget.
pub fn train(path: PathBuf, start: Start, mut opts: TrainOptions) -> anyhow::Result<RunDir> {
    let (run, config, mut ppo) = match start {
        Start::New(config) => {
            if let Some(target) = store(&config) {
                // Checked before the folder is made: a server that cannot be reached, or a name
                // already taken there, is a one-line error with nothing left behind.
                crate::prefs::pg::PgLink::connect(target)?.ensure_absent()?;
            }
            let run = RunDir::create(&path, &config)?;
            let ppo = run.load_or_new(&config)?;
            (run, config, ppo)
        }
        Start::Resume { steps } => {
            let (run, mut config) = RunDir::open(&path)?;
            // A clip being written when the run stopped is gone with the stop; its file goes too.
            for torn in run.clips().remove_unfinished()? {
                eprintln!("{}: removed, a clip cut short by the stop", torn.display());
            }
            if let Some(target) = store(&config) {
                crate::prefs::pg::PgLink::connect(target)?;
            }
            let ppo = run.load_or_new(&config)?;
            if let Some(steps) = steps
                && crate::settings::extend_steps(&path, &mut config, ppo.global_step, steps)?
            {
                run.save_config(&config)?;
            }
            (run, config, ppo)
        }
    };
    if let Some(target) = store(&config) {
        // Said once the store has taken the run: before, a refused name or an unreachable
        // server would have followed an invitation to join it.
        eprintln!("labelers join with: backflip label --store {} --run {}", crate::prefs::pg::redact(&target.url), target.run);
    }
    let batch = config.ppo.batch_size() as u64;
    let total_iterations = config.total_steps.div_ceil(batch);
    let mut book = Book::open(&run, &config, &ppo, opts.progress, opts.human.as_ref())?;
    // Exploration before the first comparisons, where the run asks for it (prefs.explore_steps).
    let explore_until = config.prefs.as_ref().map_or(0, |p| p.explore_steps.div_ceil(batch));
    if ppo.iteration < explore_until {
        let spec = EnvSpec::reward(EnvReward::Explore);
        let mut env = HopperEnv::new(Arc::new(config.scene.clone()), spec, config.ppo.num_envs, episode_seed(&config, &ppo))?;
        while ppo.iteration < explore_until && !stopped() {
            let stats = ppo.iterate(&mut env, total_iterations)?;
            let row = MetricsRow::new(stats, batch as usize, EpisodeSummary::of(&env.drain_finished()), book.wall());
            book.record(&run, &config, &ppo, row)?;
        }
        if ppo.iteration < explore_until {
            // Stopped while exploring (Ctrl-C): a resumed run explores on.
            return book.finish(run, &config, &ppo);
        }
        ppo.restart_reward_scale();
        run.save_checkpoint(&ppo, None)?;
        if let Some(s) = &mut book.status {
            // The initial comparisons come next.
            s.phase(TrainingPhase::Starting);
        }
    }
    let learned = LearnedReward::default();
    if config.prefs.is_some() {
        book.learned = Some(learned.clone());
    }
    let mut env = training_env(&config, ppo.iteration, episode_seed(&config, &ppo), &learned)?;
    let rounds_used = book.history.last().and_then(|r| r.reward_rounds).unwrap_or(0);
    let mut prefs = preferences(&config, &run, &ppo, &learned, rounds_used, opts.human.take())?;
    if let Some(p) = &mut prefs
        && !p.wait_for_first_model(&mut env, &ppo, &mut book.bar)?
    {
        eprintln!("stopped before the reward model was trained; continue with --resume {}", run.path.display());
        return Ok(run);
    }
    while ppo.iteration < total_iterations && !stopped() {
        if let Some(p) = &mut prefs {
            // A labeler slower than training: RL waits when it is ahead (src/prefs/driver.rs).
            let next = ppo.global_step + batch;
            let (bar, status) = (&mut book.bar, &mut book.status);
            let paced = p.pace(&mut env, &ppo, next, config.total_steps, |answered, needed| {
                bar.set_message(format!("waiting for answers: {answered} of the {needed} needed to go on"));
                if let Some(s) = status {
                    s.status.comparisons = answered;
                    s.phase(TrainingPhase::WaitingForAnswers { needed });
                }
            })?;
            if !paced || !p.before_iteration(ppo.iteration)? {
                break;
            }
        }
        let stats = ppo.iterate(&mut env, total_iterations)?;
        let mut row = MetricsRow::new(stats, batch as usize, EpisodeSummary::of(&env.drain_finished()), book.wall());
        if let Some(p) = &mut prefs {
            p.after_iteration(&mut env, ppo.iteration, ppo.global_step, config.total_steps)?;
            row.comparisons = Some(p.answered);
            row.reward_val_accuracy = p.last_stats.as_ref().map(|s| s.val_accuracy);
            row.reward_val_loss = p.last_stats.as_ref().map(|s| s.val_loss);
            row.reward_val_pairs = p.last_stats.as_ref().map(|s| s.val_strict_pairs);
            row.reward_rounds = Some(p.rounds_used);
            row.reward_round_seconds = p.last_stats.as_ref().map(|s| s.seconds);
            row.wait_seconds = Some(p.take_waited());
            let queries = p.take_queries();
            (row.queried_clips, row.queried_successes) = (Some(queries.asked_clips), Some(queries.asked_successes));
            (row.query_pool_clips, row.query_pool_successes) = (queries.pool_clips, queries.pool_successes);
        }
        book.record(&run, &config, &ppo, row)?;
    }
    book.finish(run, &config, &ppo)
}

/// A resumed run starts fresh episodes, seeded by where it resumes (and a run that explored
/// first starts fresh ones where exploration ends).
fn episode_seed(config: &RunConfig, ppo: &Ppo) -> u64 {
    config.seed.wrapping_add(ppo.iteration.wrapping_mul(0x9E37_79B9))
}

/// The run's record as it trains: metrics, progress, the window's status, snapshots,
/// checkpoints and plots, written after every iteration.
struct Book {
    history: Vec<MetricsRow>,
    /// Wall seconds of the run before this process, and when this process started.
    wall_offset: f64,
    started: Instant,
    bar: Progress,
    status: Option<StatusReport>,
    /// The latest iteration in which episodes ended: what progress reports show.
    last_episodes: EpisodeSummary,
    /// The learned reward PPO trains on, kept with each snapshot and checkpoint.
    learned: Option<LearnedReward>,
}

impl Book {
    fn open(run: &RunDir, config: &RunConfig, ppo: &Ppo, progress: bool, human: Option<&TrainerLink>) -> anyhow::Result<Book> {
        let history = run.read_metrics()?;
        let wall_offset = history.last().map(|r| r.wall_seconds).unwrap_or(0.0);
        let label = run.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(Book {
            history,
            wall_offset,
            started: Instant::now(),
            bar: Progress::new(progress, &label, config.total_steps, ppo.global_step),
            status: human.map(|h| StatusReport::new(h.status.clone(), config, ppo)),
            last_episodes: EpisodeSummary::default(),
            learned: None,
        })
    }

    /// Wall seconds of the run so far.
    fn wall(&self) -> f64 {
        self.wall_offset + self.started.elapsed().as_secs_f64()
    }

    /// The learned reward PPO trains on now, to save beside the policy (None before the first
    /// model, and for runs on a known reward). Asked for only when saving.
    fn reward(&self) -> Option<crate::reward::RewardSnapshot> {
        self.learned.as_ref().and_then(LearnedReward::current)
    }

    fn record(&mut self, run: &RunDir, config: &RunConfig, ppo: &Ppo, row: MetricsRow) -> anyhow::Result<()> {
        run.append_metrics(&row)?;
        if let Some(s) = &mut self.status {
            s.after_iteration(ppo, &row, config)?;
        }
        if row.episodes.episodes > 0 {
            self.last_episodes = row.episodes.clone();
        }
        self.bar.set_message(describe(&row, &self.last_episodes, config.scene.task));
        self.bar.set_position(ppo.global_step);
        self.history.push(row);
        // A snapshot each time the steps pass a multiple of `snapshot_every`.
        let (every, batch) = (config.snapshot_every, config.ppo.batch_size() as u64);
        if every > 0 && ppo.global_step / every > (ppo.global_step - batch) / every {
            run.save_snapshot(ppo, self.reward().as_ref())?;
        }
        if ppo.iteration.is_multiple_of(config.checkpoint_every) {
            run.save_checkpoint(ppo, self.reward().as_ref())?;
            plot(run, &self.history, config.scene.task);
        }
        Ok(())
    }

    /// The last checkpoint and plot; tells the window and other desktops that training ended.
    fn finish(mut self, run: RunDir, config: &RunConfig, ppo: &Ppo) -> anyhow::Result<RunDir> {
        run.save_checkpoint(ppo, self.reward().as_ref())?;
        plot(&run, &self.history, config.scene.task);
        self.bar.finish();
        let total_iterations = config.total_steps.div_ceil(config.ppo.batch_size() as u64);
        let finished = ppo.iteration >= total_iterations;
        if let Some(s) = &mut self.status {
            s.phase(TrainingPhase::Ended { finished });
        }
        // Labelers at other desktops stop once the queries left are answered.
        if let Some(target) = store(config)
            && finished
        {
            crate::prefs::pg::PgLink::waiting(target).mark_finished(true)?;
        }
        if stopped() {
            eprintln!("stopped at {} env steps; continue with --resume {}", ppo.global_step, run.path.display());
        }
        Ok(run)
    }
}

/// What a run that is not training has to show of itself: its budget and its last metrics
/// row's figures (comparisons, accuracy, iteration, env steps, success), and whether it ended.
pub fn run_status(run: &RunDir, config: &RunConfig) -> anyhow::Result<TrainingStatus> {
    let last = run.read_metrics()?.pop();
    let env_steps = run.trained_steps()?;
    Ok(TrainingStatus {
        phase: TrainingPhase::Ended { finished: env_steps >= config.total_steps },
        comparisons: last.as_ref().and_then(|r| r.comparisons).unwrap_or(0),
        budget: config.prefs.as_ref().map(|p| p.comparisons).unwrap_or(0),
        reward_val_accuracy: last.as_ref().and_then(|r| r.reward_val_accuracy),
        reward_val_pairs: last.as_ref().and_then(|r| r.reward_val_pairs).unwrap_or(0),
        iteration: last.as_ref().map(|r| r.ppo.iteration).unwrap_or(0),
        env_steps,
        success_rate: last.as_ref().and_then(|r| r.episodes.success_rate),
        policy_episode: None,
        policy_flips: 0,
    })
}

/// `backflip label`: asks the comparisons a run's schedule wants by now and has not had
/// answered, on clips of its latest policy, without training. Returns the answers in force.
pub fn label(path: PathBuf, human: TrainerLink) -> anyhow::Result<usize> {
    let (run, config) = RunDir::open(&path)?;
    let Some(pc) = config.prefs.clone() else {
        anyhow::bail!("{}: not a run that learns from preferences (no --labeler)", path.display())
    };
    let ppo = run.load_or_new(&config)?;
    let learned = LearnedReward::default();
    let mut env = training_env(&config, ppo.iteration, config.seed ^ 0x1abe1, &learned)?;
    let status = human.status.clone();
    let mut prefs = preferences(&config, &run, &ppo, &learned, 0, Some(human))?.expect("a run with prefs");
    let target = pc.asked_by(ppo.global_step, config.total_steps).max(pc.initial()).min(pc.comparisons);
    let _ = status.send(TrainingStatus { comparisons: prefs.answered, ..run_status(&run, &config)? });
    if target > prefs.answered {
        prefs.label_until(&mut env, &ppo, &mut Progress::new(false, "", 0, 0), target, false)?;
    }
    Ok(prefs.answered)
}

/// What the window is told of training (a person labels): kept up to date and sent whole
/// on every change; every 10 iterations with a fresh episode of the policy to watch.
struct StatusReport {
    tx: crossbeam_channel::Sender<TrainingStatus>,
    status: TrainingStatus,
    last_episode: Option<u64>,
}

impl StatusReport {
    fn new(tx: crossbeam_channel::Sender<TrainingStatus>, config: &RunConfig, ppo: &Ppo) -> StatusReport {
        let budget = config.prefs.as_ref().map(|p| p.comparisons).unwrap_or(0);
        let status = TrainingStatus { budget, iteration: ppo.iteration, env_steps: ppo.global_step, ..Default::default() };
        let report = StatusReport { tx, status, last_episode: None };
        report.send();
        report
    }

    fn send(&self) {
        let _ = self.tx.send(self.status.clone());
    }

    fn phase(&mut self, phase: TrainingPhase) {
        if self.status.phase != phase {
            self.status.phase = phase;
            self.send();
        }
    }

    fn after_iteration(&mut self, ppo: &Ppo, row: &MetricsRow, config: &RunConfig) -> anyhow::Result<()> {
        let s = &mut self.status;
        let explore_steps = config.prefs.as_ref().map_or(0, |p| p.explore_steps);
        s.phase = if ppo.global_step < explore_steps {
            TrainingPhase::Exploring { until_steps: explore_steps }
        } else {
            TrainingPhase::Training
        };
        s.comparisons = row.comparisons.unwrap_or(0);
        s.reward_val_accuracy = row.reward_val_accuracy;
        s.reward_val_pairs = row.reward_val_pairs.unwrap_or(0);
        s.iteration = ppo.iteration;
        s.env_steps = ppo.global_step;
        s.success_rate = row.episodes.success_rate.or(s.success_rate);
        if self.last_episode.is_none_or(|i| ppo.iteration >= i + 10) {
            let scene = Arc::new(config.scene.clone());
            let (report, clips) = crate::eval::evaluate(ppo, scene, 1, config.seed ^ ppo.iteration, true)?;
            s.policy_episode = clips.into_iter().next().map(Arc::new);
            s.policy_flips = report.summary.backflips_per_episode.unwrap_or(0.0) as usize;
            self.last_episode = Some(ppo.iteration);
        }
        self.send();
        Ok(())
    }
}

/// Redraws the learning curve; a plot that fails is reported and training goes on.
fn plot(run: &RunDir, history: &[MetricsRow], task: TaskKind) {
    let path = run.path.join("plots/learning.png");
    if let Err(e) = crate::plot::learning_curve(&path, history, task) {
        eprintln!("warning: {}: plot not drawn: {e:#}", path.display());
    }
}

/// The progress message: comparisons, and the latest finished episodes' figures.
fn describe(row: &MetricsRow, episodes: &EpisodeSummary, task: TaskKind) -> String {
    let f = |v: Option<f32>| v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into());
    let comparisons = row.comparisons.map(|c| format!("comparisons {c} | ")).unwrap_or_default();
    match task {
        TaskKind::Backflip => format!(
            "{comparisons}return {} success {} flips/ep {}",
            f(episodes.episodic_return),
            f(episodes.success_rate),
            f(episodes.backflips_per_episode)
        ),
        TaskKind::HopForward => format!("{comparisons}return {} true return {}", f(episodes.episodic_return), f(episodes.true_return)),
    }
}
