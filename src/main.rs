//! The `backflip` command line. Parsing lives here; the work lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use backflip::clip::Clip;
use backflip::device::DeviceKind;
use backflip::hopper_env::RewardKind;
use backflip::ppo::{Activation, PpoConfig};
use backflip::oracle::{TeacherConfig, TeacherKind};
use backflip::pipeline::PrefConfig;
use backflip::reward::QueryMode;
use backflip::run::{RunConfig, RunDir};
use backflip::rollout::{self, FixedPolicy};
use backflip::scene::Scene;

/// Learn a Hopper backflip from preferences (Christiano et al. 2017).
#[derive(Parser)]
#[command(name = "backflip", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Record episodes of a fixed policy and save them as clips.
    Rollout {
        /// Scene file, or the name of an embedded scene (hopper-backflip, hopper-forward).
        #[arg(long, default_value = "hopper-backflip")]
        scene: String,
        #[arg(long, value_enum, default_value = "random")]
        policy: FixedPolicy,
        /// Control steps to record.
        #[arg(long, default_value_t = 1000)]
        steps: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output folder: clips/ and rollout.json are written there.
        #[arg(long)]
        out: PathBuf,
    },
    /// Train a policy with PPO on a known reward (hand-written backflip, or hop forward's true reward).
    Train(TrainArgs),
    /// Evaluate a run's deterministic policy; writes eval.json and prints a table.
    Eval {
        /// The run folder.
        run: PathBuf,
        #[arg(long, default_value_t = 20)]
        episodes: usize,
        /// Also write each episode as a JSON clip (body poses per step) into this folder.
        #[arg(long)]
        export: Option<PathBuf>,
        /// Evaluate the policy of the last snapshot at or before this many env steps instead
        /// of the final one; writes eval-STEP.json, leaving eval.json alone.
        #[arg(long)]
        at_step: Option<u64>,
    },
    /// Answer a run's waiting queries in the viewer, without training.
    Label {
        /// The run folder (one trained with --labeler).
        run: PathBuf,
    },
    /// Watch a run's latest policy, or one of its saved clips, in the viewer.
    View {
        /// The run folder.
        run: PathBuf,
        /// A clip id (under RUN/clips) or a clip file.
        #[arg(long)]
        clip: Option<String>,
        /// Save a screenshot after this many seconds (with --exit-after, for scripts).
        #[arg(long, num_args = 2, value_names = ["PNG", "SECONDS"])]
        screenshot: Option<Vec<String>>,
        /// Close the window after this many seconds.
        #[arg(long)]
        exit_after: Option<f32>,
        /// Print the frame rate every 2 seconds.
        #[arg(long)]
        fps: bool,
    },
    /// Compare runs: a markdown table of their evaluations and one plot of the task metric.
    Compare {
        /// Run folders, each evaluated with `backflip eval` first.
        #[arg(required = true)]
        runs: Vec<PathBuf>,
        /// Where to write the plot.
        #[arg(long, default_value = "compare.png")]
        plot: PathBuf,
    },
    /// Work with saved clips.
    Clip {
        #[command(subcommand)]
        command: ClipCommand,
    },
    /// Measure speed; prints one JSON object with --json.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(clap::Args)]
