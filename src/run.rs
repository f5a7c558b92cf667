//! A run folder: the resolved configuration, metrics.csv, checkpoints, plots, eval.json.
//!
//! ```text
//! runs/NAME/run.json            what was asked for: scene, reward, seed, steps, PPO config
//! runs/NAME/metrics.csv         one row per PPO iteration (appended, never rewritten)
//! runs/NAME/checkpoint/         agent.bpk (burn record) + ppo_state.json (normalisers, counters)
//!                               + optimizer.bpk (Adam's state)
//! runs/NAME/snapshots/STEP/     the policy as it was at STEP env steps (agent.bpk, ppo_state.json)
//! runs/NAME/plots/learning.png  return and task metric against env steps
//! runs/NAME/eval.json           written by `backflip eval`
//! ```

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use burn::module::Module;
use burn::prelude::Device;
use burn::optim::OptimizerRecord;
use burn::store::{BurnpackStore, ModuleSnapshot};
use serde::{Deserialize, Serialize};

use crate::device::DeviceKind;
use crate::hopper_env::RewardKind;
use crate::ppo::{Agent, AgentConfig, Ppo, PpoConfig, PpoState};
use crate::scene::Scene;

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RunConfig {
    pub scene: Scene,
    pub reward: RewardKind,
    pub seed: u64,
    /// Environment steps to train for.
    pub total_steps: u64,
    pub device: DeviceKind,
    pub ppo: PpoConfig,
    /// Iterations between checkpoints.
    pub checkpoint_every: u64,
    /// Learning from preferences (`--labeler`): None trains on `reward`.
    #[serde(default)]
    pub prefs: Option<crate::pipeline::PrefConfig>,
    /// The hand-written reward's weights (`--reward-weights`), so that a resumed run keeps the
    /// reward it started with. A weight missing from an older run.json takes today's default.
    #[serde(default)]
    pub handwritten: crate::task::HandwrittenBackflipReward,
    /// Hop forward on the true reward only: end a training episode when the Hopper stops being
    /// healthy, as the standard benchmark (and CleanRL's figure) does. Off by default: the
    /// experiment has no early termination (../shared/DESIGN.md), and evaluation always plays
    /// whole episodes.
    #[serde(default)]
    pub terminate_when_unhealthy: bool,
    /// Env steps between snapshots of the policy, kept for `backflip eval --at-step` (0: none;
    /// runs older than this field keep none).
    #[serde(default)]
    pub snapshot_every: u64,
}

#[derive(Debug)]
pub struct RunDir {
    pub path: PathBuf,
}

impl RunDir {
    pub fn create(path: &Path, config: &RunConfig) -> anyhow::Result<RunDir> {
        if path.join("run.json").exists() {
            anyhow::bail!("{}: a run already exists here; use --resume {0} to continue it", path.display());
        }
        fs::create_dir_all(path).with_context(|| format!("{}: cannot create run folder", path.display()))?;
        let run = RunDir { path: path.to_owned() };
        crate::fsutil::write_atomic(&run.path.join("run.json"), serde_json::to_string_pretty(config)?.as_bytes())
            .with_context(|| format!("{}: cannot write", run.path.join("run.json").display()))?;
        Ok(run)
    }

    pub fn open(path: &Path) -> anyhow::Result<(RunDir, RunConfig)> {
        let file = path.join("run.json");
        let text = fs::read_to_string(&file).with_context(|| format!("{}: not a run folder", path.display()))?;
        let config: RunConfig =
            serde_json::from_str(&text).with_context(|| format!("{}: malformed run configuration", file.display()))?;
        Ok((RunDir { path: path.to_owned() }, config))
    }

    fn checkpoint_dir(&self) -> PathBuf {
        self.path.join("checkpoint")
    }

    pub fn has_checkpoint(&self) -> bool {
        self.checkpoint_dir().join("ppo_state.json").exists()
    }

    /// Saves the agent and trainer state. Each file is written beside its final name and
    /// renamed into place; the state file goes last, so a checkpoint it names is whole.
    pub fn save_checkpoint(&self, ppo: &Ppo) -> anyhow::Result<()> {
        let dir = self.checkpoint_dir();
        fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
        let tmp = dir.join("optimizer.tmp.bpk");
        ppo.optimizer_record()
            .save(&tmp)
            .map_err(|e| anyhow::anyhow!("{}: cannot save the optimizer: {e}", tmp.display()))?;
        fs::rename(&tmp, dir.join("optimizer.bpk"))?;
        save_policy(ppo, &dir)
    }

