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
    /// Continue the run in this folder where it stopped (its saved settings are used).
    #[arg(long, conflicts_with = "out")]
    resume: Option<PathBuf>,
    /// PPO settings as a JSON file (fields of PpoConfig; missing fields keep their defaults).
    #[arg(long)]
    ppo_config: Option<PathBuf>,
    /// Environments stepped together (overrides the PPO config).
    #[arg(long)]
    envs: Option<usize>,
    /// Hidden-layer activation (overrides the PPO config).
    #[arg(long, value_enum)]
    activation: Option<Activation>,
    /// PPO iterations between checkpoints and plots.
    #[arg(long, default_value_t = 10)]
    checkpoint_every: u64,
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LabelerKind {
    /// A scripted teacher (headless).
    Oracle,
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
        Command::Eval { run, episodes, export } => {
            let (dir, config) = RunDir::open(&run)?;
            let ppo = dir.load_checkpoint(&config.device.device()?, config.seed)?;
            let scene = Arc::new(config.scene.clone());
            let (report, clips) = backflip::eval::evaluate(&ppo, scene, episodes, config.seed, export.is_some())?;
            report.save(&dir.path)?;
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

fn train(args: TrainArgs) -> anyhow::Result<()> {
    backflip::train::install_ctrlc();
    let opts = backflip::train::TrainOptions { progress: true };
    let run = if let Some(path) = args.resume {
        backflip::train::train(path, None, &opts)?
    } else {
        let scene = Scene::resolve(&args.scene)?;
        let mut ppo = match &args.ppo_config {
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| format!("{}: cannot read", p.display()))?;
                serde_json::from_str(&text).with_context(|| format!("{}: malformed PPO config", p.display()))?
            }
            None => PpoConfig::default(),
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
            PrefConfig { comparisons: args.comparisons, teacher, queries: args.queries, ..Default::default() }
        });
        let reward = if prefs.is_some() { RewardKind::Learned } else { args.reward };
        let label = if prefs.is_some() { "oracle".to_string() } else { format!("{:?}", args.reward) };
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
        };
        backflip::train::train(out, Some(config), &opts)?
    };
    println!("run saved in {}", run.path.display());
    Ok(())
}
