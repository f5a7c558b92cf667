//! The `backflip` command line. Parsing lives here; the work lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use backflip::clip::Clip;
use backflip::device::DeviceKind;
use backflip::hopper_env::RewardKind;
use backflip::experiment::{Arm, Experiment, ExperimentConfig};
use backflip::ppo::{Activation, PpoConfig};
use backflip::run::RunDir;
use backflip::settings::{self, PrefArgs, RewardSource, RunArgs};
use backflip::train::Start;
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
    /// Train a policy with PPO on a known reward (hand-written backflip, or hop forward's true
    /// reward), or on a reward learned from a labeler's comparisons (--labeler).
    Train(TrainArgs),
    /// The main job against the hand-written baseline over several seeds: every run trained,
    /// evaluated, one table and one plot. Resumable.
    Experiment(ExperimentArgs),
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
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    prefs: PrefArgs,
    /// Per-step reward to train on (a labeler replaces it with the learned reward).
    #[arg(long, value_enum, default_value = "handwritten")]
    reward: RewardKind,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run folder (default: runs/SCENE-REWARD-sSEED-TIME).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue the run in this folder where it stopped (its saved settings are used, but for
    /// --steps; give --labeler human to label it yourself).
    #[arg(long, conflicts_with = "out")]
    resume: Option<PathBuf>,
    /// Learn the reward from comparisons answered by this labeler (replaces --reward).
    #[arg(long, value_enum)]
    labeler: Option<LabelerKind>,
    /// Hop forward, true reward: end a training episode when the Hopper falls (stops being
    /// healthy), as the standard benchmark does. Evaluation still plays whole episodes.
    #[arg(long)]
    terminate_when_unhealthy: bool,
}

#[derive(clap::Args)]
struct ExperimentArgs {
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    prefs: PrefArgs,
    /// Seeds, each trained once in every arm.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    seeds: Vec<u64>,
    /// Episodes of each evaluation.
    #[arg(long, default_value_t = 20)]
    episodes: usize,
    /// Env steps between evaluated snapshots (the plot's points).
    #[arg(long, default_value_t = 1_000_000)]
    eval_every: u64,
    /// Runs trained at once (1 on 2 cores; more where there are many).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Experiment folder (default: experiments/SCENE-TIME).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue the experiment in this folder where it stopped.
    #[arg(long, conflicts_with = "out")]
    resume: Option<PathBuf>,
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
        Command::Experiment(args) => experiment(args)?,
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
            (clips.into_iter().next().context("no episode")?, report.summary.backflips_per_episode.unwrap_or(0.0) as usize)
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
        let start = Start::Resume { steps: args.run.steps };
        if human {
            let (_, config) = RunDir::open(&path)?;
            anyhow::ensure!(config.prefs.is_some(), "{}: this run does not learn from preferences", path.display());
            train_with_window(config.scene, move |opts| backflip::train::train(path, start, opts))?
        } else {
            backflip::train::train(path, start, opts)?
        }
    } else {
        let source = if args.labeler.is_some() { RewardSource::Learned } else { RewardSource::Known(args.reward) };
        let config = settings::run_config(&args.run, &args.prefs, source, args.seed, args.terminate_when_unhealthy)?;
        let label = match args.labeler {
            Some(LabelerKind::Oracle) => "oracle".to_string(),
            Some(LabelerKind::Human) => "human".to_string(),
            None => format!("{:?}", args.reward),
        };
        let out = args.out.unwrap_or_else(|| settings::default_run_folder(&config.scene.name, &label, args.seed));
        if human {
            let scene = config.scene.clone();
            train_with_window(scene, move |opts| backflip::train::train(out, Start::New(config), opts))?
        } else {
            backflip::train::train(out, Start::New(config), opts)?
        }
    };
    println!("run saved in {}", run.path.display());
    Ok(())
}

fn experiment(args: ExperimentArgs) -> anyhow::Result<()> {
    backflip::train::install_ctrlc();
    let experiment = match &args.resume {
        Some(path) => Experiment::open(path)?,
        None => {
            let learned = RunArgs { reward_weights: None, ..args.run.clone() };
            let learned = settings::run_config(&learned, &args.prefs, RewardSource::Learned, 0, false)?;
            let (baseline, name) = match learned.scene.task {
                backflip::scene::TaskKind::Backflip => (RewardKind::Handwritten, "handwritten"),
                backflip::scene::TaskKind::HopForward => (RewardKind::True, "true"),
            };
            let baseline = settings::run_config(&args.run, &args.prefs, RewardSource::Known(baseline), 0, false)?;
            let out = args.out.clone().unwrap_or_else(|| {
                let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
                PathBuf::from(format!("experiments/{}-{secs}", learned.scene.name))
            });
            let config = ExperimentConfig {
                seeds: args.seeds.clone(),
                episodes: args.episodes,
                eval_every: args.eval_every,
                arms: vec![Arm { name: "learned".into(), run: learned }, Arm { name: name.into(), run: baseline }],
            };
            Experiment::create(&out, config)?
        }
    };
    if !experiment.run(args.jobs)? {
        eprintln!("stopped; continue with: backflip experiment --resume {}", experiment.path.display());
        return Ok(());
    }
    print!("{}", std::fs::read_to_string(experiment.path.join("results.md"))?);
    println!("plot: {}", experiment.path.join("success.png").display());
    Ok(())
}
