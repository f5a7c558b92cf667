//! Settings: the command line's options for a run, turned into one checked `RunConfig`.
//! main.rs only parses; every numeric setting is checked here or in the `validate` of the
//! configuration that owns it, which `RunConfig::validate` calls (at creation and on opening a
//! run folder), so a bad value is one line naming the setting, never a panic or a hang.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::device::DeviceKind;
use crate::hopper_env::RewardKind;
use crate::prefs::TeacherKind;
use crate::prefs::{InitialClips, PrefConfig};
use crate::ppo::{Activation, PpoConfig};
use crate::reward::QueryMode;
use crate::run::RunConfig;
use crate::scene::{Scene, TaskKind};
use crate::task::HandwrittenBackflipReward;

/// serde's `skip_serializing_if` for a setting whose 0 means "off": left out of run.json, so a
/// run made before the setting existed keeps its run.json.
pub fn is_zero<T: Default + PartialEq>(x: &T) -> bool {
    *x == T::default()
}

/// Checks of one numeric setting; each error names the setting and its value.
pub mod check {
    /// Finite and above zero.
    pub fn positive(name: &str, v: f64) -> anyhow::Result<()> {
        anyhow::ensure!(v.is_finite() && v > 0.0, "{name} must be a positive number, got {v}");
        Ok(())
    }

    /// Finite and not below zero.
    pub fn non_negative(name: &str, v: f64) -> anyhow::Result<()> {
        anyhow::ensure!(v.is_finite() && v >= 0.0, "{name} must be zero or more, got {v}");
        Ok(())
    }

    pub fn finite(name: &str, v: f64) -> anyhow::Result<()> {
        anyhow::ensure!(v.is_finite(), "{name} must be a finite number, got {v}");
        Ok(())
    }

    /// In [lo, hi] (`hi_open`: in [lo, hi)).
    pub fn within(name: &str, v: f64, lo: f64, hi: f64, hi_open: bool) -> anyhow::Result<()> {
        let ok = v.is_finite() && v >= lo && if hi_open { v < hi } else { v <= hi };
        let bracket = if hi_open { ")" } else { "]" };
        anyhow::ensure!(ok, "{name} must be in [{lo}, {hi}{bracket}, got {v}");
        Ok(())
    }

    pub fn at_least(name: &str, v: u64, min: u64) -> anyhow::Result<()> {
        anyhow::ensure!(v >= min, "{name} must be at least {min}, got {v}");
        Ok(())
    }
}

/// Options shared by every run: what to simulate, how long, and PPO's settings.
#[derive(clap::Args, Clone, Debug)]
pub struct RunArgs {
    /// Scene file, or the name of an embedded scene (hopper-backflip, hopper-forward).
    #[arg(long, default_value = "hopper-backflip")]
    pub scene: String,
    /// Environment steps to train for (default 10,000,000). With --resume: train the run to
    /// this many steps in all.
    #[arg(long)]
    pub steps: Option<u64>,
    #[arg(long, value_enum, default_value = "flex")]
    pub device: DeviceKind,
    /// PPO settings: a JSON file (fields of PpoConfig; missing fields keep their defaults) or
    /// the name of an embedded preset, `default` or `cleanrl` (CleanRL's shape, with tanh).
    #[arg(long)]
    pub ppo_config: Option<PathBuf>,
    /// Environments stepped together (overrides the PPO config).
    #[arg(long)]
    pub envs: Option<usize>,
    /// Hidden-layer activation (overrides the PPO config).
    #[arg(long, value_enum)]
    pub activation: Option<Activation>,
    /// PPO iterations between checkpoints and plots.
    #[arg(long, default_value_t = 10)]
    pub checkpoint_every: u64,
    /// Env steps between snapshots of the policy, kept in runs/NAME/snapshots/ for `backflip
    /// eval --at-step` (0: none).
    #[arg(long, default_value_t = 500_000)]
    pub snapshot_every: u64,
    /// The hand-written reward's weights as a JSON file (fields of HandwrittenBackflipReward;
    /// missing fields keep their defaults), with --reward handwritten.
    #[arg(long)]
    pub reward_weights: Option<PathBuf>,
}