struct TrainArgs {
    /// Scene file, or the name of an embedded scene.
    #[arg(long, default_value = "hopper-backflip")]
    scene: String,
    /// Per-step reward to train on.
    #[arg(long, value_enum, default_value = "handwritten")]
    reward: RewardKind,
    /// Environment steps to train for.
    #[arg(long, default_value_t = 10_000_000)]
    steps: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, value_enum, default_value = "flex")]
    device: DeviceKind,
    /// Run folder (default: runs/SCENE-REWARD-sSEED-TIME).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue the run in this folder where it stopped (its saved settings are used; give
    /// --labeler human to label it yourself).
    #[arg(long, conflicts_with = "out")]
    resume: Option<PathBuf>,
    /// PPO settings: a JSON file (fields of PpoConfig; missing fields keep their defaults) or
    /// the name of an embedded preset, `default` or `cleanrl` (CleanRL's shape, with tanh).
    #[arg(long)]
    ppo_config: Option<PathBuf>,
    /// The hand-written reward's weights as a JSON file (fields of HandwrittenBackflipReward;
    /// missing fields keep their defaults), with --reward handwritten.
    #[arg(long)]
    reward_weights: Option<PathBuf>,
    /// Environments stepped together (overrides the PPO config).
    #[arg(long)]
    envs: Option<usize>,
    /// Hidden-layer activation (overrides the PPO config).
    #[arg(long, value_enum)]
    activation: Option<Activation>,
    /// PPO iterations between checkpoints and plots.
    #[arg(long, default_value_t = 10)]
    checkpoint_every: u64,
    /// Env steps between snapshots of the policy, kept in runs/NAME/snapshots/ for `backflip
    /// eval --at-step` (0: none).
    #[arg(long, default_value_t = 500_000)]
    snapshot_every: u64,
    /// Learn the reward from comparisons answered by this labeler (replaces --reward).
    #[arg(long, value_enum)]
    labeler: Option<LabelerKind>,
    /// Comparisons to ask for in all (with --labeler).
    #[arg(long, default_value_t = 1000)]
    comparisons: usize,
    /// The scripted teacher (with --labeler oracle).
    #[arg(long, value_enum, default_value = "humanlike")]
    teacher: TeacherKind,
    /// Rationality of the boltzmann teacher.
    #[arg(long)]
    beta: Option<f32>,
    /// Probability of a wrong answer (mistake, humanlike teachers).
    #[arg(long)]
    eps: Option<f32>,
    /// Scores closer than this are answered "equal" (equal, humanlike).
    #[arg(long)]
    equal_threshold: Option<f32>,
    /// Both scores below this: "can't tell" (skip).
    #[arg(long)]
    skip_threshold: Option<f32>,
    /// Discount of earlier steps (myopic teacher).
    #[arg(long)]
    myopic_gamma: Option<f32>,
    /// How queries are picked.
    #[arg(long, value_enum, default_value = "disagreement")]
    queries: QueryMode,
    /// What the initial comparisons (before RL) are asked about.
    #[arg(long, value_enum, default_value = "policy")]
    initial_clips: backflip::pipeline::InitialClips,
    /// Hop forward, true reward: end a training episode when the Hopper falls (stops being
    /// healthy), as the standard benchmark does. Evaluation still plays whole episodes.
    #[arg(long)]
    terminate_when_unhealthy: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LabelerKind {
    /// A scripted teacher (headless).
    Oracle,
    /// You, in the desktop viewer.
    Human,
}