    /// Loads the agent and trainer state onto `device`.
    pub fn load_checkpoint(&self, device: &Device, seed: u64) -> anyhow::Result<Ppo> {
        let dir = self.checkpoint_dir();
        let (state, agent) = load_agent(&dir, device)?;
        // Checkpoints older than the optimizer's file resume with Adam afresh.
        let optimizer_file = dir.join("optimizer.bpk");
        let optimizer = match optimizer_file.exists() {
            true => Some(
                OptimizerRecord::load(&optimizer_file)
                    .map_err(|e| anyhow::anyhow!("{}: cannot load the optimizer: {e}", optimizer_file.display()))?,
            ),
            false => None,
        };
        Ok(Ppo::from_state(state, agent, optimizer, device, seed))
    }

    fn snapshot_dir(&self, step: u64) -> PathBuf {
        self.path.join("snapshots").join(step.to_string())
    }

    /// Keeps the policy as it is now, under snapshots/STEP (written aside, then renamed in).
    pub fn save_snapshot(&self, ppo: &Ppo) -> anyhow::Result<()> {
        let dir = self.snapshot_dir(ppo.global_step);
        let tmp = dir.with_extension("tmp");
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
        save_policy(ppo, &tmp)?;
        let _ = fs::remove_dir_all(&dir);
        fs::rename(&tmp, &dir).with_context(|| format!("{}: cannot rename into place", dir.display()))?;
        Ok(())
    }

    /// The env steps of every snapshot, in order.
    pub fn snapshots(&self) -> Vec<u64> {
        let mut steps: Vec<u64> = fs::read_dir(self.path.join("snapshots"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect();
        steps.sort_unstable();
        steps
    }

    /// The policy of the last snapshot at or before `step` env steps, with its step.
    pub fn load_snapshot(&self, step: u64, device: &Device, seed: u64) -> anyhow::Result<(u64, Ppo)> {
        let all = self.snapshots();
        let Some(&at) = all.iter().rev().find(|&&s| s <= step) else {
            let list = if all.is_empty() { "none".to_string() } else { all.iter().map(u64::to_string).collect::<Vec<_>>().join(", ") };
            anyhow::bail!("{}: no snapshot at or before {step} env steps (snapshots: {list})", self.path.display());
        };
        let (state, agent) = load_agent(&self.snapshot_dir(at), device)?;
        Ok((at, Ppo::from_state(state, agent, None, device, seed)))
    }

    pub fn metrics_path(&self) -> PathBuf {
        self.path.join("metrics.csv")
    }

    /// Appends one row to metrics.csv, writing the header first when the file is new.
    pub fn append_metrics(&self, row: &MetricsRow) -> anyhow::Result<()> {
        let path = self.metrics_path();
        let new = !path.exists();
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("{}: cannot open", path.display()))?;
        if new {
            writeln!(f, "{}", MetricsRow::HEADER)?;
        }
        writeln!(f, "{}", row.to_csv())?;
        Ok(())
    }

    /// Every row of metrics.csv; a malformed line is an error naming the file and line.
    pub fn read_metrics(&self) -> anyhow::Result<Vec<MetricsRow>> {
        let path = self.metrics_path();
        if !path.exists() {
            return Ok(Vec::new());
        }
        let text = fs::read_to_string(&path)?;
        text.lines()
            .enumerate()
            .skip(1)
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| MetricsRow::from_csv(l).with_context(|| format!("{}:{}: malformed row", path.display(), i + 1)))
            .collect()
    }
}

/// One PPO iteration's numbers. Episode figures are means over the episodes that ended in
/// this iteration (empty when none did).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct MetricsRow {
    pub iteration: u64,
    pub global_step: u64,
    pub wall_seconds: f64,
    /// Environment steps per second of this iteration, rollout and update together.
    pub steps_per_sec: f64,
    pub episodes: usize,
    /// Mean episode return of the training reward.
    pub episodic_return: Option<f32>,
    /// Mean episode return of the true reward (hop forward).
    pub true_return: Option<f32>,
    pub backflips_per_episode: Option<f32>,
    /// Share of episodes with at least one clean backflip.
    pub success_rate: Option<f32>,
    pub judge_score: Option<f32>,
    pub learning_rate: f64,
    pub policy_loss: f32,
    pub value_loss: f32,
    pub entropy: f32,
    pub approx_kl: f32,
    pub clipfrac: f32,
    pub explained_variance: f32,
    /// Share of this iteration's wall time spent in the PPO update.
    pub update_fraction: f64,
    /// Comparisons answered so far (learning from preferences).
    pub comparisons: Option<usize>,
    /// The reward model's agreement with held-out answers, and its held-out loss.
    pub reward_val_accuracy: Option<f32>,
    pub reward_val_loss: Option<f32>,
}

