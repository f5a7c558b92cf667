//! A run folder: the resolved configuration, metrics.csv, checkpoints, plots, eval.json.
//!
//! ```text
//! runs/NAME/run.json            what was asked for: scene, reward, seed, steps, PPO config
//! runs/NAME/metrics.csv         one row per PPO iteration (appended, never rewritten)
//! runs/NAME/checkpoint/         agent.bpk (burn record) + ppo_state.json (normalisers, counters)
//!                               + optimizer.bpk (Adam's state), and with a learned reward the
//!                               reward model PPO trained on last (reward.json, reward-member-M.bpk)
//! runs/NAME/snapshots/STEP/     the policy as it was at STEP env steps (agent.bpk, ppo_state.json),
//!                               and the learned reward it trained on then
//! runs/NAME/plots/learning.png  return and task metric against env steps
//! runs/NAME/eval.json           written by `backflip eval`
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use burn::module::Module;
use burn::prelude::Device;
use burn::optim::OptimizerRecord;
use burn::store::{BurnpackStore, ModuleSnapshot};
use serde::{Deserialize, Serialize};

use crate::device::DeviceKind;
use crate::hopper_env::RewardKind;
use crate::metrics::MetricsRow;
use crate::ppo::{Agent, AgentConfig, Ppo, PpoConfig, PpoState};
use crate::reward::RewardSnapshot;
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
    pub prefs: Option<crate::prefs::PrefConfig>,
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