#[derive(Subcommand)]
enum ClipCommand {
    /// Print a clip as JSON (for other tools).
    Export {
        /// A clip file, or an id looked up under --dir/clips/.
        clip: String,
        /// Folder holding clips/ (a run or rollout folder).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Print JSON (the only format so far; kept explicit for scripts).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Reward-model training speed: one epoch on synthetic comparisons, on each CPU device.
    Reward {
        #[arg(long, default_value = "hopper-backflip")]
        scene: String,
        #[arg(long, value_enum)]
        device: Option<DeviceKind>,
        #[arg(long, default_value_t = 1000)]
        comparisons: usize,
        #[arg(long)]
        json: bool,
    },
    /// Simulator speed: one environment on one thread, and a VecEnv on all threads.
    Sim {
        #[arg(long, default_value = "hopper-backflip")]
        scene: String,
        #[arg(long, default_value_t = 100_000)]
        steps: usize,
        /// Environments in the VecEnv.
        #[arg(long, default_value_t = 32)]
        envs: usize,
        #[arg(long)]
        json: bool,
    },
    /// PPO training speed on the backflip scene with default settings, on each CPU device
    /// (or the one named).
    Ppo {
        #[arg(long, default_value = "hopper-backflip")]
        scene: String,
        #[arg(long, value_enum)]
        device: Option<DeviceKind>,
        /// Timed iterations (after one warm-up iteration).
        #[arg(long, default_value_t = 3)]
        iterations: u64,
        #[arg(long)]
        envs: Option<usize>,
        #[arg(long, value_enum)]
        activation: Option<Activation>,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes.
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Rollout { scene, policy, steps, seed, out } => {
            let scene = Arc::new(Scene::resolve(&scene)?);
            let clips = rollout::record(scene.clone(), policy, steps, seed)?;
            rollout::save(&out, &scene, &clips)?;
            println!("saved {} clips to {}", clips.len(), out.join("clips").display());
        }
        Command::Train(args) => train(args)?,
        Command::Eval { run, episodes, export, at_step } => {
            let (dir, config) = RunDir::open(&run)?;
            let device = config.device.device()?;
            let (ppo, file) = match at_step {
                None => (dir.load_checkpoint(&device, config.seed)?, "eval.json".to_string()),
                Some(step) => {
                    let (at, ppo) = dir.load_snapshot(step, &device, config.seed)?;
                    (ppo, format!("eval-{at}.json"))
                }
            };
            let scene = Arc::new(config.scene.clone());
            let (report, clips) = backflip::eval::evaluate(&ppo, scene, episodes, config.seed, export.is_some())?;
            report.save(&dir.path.join(file))?;
            print!("{}", report.table());
            if let Some(out) = export {
                std::fs::create_dir_all(&out).with_context(|| format!("{}: cannot create", out.display()))?;
                for c in &clips {
                    let p = out.join(format!("{}.json", c.id));
                    std::fs::write(&p, c.to_json()).with_context(|| format!("{}: cannot write", p.display()))?;
                }
                println!("exported {} episodes to {}", clips.len(), out.display());
            }
        }
        Command::Label { run } => label(run)?,
        Command::Compare { runs, plot } => {
            let summaries = runs.iter().map(|r| backflip::compare::summarize(r)).collect::<anyhow::Result<Vec<_>>>()?;
            print!("{}", backflip::compare::table(&summaries));
            backflip::compare::plot(&plot, &summaries)?;
            println!("plot: {}", plot.display());
        }
        Command::View { run, clip, screenshot, exit_after, fps } => view(run, clip, screenshot, exit_after, fps)?,
        Command::Clip { command: ClipCommand::Export { clip, dir, json: _ } } => {
            let path = PathBuf::from(&clip);
            let path = if path.exists() { path } else { dir.join("clips").join(format!("{clip}.clip")) };
            let clip = Clip::load(&path).with_context(|| format!("clip '{clip}'"))?;
            println!("{}", clip.to_json());
        }
        Command::Bench { command: BenchCommand::Sim { scene, steps, envs, json } } => {
            let scene = Arc::new(Scene::resolve(&scene)?);
            let b = backflip::bench::bench_sim(scene, steps, envs)?;
            if json {
                println!("{}", serde_json::to_string(&b)?);
            } else {
                println!(
                    "{}: {:.0} steps/s on one thread, {:.0} steps/s with {} envs on {} threads ({:.2}x)",
                    b.scene,
                    b.steps_per_sec_single,
                    b.steps_per_sec_vec,
                    b.vec_envs,
                    b.threads,
                    b.steps_per_sec_vec / b.steps_per_sec_single
                );
            }
        }
        Command::Bench { command: BenchCommand::Reward { scene, device, comparisons, json } } => {
            let scene = Scene::resolve(&scene)?;
            for d in device.map(|d| vec![d]).unwrap_or_else(|| vec![DeviceKind::Flex, DeviceKind::Ndarray]) {
                let b = backflip::bench::bench_reward(&scene, d, comparisons)?;
                if json {
                    println!("{}", serde_json::to_string(&b)?);
                } else {
                    println!("{}: one epoch on {} comparisons in {:.2} s", b.device, b.comparisons, b.epoch_seconds);
                }
            }
        }
        Command::Bench { command: BenchCommand::Ppo { scene, device, iterations, envs, activation, json } } => {
            let scene = Arc::new(Scene::resolve(&scene)?);
            let mut config = PpoConfig::default();
            config.num_envs = envs.unwrap_or(config.num_envs);
            config.activation = activation.unwrap_or(config.activation);
            let devices = match device {
                Some(d) => vec![d],
                None => vec![DeviceKind::Flex, DeviceKind::Ndarray],
            };
            for d in devices {
                let b = backflip::bench::bench_ppo(scene.clone(), d, config.clone(), iterations)?;
                if json {
                    println!("{}", serde_json::to_string(&b)?);
                } else {
                    println!("{}: {:.0} env steps/s, {:.0}% of the time in updates", b.device, b.env_steps_per_sec, 100.0 * b.update_fraction);
                }
            }
        }
    }
    Ok(())
}

#[cfg(feature = "viewer")]
fn window_options(screenshot: Option<Vec<String>>, exit_after: Option<f32>, fps: bool) -> anyhow::Result<backflip::viewer::WindowOptions> {
    let screenshot = match screenshot {
        Some(v) => Some((PathBuf::from(&v[0]), v[1].parse::<f32>().with_context(|| format!("--screenshot: '{}' is not a number of seconds", v[1]))?)),
        None => None,
    };
    Ok(backflip::viewer::WindowOptions { screenshot, exit_after, print_fps: fps, watch: false })
}

#[cfg(not(feature = "viewer"))]
const NO_VIEWER: &str = "this binary was built without the viewer (cargo feature `viewer`)";

#[cfg(feature = "viewer")]
fn view(run: PathBuf, clip: Option<String>, screenshot: Option<Vec<String>>, exit_after: Option<f32>, fps: bool) -> anyhow::Result<()> {
    let (dir, config) = RunDir::open(&run)?;
    let (episode, flips) = match clip {
        Some(id) => {
            let path = PathBuf::from(&id);
            let path = if path.exists() { path } else { dir.path.join("clips").join(format!("{id}.clip")) };
            let clip = Clip::load(&path)?;
            let flips = backflip::task::Task::for_scene(&config.scene).judge.evaluate(&clip.infos()).clean_flips;
            (clip, flips)
        }
        None => {
            let ppo = dir.load_checkpoint(&config.device.device()?, config.seed)?;
            let (report, clips) = backflip::eval::evaluate(&ppo, Arc::new(config.scene.clone()), 1, config.seed, true)?;
            (clips.into_iter().next().context("no episode")?, report.backflips_per_episode as usize)
        }
    };
    let (link, trainer) = backflip::human::link();
    let _ = trainer.status.send(backflip::human::TrainingStatus {
        policy_episode: Some(Arc::new(episode)),
        policy_flips: flips,
        ..Default::default()
    });
    let mut options = window_options(screenshot, exit_after, fps)?;
    options.watch = true;
    backflip::viewer::run_window(config.scene, link, options);
    Ok(())
}

#[cfg(not(feature = "viewer"))]
fn view(_: PathBuf, _: Option<String>, _: Option<Vec<String>>, _: Option<f32>, _: bool) -> anyhow::Result<()> {
    anyhow::bail!(NO_VIEWER)
}

#[cfg(feature = "viewer")]
fn label(run: PathBuf) -> anyhow::Result<()> {
    let (_, config) = RunDir::open(&run)?;
    let (link, trainer) = backflip::human::link();
    let worker = std::thread::spawn(move || backflip::train::label(run, trainer));
    backflip::viewer::run_window(config.scene, link, window_options(None, None, false)?);
    backflip::train::STOP.store(true, std::sync::atomic::Ordering::SeqCst);
    let answered = worker.join().map_err(|_| anyhow::anyhow!("the labelling thread panicked"))??;
    println!("{answered} comparisons in the store");
    Ok(())
}

#[cfg(not(feature = "viewer"))]
fn label(_: PathBuf) -> anyhow::Result<()> {
    anyhow::bail!(NO_VIEWER)
}

/// Runs training on a worker thread while the viewer owns the main thread; closing the window
/// stops training cleanly (a checkpoint is saved).
#[cfg(feature = "viewer")]
fn train_with_window(
    scene: Scene,
    job: impl FnOnce(backflip::train::TrainOptions) -> anyhow::Result<RunDir> + Send + 'static,
) -> anyhow::Result<RunDir> {
    let (link, trainer) = backflip::human::link();
    let opts = backflip::train::TrainOptions { progress: true, human: Some(trainer) };
    let worker = std::thread::spawn(move || job(opts));
    backflip::viewer::run_window(scene, link, window_options(None, None, false)?);
    backflip::train::STOP.store(true, std::sync::atomic::Ordering::SeqCst);
    worker.join().map_err(|_| anyhow::anyhow!("the training thread panicked"))?
}

#[cfg(not(feature = "viewer"))]
fn train_with_window(
    _: Scene,
    _: impl FnOnce(backflip::train::TrainOptions) -> anyhow::Result<RunDir> + Send + 'static,
) -> anyhow::Result<RunDir> {
    anyhow::bail!(NO_VIEWER)
}

fn train(args: TrainArgs) -> anyhow::Result<()> {
    backflip::train::install_ctrlc();
    let human = args.labeler == Some(LabelerKind::Human);
    let opts = backflip::train::TrainOptions { progress: true, human: None };
    let run = if let Some(path) = args.resume {
        if human {
            let (_, config) = RunDir::open(&path)?;
            anyhow::ensure!(config.prefs.is_some(), "{}: this run does not learn from preferences", path.display());
            train_with_window(config.scene, move |opts| backflip::train::train(path, None, opts))?
        } else {
            backflip::train::train(path, None, opts)?
        }
    } else {
        let scene = Scene::resolve(&args.scene)?;
        let mut ppo = match &args.ppo_config {
            None => PpoConfig::default(),
            // A file of that name wins over a preset.
            Some(p) => match PpoConfig::preset(&p.to_string_lossy()).filter(|_| !p.exists()) {
                Some(preset) => preset,
                None => {
                    let presets = PpoConfig::PRESETS.join(", ");
                    let text = std::fs::read_to_string(p)
                        .with_context(|| format!("{}: cannot read (nor is it a preset: {presets})", p.display()))?;
                    serde_json::from_str(&text).with_context(|| format!("{}: malformed PPO config", p.display()))?
                }
            },
        };
        let handwritten = match &args.reward_weights {
            Some(p) => {
                anyhow::ensure!(args.reward == RewardKind::Handwritten && args.labeler.is_none(), "--reward-weights is for --reward handwritten");
                let text = std::fs::read_to_string(p).with_context(|| format!("{}: cannot read", p.display()))?;
                serde_json::from_str(&text).with_context(|| format!("{}: malformed reward weights", p.display()))?
            }
            None => Default::default(),
        };
        ppo.num_envs = args.envs.unwrap_or(ppo.num_envs);
        ppo.activation = args.activation.unwrap_or(ppo.activation);
        let prefs = args.labeler.map(|_| {
            let mut teacher = match args.teacher {
                TeacherKind::Humanlike => TeacherConfig::humanlike(),
                kind => TeacherConfig { kind, ..Default::default() },
            };
            teacher.beta = args.beta.unwrap_or(teacher.beta);
            teacher.eps = args.eps.unwrap_or(teacher.eps);
            teacher.equal_threshold = args.equal_threshold.unwrap_or(teacher.equal_threshold);
            teacher.skip_threshold = args.skip_threshold.unwrap_or(teacher.skip_threshold);
            teacher.gamma = args.myopic_gamma.unwrap_or(teacher.gamma);
            PrefConfig {
                comparisons: args.comparisons,
                teacher,
                queries: args.queries,
                initial_clips: args.initial_clips,
                ..Default::default()
            }
        });
        let reward = if prefs.is_some() { RewardKind::Learned } else { args.reward };
        let label = match args.labeler {
            Some(LabelerKind::Oracle) => "oracle".to_string(),
            Some(LabelerKind::Human) => "human".to_string(),
            None => format!("{:?}", args.reward),
        };
        let out = args.out.unwrap_or_else(|| {
            let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            PathBuf::from(format!("runs/{}-{}-s{}-{}", scene.name, label, args.seed, secs).to_lowercase())
        });
        let config = RunConfig {
            scene,
            reward,
            seed: args.seed,
            total_steps: args.steps,
            device: args.device,
            ppo,
            checkpoint_every: args.checkpoint_every.max(1),
            prefs,
            handwritten,
            terminate_when_unhealthy: args.terminate_when_unhealthy,
            snapshot_every: args.snapshot_every,
        };
        if human {
            let scene = config.scene.clone();
            train_with_window(scene, move |opts| backflip::train::train(out, Some(config), opts))?
        } else {
            backflip::train::train(out, Some(config), opts)?
        }
    };
    println!("run saved in {}", run.path.display());
    Ok(())
}