/// Options of learning from preferences with a scripted teacher. Each overrides the
/// `--pref-config` file's value, which overrides the default.
#[derive(clap::Args, Clone, Debug)]
pub struct PrefArgs {
    /// Settings of learning from preferences: a JSON file of PrefConfig fields (the teacher,
    /// the reward model, the schedule); missing fields keep the task's defaults.
    #[arg(long)]
    pub pref_config: Option<PathBuf>,
    /// Comparisons to ask for in all (with --labeler; default 1000).
    #[arg(long)]
    pub comparisons: Option<usize>,
    /// The scripted teacher (with --labeler oracle; default humanlike).
    #[arg(long, value_enum)]
    pub teacher: Option<TeacherKind>,
    /// Rationality of the boltzmann teacher.
    #[arg(long)]
    pub beta: Option<f32>,
    /// Probability of a wrong answer (mistake, humanlike teachers).
    #[arg(long)]
    pub eps: Option<f32>,
    /// Scores closer than this are answered "equal" (equal, humanlike).
    #[arg(long)]
    pub equal_threshold: Option<f32>,
    /// Both scores below this: "can't tell" (skip).
    #[arg(long)]
    pub skip_threshold: Option<f32>,
    /// Discount of earlier steps (myopic teacher).
    #[arg(long)]
    pub myopic_gamma: Option<f32>,
    /// Score lost per full backward turn that does not end in a clean landing (default: 0.5 for
    /// the backflip, where one such turn a clip is free; 0 for hop forward).
    #[arg(long)]
    pub tumble_cost: Option<f32>,
    /// Score added, times how near upright the clip's turns came down on average (see
    /// docs/design.md, the teacher; default 0; meant for the backflip's teacher).
    #[arg(long)]
    pub landing_credit: Option<f32>,
    /// Env steps of exploration (a state-entropy reward) before the first comparisons
    /// (default: a tenth of --steps for the backflip, 0 for hop forward).
    #[arg(long)]
    pub explore_steps: Option<u64>,
    /// How queries are picked (default disagreement).
    #[arg(long, value_enum)]
    pub queries: Option<QueryMode>,
    /// What the initial comparisons (before RL) are asked about (default policy).
    #[arg(long, value_enum)]
    pub initial_clips: Option<InitialClips>,
    /// The scripted teacher waits this many seconds before each answer, standing in for a
    /// person: the run is paced by its answers instead of run in lockstep (default 0).
    #[arg(long)]
    pub answer_delay: Option<f64>,
    /// With a labeler slower than training, RL runs at most this many env steps past where
    /// the schedule wants the comparisons answered so far, then waits (default 500,000).
    #[arg(long)]
    pub pace_margin: Option<u64>,
    /// Keep the answers and clips in PostgreSQL (a libpq URL, e.g. postgres://user@host/db),
    /// where people at other desktops label too; default: the run folder.
    #[arg(long)]
    pub store: Option<String>,
}

/// The default number of env steps of a run.
pub const DEFAULT_STEPS: u64 = 10_000_000;

impl RunArgs {
    /// The PPO settings: defaults, a preset or a file, then the overrides.
    pub fn ppo_config(&self) -> anyhow::Result<PpoConfig> {
        let mut ppo = match &self.ppo_config {
            None => PpoConfig::default(),
            // A file of that name wins over a preset.
            Some(p) => match PpoConfig::preset(&p.to_string_lossy()).filter(|_| !p.exists()) {
                Some(preset) => preset,
                None => {
                    let presets = PpoConfig::PRESETS.join(", ");
                    let text = std::fs::read_to_string(p)
                        .with_context(|| format!("{}: cannot read (nor is it a preset: {presets})", p.display()))?;
                    from_json(&text).with_context(|| format!("{}: malformed PPO config", p.display()))?
                }
            },
        };
        ppo.num_envs = self.envs.unwrap_or(ppo.num_envs);
        ppo.activation = self.activation.unwrap_or(ppo.activation);
        Ok(ppo)
    }

    /// The hand-written reward's weights: defaults, or the file's.
    pub fn handwritten(&self) -> anyhow::Result<HandwrittenBackflipReward> {
        match &self.reward_weights {
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| format!("{}: cannot read", p.display()))?;
                from_json(&text).with_context(|| format!("{}: malformed reward weights", p.display()))
            }
            None => Ok(Default::default()),
        }
    }
}

/// A settings file's JSON as `T`; a field of the wrong type is named by its path (`gamma:
/// invalid type: string "x", expected f32`), where serde_json alone names none.
fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> anyhow::Result<T> {
    let mut json = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut json).map_err(|e| anyhow::anyhow!("{e}"))?;
    json.end()?;
    Ok(value)
}

/// `over`'s fields written onto `base`, object by object (a nested object keeps the fields
/// `over` does not name).
fn overlay(base: &mut serde_json::Value, over: serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(base), serde_json::Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(slot) => overlay(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, over) => *slot = over,
    }
}