impl RunConfig {
    /// Checks every setting of the run (see src/settings.rs).
    pub fn validate(&self) -> anyhow::Result<()> {
        use crate::settings::check::*;
        self.scene.validate().map_err(|m| anyhow::anyhow!("scene '{}': {m}", self.scene.name))?;
        crate::hopper_env::check_reward(&self.scene, self.reward)?;
        anyhow::ensure!(
            (self.reward == RewardKind::Learned) == self.prefs.is_some(),
            "a learned reward needs a labeler (--labeler), and a labeler trains only on a learned reward"
        );
        if self.terminate_when_unhealthy {
            anyhow::ensure!(
                self.scene.task == crate::scene::TaskKind::HopForward && self.reward == RewardKind::True,
                "--terminate-when-unhealthy is for hop forward on its true reward (--reward true)"
            );
        }
        at_least("steps", self.total_steps, 1)?;
        at_least("checkpoint_every", self.checkpoint_every, 1)?;
        self.ppo.validate()?;
        self.handwritten.validate()?;
        if let Some(p) = &self.prefs {
            p.validate()?;
            anyhow::ensure!(
                p.explore_steps < self.total_steps,
                "prefs.explore_steps ({}) leaves none of the run's {} env steps to learn from comparisons",
                p.explore_steps,
                self.total_steps
            );
        }
        Ok(())
    }
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
        config.validate()?;
        fs::create_dir_all(path).with_context(|| format!("{}: cannot create run folder", path.display()))?;
        let run = RunDir { path: path.to_owned() };
        run.save_config(config)?;
        Ok(run)
    }

    pub fn open(path: &Path) -> anyhow::Result<(RunDir, RunConfig)> {
        let file = path.join("run.json");
        let text = fs::read_to_string(&file).with_context(|| format!("{}: not a run folder", path.display()))?;
        let config: RunConfig =
            serde_json::from_str(&text).with_context(|| format!("{}: malformed run configuration", file.display()))?;
        config.validate().with_context(|| format!("{}: invalid run configuration", file.display()))?;
        Ok((RunDir { path: path.to_owned() }, config))
    }

    /// Rewrites run.json (a resumed run given more steps).
    pub fn save_config(&self, config: &RunConfig) -> anyhow::Result<()> {
        config.validate()?;
        let file = self.path.join("run.json");
        crate::fsutil::write_atomic(&file, serde_json::to_string_pretty(config)?.as_bytes())
            .with_context(|| format!("{}: cannot write", file.display()))
    }

    /// The clips the labeler was asked about: clips/ID.clip.
    pub fn clips(&self) -> crate::clip::ClipDir {
        crate::clip::ClipDir::new(self.path.join("clips"))
    }

    /// The comparison store: comparisons.jsonl.
    pub fn store_path(&self) -> PathBuf {
        self.path.join("comparisons.jsonl")
    }

    /// Where this run's answers and clips are kept: PostgreSQL where its preference settings
    /// name a store, else this folder.
    pub fn pref_backend(&self, prefs: Option<&crate::prefs::PrefConfig>) -> crate::prefs::stages::Backend {
        use crate::prefs::stages::Backend;
        match prefs.and_then(|p| p.store.as_ref()) {
            Some(target) => Backend::Postgres(target.clone()),
            None => Backend::Folder { store: self.store_path(), clips: self.clips() },
        }
    }

    fn checkpoint_dir(&self) -> PathBuf {
        self.path.join("checkpoint")
    }

    pub fn has_checkpoint(&self) -> bool {
        self.checkpoint_dir().join("ppo_state.json").exists()
    }

    /// Saves the agent and trainer state, and the learned reward PPO trains on (kept to be
    /// looked at, `backflip eval --export`; a resumed run retrains its own). Each file is
    /// written beside its final name and renamed into place; the state file goes last, so a
    /// checkpoint it names is whole.
    pub fn save_checkpoint(&self, ppo: &Ppo, reward: Option<&RewardSnapshot>) -> anyhow::Result<()> {
        let dir = self.checkpoint_dir();
        fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
        if let Some(reward) = reward {
            reward.save(&dir)?;
        }
        let tmp = dir.join("optimizer.tmp.bpk");
        ppo.optimizer_record()
            .save(&tmp)
            .map_err(|e| anyhow::anyhow!("{}: cannot save the optimizer: {e}", tmp.display()))?;
        fs::rename(&tmp, dir.join("optimizer.bpk"))?;
        save_policy(ppo, &dir)
    }

    /// Env steps trained so far, as the checkpoint says (0 without one).
    pub fn trained_steps(&self) -> anyhow::Result<u64> {
        #[derive(Deserialize)]
        struct Counters {
            global_step: u64,
        }
        let file = self.checkpoint_dir().join("ppo_state.json");
        if !file.exists() {
            return Ok(0);
        }
        let text = fs::read_to_string(&file).with_context(|| format!("{}: cannot read", file.display()))?;
        let counters: Counters = serde_json::from_str(&text).with_context(|| format!("{}: malformed checkpoint state", file.display()))?;
        Ok(counters.global_step)
    }

    /// The run's trainer where its checkpoint left it, or a new one on the run's device.
    pub fn load_or_new(&self, config: &RunConfig) -> anyhow::Result<Ppo> {
        let device = config.device.device()?;
        if self.has_checkpoint() {
            self.load_checkpoint(&device, config.seed)
        } else {
            Ok(Ppo::new(config.ppo.clone(), config.scene.obs_dim(), config.scene.action_dim(), &device, config.seed))
        }
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

    /// Keeps the policy as it is now, and the learned reward it trains on, under
    /// snapshots/STEP (written aside, then renamed in).
    pub fn save_snapshot(&self, ppo: &Ppo, reward: Option<&RewardSnapshot>) -> anyhow::Result<()> {
        let dir = self.snapshot_dir(ppo.global_step);
        let tmp = dir.with_extension("tmp");
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
        if let Some(reward) = reward {
            reward.save(&tmp)?;
        }
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

    /// The step of the last snapshot at or before `step` env steps.
    fn snapshot_at(&self, step: u64) -> Option<u64> {
        self.snapshots().into_iter().rev().find(|&s| s <= step)
    }

    /// The policy of the last snapshot at or before `step` env steps, with its step.
    pub fn load_snapshot(&self, step: u64, device: &Device, seed: u64) -> anyhow::Result<(u64, Ppo)> {
        let Some(at) = self.snapshot_at(step) else {
            let all = self.snapshots();
            let list = if all.is_empty() { "none".to_string() } else { all.iter().map(u64::to_string).collect::<Vec<_>>().join(", ") };
            anyhow::bail!("{}: no snapshot at or before {step} env steps (snapshots: {list})", self.path.display());
        };
        let (state, agent) = load_agent(&self.snapshot_dir(at), device)?;
        Ok((at, Ppo::from_state(state, agent, None, device, seed)))
    }

    /// The learned reward saved with the checkpoint (`at_step` None) or with the snapshot
    /// `load_snapshot(at_step)` picks; None where none was saved.
    pub fn load_reward_model(&self, at_step: Option<u64>, device: &Device) -> anyhow::Result<Option<RewardSnapshot>> {
        let dir = match at_step {
            None => self.checkpoint_dir(),
            Some(step) => match self.snapshot_at(step) {
                Some(at) => self.snapshot_dir(at),
                None => return Ok(None),
            },
        };
        RewardSnapshot::load(&dir, device)
    }

    pub fn metrics_path(&self) -> PathBuf {
        self.path.join("metrics.csv")
    }

    /// Appends one row to metrics.csv.
    pub fn append_metrics(&self, row: &MetricsRow) -> anyhow::Result<()> {
        crate::metrics::append(&self.metrics_path(), row)
    }

    /// Every row of metrics.csv; a malformed line is an error naming the file and line.
    pub fn read_metrics(&self) -> anyhow::Result<Vec<MetricsRow>> {
        crate::metrics::read(&self.metrics_path())
    }
}

/// Writes the agent's weights to DIR/agent.bpk, then the trainer state to DIR/ppo_state.json
/// (each aside, then renamed in; the state last, so a state file names a whole policy).
fn save_policy(ppo: &Ppo, dir: &Path) -> anyhow::Result<()> {
    crate::fsutil::save_module(&ppo.agent.valid(), &dir.join("agent.bpk"), "the agent")?;
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