impl MetricsRow {
    pub const HEADER: &'static str = "iteration,global_step,wall_seconds,steps_per_sec,episodes,episodic_return,true_return,backflips_per_episode,success_rate,judge_score,learning_rate,policy_loss,value_loss,entropy,approx_kl,clipfrac,explained_variance,update_fraction,comparisons,reward_val_accuracy,reward_val_loss";

    fn to_csv(&self) -> String {
        let o = |v: Option<f32>| v.map(|x| x.to_string()).unwrap_or_default();
        format!(
            "{},{},{:.3},{:.1},{},{},{},{},{},{},{:e},{},{},{},{},{},{},{:.4},{},{},{}",
            self.iteration,
            self.global_step,
            self.wall_seconds,
            self.steps_per_sec,
            self.episodes,
            o(self.episodic_return),
            o(self.true_return),
            o(self.backflips_per_episode),
            o(self.success_rate),
            o(self.judge_score),
            self.learning_rate,
            self.policy_loss,
            self.value_loss,
            self.entropy,
            self.approx_kl,
            self.clipfrac,
            self.explained_variance,
            self.update_fraction,
            self.comparisons.map(|c| c.to_string()).unwrap_or_default(),
            o(self.reward_val_accuracy),
            o(self.reward_val_loss)
        )
    }

    fn from_csv(line: &str) -> anyhow::Result<MetricsRow> {
        let f: Vec<&str> = line.split(',').collect();
        // 18 fields: written before the preference columns existed; they read as empty.
        anyhow::ensure!(f.len() == 21 || f.len() == 18, "expected 21 fields, found {}", f.len());
        let extra = |i: usize| f.get(i).copied().unwrap_or("");
        let o = |s: &str| -> anyhow::Result<Option<f32>> { Ok(if s.is_empty() { None } else { Some(s.parse()?) }) };
        Ok(MetricsRow {
            iteration: f[0].parse()?,
            global_step: f[1].parse()?,
            wall_seconds: f[2].parse()?,
            steps_per_sec: f[3].parse()?,
            episodes: f[4].parse()?,
            episodic_return: o(f[5])?,
            true_return: o(f[6])?,
            backflips_per_episode: o(f[7])?,
            success_rate: o(f[8])?,
            judge_score: o(f[9])?,
            learning_rate: f[10].parse()?,
            policy_loss: f[11].parse()?,
            value_loss: f[12].parse()?,
            entropy: f[13].parse()?,
            approx_kl: f[14].parse()?,
            clipfrac: f[15].parse()?,
            explained_variance: f[16].parse()?,
            update_fraction: f[17].parse()?,
            comparisons: if extra(18).is_empty() { None } else { Some(extra(18).parse()?) },
            reward_val_accuracy: o(extra(19))?,
            reward_val_loss: o(extra(20))?,
        })
    }
}

/// Writes the agent's weights to DIR/agent.bpk, then the trainer state to DIR/ppo_state.json
/// (each aside, then renamed in; the state last, so a state file names a whole policy).
fn save_policy(ppo: &Ppo, dir: &Path) -> anyhow::Result<()> {
    let tmp = dir.join("agent.tmp.bpk");
    let mut store = BurnpackStore::from_file(&tmp).overwrite(true);
    ppo.agent
        .valid()
        .save_into(&mut store)
        .map_err(|e| anyhow::anyhow!("{}: cannot save the agent: {e}", tmp.display()))?;
    fs::rename(&tmp, dir.join("agent.bpk"))?;
    crate::fsutil::write_atomic(&dir.join("ppo_state.json"), serde_json::to_string(&ppo.state())?.as_bytes())?;
    Ok(())
}

/// Reads DIR/ppo_state.json and DIR/agent.bpk, the agent on `device`'s plain (no autodiff) side.
fn load_agent(dir: &Path, device: &Device) -> anyhow::Result<(PpoState, Agent)> {
    let state_file = dir.join("ppo_state.json");
    let text = fs::read_to_string(&state_file).with_context(|| format!("{}: no checkpoint", state_file.display()))?;
    let state: PpoState =
        serde_json::from_str(&text).with_context(|| format!("{}: malformed checkpoint state", state_file.display()))?;
    let agent_file = dir.join("agent.bpk");
    // Loaded on the plain device; `Ppo::from_state` moves it to the autodiff device as fresh
    // leaves (loading straight onto autodiff leaves graph nodes in the parameters).
    let mut agent: Agent = AgentConfig::new(state.obs_dim, state.action_dim, state.config.hidden, 0.0)
        .init(state.config.activation, &device.clone().inner());
    let mut store = BurnpackStore::from_file(&agent_file);
    agent
        .load_from(&mut store)
        .map_err(|e| anyhow::anyhow!("{}: cannot load the agent: {e}", agent_file.display()))?;
    Ok((state, agent))
}