/// `base` with the fields a `--pref-config` file names written over it, checked.
pub fn overlay_pref_file(base: &PrefConfig, p: &std::path::Path) -> anyhow::Result<PrefConfig> {
    let text = std::fs::read_to_string(p).with_context(|| format!("{}: cannot read", p.display()))?;
    let over: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("{}: malformed preference settings", p.display()))?;
    anyhow::ensure!(over.is_object(), "{}: preference settings must be a JSON object of PrefConfig fields", p.display());
    let mut merged = serde_json::to_value(base)?;
    overlay(&mut merged, over);
    let c: PrefConfig = serde_path_to_error::deserialize(merged).map_err(|e| anyhow::anyhow!("{}: malformed preference settings: {e}", p.display()))?;
    c.validate().with_context(|| p.display().to_string())?;
    Ok(c)
}

impl PrefArgs {
    /// The preference settings of a new run of `task` and `total_steps`: the task's defaults,
    /// then the `--pref-config` file's fields, then the options.
    pub fn pref_config(&self, task: TaskKind, total_steps: u64) -> anyhow::Result<PrefConfig> {
        let mut c = PrefConfig::for_run(task, total_steps);
        if let Some(p) = &self.pref_config {
            c = overlay_pref_file(&c, p)?;
        }
        c.explore_steps = self.explore_steps.unwrap_or(c.explore_steps);
        let t = &mut c.teacher;
        t.kind = self.teacher.unwrap_or(t.kind);
        t.beta = self.beta.unwrap_or(t.beta);
        t.eps = self.eps.unwrap_or(t.eps);
        t.equal_threshold = self.equal_threshold.unwrap_or(t.equal_threshold);
        t.skip_threshold = self.skip_threshold.unwrap_or(t.skip_threshold);
        t.gamma = self.myopic_gamma.unwrap_or(t.gamma);
        t.tumble_cost = self.tumble_cost.unwrap_or(t.tumble_cost);
        t.landing_credit = self.landing_credit.unwrap_or(t.landing_credit);
        c.comparisons = self.comparisons.unwrap_or(c.comparisons);
        c.queries = self.queries.unwrap_or(c.queries);
        c.initial_clips = self.initial_clips.unwrap_or(c.initial_clips);
        c.answer_delay = self.answer_delay.unwrap_or(c.answer_delay);
        c.pace_margin = self.pace_margin.unwrap_or(c.pace_margin);
        if let Some(url) = &self.store {
            // The run's name there is set when the run folder is (`name_store`).
            c.store = Some(crate::prefs::pg::PgTarget { url: url.clone(), run: String::new() });
        }
        Ok(c)
    }
}

/// The reward a new run trains on, as the command line gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RewardSource {
    /// A known per-step reward (hand-written or true).
    Known(RewardKind),
    /// Learned from a labeler's comparisons.
    Learned,
}

/// Builds and checks the configuration of a new run.
pub fn run_config(run: &RunArgs, prefs: &PrefArgs, source: RewardSource, seed: u64, terminate_when_unhealthy: bool) -> anyhow::Result<RunConfig> {
    let scene = Scene::resolve(&run.scene)?;
    let (reward, prefs) = match source {
        RewardSource::Known(kind) => (kind, None),
        RewardSource::Learned => (RewardKind::Learned, Some(prefs.pref_config(scene.task, run.steps.unwrap_or(DEFAULT_STEPS))?)),
    };
    anyhow::ensure!(
        run.reward_weights.is_none() || reward == RewardKind::Handwritten,
        "--reward-weights is for --reward handwritten"
    );
    let config = RunConfig {
        scene,
        reward,
        seed,
        total_steps: run.steps.unwrap_or(DEFAULT_STEPS),
        device: run.device,
        ppo: run.ppo_config()?,
        checkpoint_every: run.checkpoint_every,
        prefs,
        handwritten: run.handwritten()?,
        terminate_when_unhealthy,
        snapshot_every: run.snapshot_every,
    };
    config.validate()?;
    config.device.check()?;
    Ok(config)
}

/// A run kept in PostgreSQL is named there after its folder.
pub fn name_store(config: &mut RunConfig, folder: &Path) {
    if let Some(t) = config.prefs.as_mut().and_then(|p| p.store.as_mut()) {
        t.run = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    }
}

/// The default folder of a new run: runs/SCENE-LABEL-sSEED-UNIXTIME.
pub fn default_run_folder(scene: &str, label: &str, seed: u64) -> PathBuf {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    PathBuf::from(format!("runs/{scene}-{label}-s{seed}-{secs}").to_lowercase())
}

/// `--resume RUN --steps N`: N env steps in all. Fewer than the run has trained is refused.
pub fn extend_steps(path: &Path, config: &mut RunConfig, trained: u64, steps: u64) -> anyhow::Result<bool> {
    anyhow::ensure!(
        steps >= trained,
        "{}: --steps {steps} is fewer than the {trained} env steps this run has trained; give more, or none to finish its {}",
        path.display(),
        config.total_steps
    );
    let changed = steps != config.total_steps;
    config.total_steps = steps;
    config.validate()?;
    Ok(changed)
}
