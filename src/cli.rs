//! The command line, as clap parses it. What each command does lives in commands.rs.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::device::DeviceKind;
use crate::hopper_env::RewardKind;
use crate::ppo::Activation;
use crate::rollout::FixedPolicy;
use crate::settings::{PrefArgs, RunArgs};

/// Learn a Hopper backflip from preferences (Christiano et al. 2017).
#[derive(Parser)]
#[command(name = "backflip", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
        /// The run folder (one trained with --labeler); or, with --store, none.
        #[arg(required_unless_present = "store")]
        run: Option<PathBuf>,
        /// Label a run kept in PostgreSQL, from any machine: its URL...
        #[arg(long, requires = "run_name", conflicts_with = "run")]
        store: Option<String>,
        /// ...and the run's name there (printed by the trainer).
        #[arg(long = "run", value_name = "NAME")]
        run_name: Option<String>,
        /// The name your answers are recorded under (default: your login name).
        #[arg(long)]
        name: Option<String>,
        /// With --store: answer with the run's scripted teacher instead of in the window.
        #[arg(long, requires = "store")]
        scripted: bool,
        /// With --scripted: seconds it waits before each answer, standing in for a person.
        #[arg(long, requires = "scripted")]
        answer_delay: Option<f64>,
    },
    /// Who labelled a run, and how: answers, seconds per answer, equal and can't-tell shares,
    /// undos, and agreement with the scripted judge on the same pairs.
    Labelers {
        /// The run folder.
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
    /// Work with learned reward models.
    Reward {
        #[command(subcommand)]
        command: RewardCommand,
    },
    /// Measure speed; prints one JSON object with --json.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub prefs: PrefArgs,
    /// Per-step reward to train on (a labeler replaces it with the learned reward).
    #[arg(long, value_enum, default_value = "handwritten")]
    pub reward: RewardKind,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run folder (default: runs/SCENE-REWARD-sSEED-TIME).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the run in this folder where it stopped (its saved settings are used, but for
    /// --steps; give --labeler human to label it yourself).
    #[arg(long, conflicts_with = "out")]
    pub resume: Option<PathBuf>,
    /// Learn the reward from comparisons answered by this labeler (replaces --reward).
    #[arg(long, value_enum)]
    pub labeler: Option<LabelerKind>,
    /// Hop forward, true reward: end a training episode when the Hopper falls (stops being
    /// healthy), as the standard benchmark does. Evaluation still plays whole episodes.
    #[arg(long)]
    pub terminate_when_unhealthy: bool,
    /// With --labeler human: the name your answers are recorded under (default: your login).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(clap::Args)]
pub struct ExperimentArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub prefs: PrefArgs,
    /// Seeds, each trained once in every arm.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub seeds: Vec<u64>,
    /// Episodes of each evaluation.
    #[arg(long, default_value_t = 20)]
    pub episodes: usize,
    /// Env steps between evaluated snapshots (the plot's points).
    #[arg(long, default_value_t = 1_000_000)]
    pub eval_every: u64,
    /// The arms to train: `learned` (the main job) and `baseline` (PPO on the hand-written
    /// reward; for hop forward, on the true reward).
    #[arg(long, value_delimiter = ',', default_value = "learned,baseline")]
    pub arms: Vec<ArmKind>,
    /// Runs trained at once (1 on 2 cores; more where there are many).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Experiment folder (default: experiments/SCENE-TIME).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the experiment in this folder where it stopped.
    #[arg(long, conflicts_with = "out")]
    pub resume: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ArmKind {
    Learned,
    Baseline,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LabelerKind {
    /// A scripted teacher (headless).
    Oracle,
    /// You, in the desktop viewer.
    Human,
    /// People at other desktops only (`backflip label --store URL --run NAME`); needs --store.
    Remote,
}

#[derive(Subcommand)]
pub enum ClipCommand {
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
    /// Print the learned reward at every step of every clip a run saved, from the reward model
    /// the run kept (its checkpoint's, or a snapshot's): JSON {"version": V, "clips": {ID: [r, ...]}}.
    Rewards {
        /// The run folder (a run trained on comparisons).
        run: PathBuf,
        /// The reward model of the last snapshot at or before this many env steps, instead of
        /// the checkpoint's.
        #[arg(long, conflicts_with = "model")]
        at_step: Option<u64>,
        /// A reward model saved elsewhere (`backflip reward refit --out DIR`), instead of the
        /// run's own.
        #[arg(long)]
        model: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum RewardCommand {
    /// Fit a reward model afresh on a run's first comparisons, as its trainer holds them (the
    /// same held-out answers and inputs), and save it into a folder: to compare with the model
    /// the run grew round by round (`backflip clip rewards RUN --model DIR`).
    Refit {
        /// The run folder (a run trained on comparisons).
        run: PathBuf,
        /// Comparisons to fit on: the run's first this many in force (default: all).
        #[arg(long)]
        comparisons: Option<usize>,
        /// Epochs over them (default: the run's prefs.pretrain_epochs).
        #[arg(long)]
        epochs: Option<usize>,
        /// Seed of the members' initial weights and resampling (default: the run's).
        #[arg(long)]
        seed: Option<u64>,
        /// Preference settings written over the run's (the reward model's among them), as
        /// `train --pref-config` takes them: to fit another model on the same answers.
        #[arg(long)]
        pref_config: Option<PathBuf>,
        /// Folder to save the model in (created; reward.json and the members' weights).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum BenchCommand {
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
    /// Whether PPO on a device computes what it does on flex: both from the same networks on
    /// the same environments; exits with an error when the first iteration's policies differ
    /// by more than the tolerance.
    Agree {
        #[arg(long, default_value = "hopper-backflip")]
        scene: String,
        #[arg(long, value_enum)]
        device: DeviceKind,
        #[arg(long, default_value_t = 2)]
        iterations: u64,
        #[arg(long)]
        envs: Option<usize>,
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

