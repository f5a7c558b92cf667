//! The Hopper as a PPO environment: a VecEnv with the reward it is built with, and the
//! observers it is built with: every finished episode judged by the task, and, where asked,
//! clips cut from every environment. One environment serves training, labelling, rollouts
//! and evaluation (`HopperEnv::play`).

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::clip::{Clip, ClipRecorder, ClipStep};
use crate::episode::EpisodeStats;
use crate::ppo::{EnvStep, PpoEnv};
use crate::reward::{Novelty, RewardSnapshot, novelty};
use crate::scene::{Scene, TaskKind};
use crate::sim::{StepInfo, VecEnv, applied_action};
use crate::task::{FlipCredit, HandwrittenBackflipReward, Task, hop_forward_distance_reward, is_healthy};

/// Which per-step reward PPO trains on (saved in run.json).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RewardKind {
    /// The hand-written backflip reward (the baseline).
    Handwritten,
    /// The task's known true reward (hop forward).
    True,
    /// Hop forward's true reward without its bonus for staying healthy: forward speed less the
    /// control cost. Not a task's reward: the ablation that says what a reward of distance
    /// alone teaches PPO (docs/notebook/2026-12-06-queries.md, hop forward).
    Distance,
    /// The reward model learned from comparisons (`--labeler`).
    Learned,
}

/// Whether `reward` exists for the scene's task.
pub fn check_reward(scene: &Scene, reward: RewardKind) -> anyhow::Result<()> {
    match (reward, scene.task) {
        (RewardKind::True | RewardKind::Distance, TaskKind::Backflip) => {
            anyhow::bail!("scene '{}' has no true reward (nor its distance part); use --reward handwritten", scene.name)
        }
        (RewardKind::Handwritten, TaskKind::HopForward) => anyhow::bail!(
            "the hand-written reward is for the backflip; scene '{}' has a true reward (--reward true)",
            scene.name
        ),
        _ => Ok(()),
    }
}

/// The learned reward as environments see it: the snapshot its owner (the preference driver)
/// put there last. Until the first, the reward is 0 (PPO does not update before it).
#[derive(Clone, Default)]
pub struct LearnedReward(Arc<Mutex<Option<RewardSnapshot>>>);

impl LearnedReward {
    pub fn set(&self, snapshot: RewardSnapshot) {
        *self.0.lock().expect("no panic while holding the reward") = Some(snapshot);
    }

    pub fn is_set(&self) -> bool {
        self.0.lock().expect("no panic while holding the reward").is_some()
    }

    /// The snapshot the environments use now (a cheap copy: the weights are shared).
    pub fn current(&self) -> Option<RewardSnapshot> {
        self.0.lock().expect("no panic while holding the reward").clone()
    }

    /// Per-step rewards of one step of every environment (observations before it, actions,
    /// infos after it); zeros before the first snapshot.
    fn rewards(&self, obs: &[f32], actions: &[f32], infos: &[StepInfo], bodies: usize) -> Vec<f32> {
        let n = infos.len();
        let Some(model) = &*self.0.lock().expect("no panic while holding the reward") else { return vec![0.0; n] };
        let (od, ad) = (obs.len() / n, actions.len() / n);
        let mut rows = Vec::new();
        for e in 0..n {
            model.input.push_row(&mut rows, &obs[e * od..(e + 1) * od], &actions[e * ad..(e + 1) * ad], &infos[e], bodies);
        }
        model.rewards(&rows)
    }
}

/// The per-step reward an environment gives.
#[derive(Clone)]
pub enum EnvReward {
    /// The hand-written backflip reward with these weights.
    Handwritten(HandwrittenBackflipReward),
    /// The task's true reward (hop forward).
    True,
    /// Its distance part alone (hop forward; `RewardKind::Distance`).
    Distance,
    /// The learned reward model.
    Learned(LearnedReward),
    /// Exploration before the first comparisons: the torso's state's novelty
    /// (src/reward/novelty.rs).
    Explore,
    /// None at all: evaluation, rollouts, labelling without a model.
    Zero,
}

impl EnvReward {
    fn kind(&self) -> Option<RewardKind> {
        match self {
            EnvReward::Handwritten(_) => Some(RewardKind::Handwritten),
            EnvReward::True => Some(RewardKind::True),
            EnvReward::Distance => Some(RewardKind::Distance),
            EnvReward::Learned(_) => Some(RewardKind::Learned),
            EnvReward::Explore | EnvReward::Zero => None,
        }
    }
}

/// What an environment is built with, besides its scene and seed.
pub struct EnvSpec {
    pub reward: EnvReward,
    /// End a hop-forward episode when the Hopper stops being healthy, as the standard
    /// benchmark does (see `RunConfig::terminate_when_unhealthy`).
    pub terminate_when_unhealthy: bool,
    /// Cut clips from every environment.
    pub clips: Option<ClipRecorder>,
}

impl EnvSpec {
    pub fn reward(reward: EnvReward) -> EnvSpec {
        EnvSpec { reward, terminate_when_unhealthy: false, clips: None }
    }
}

pub struct HopperEnv {
    pub venv: VecEnv,
    task: Task,
    reward: EnvReward,
    terminate_when_unhealthy: bool,
    /// Step information of each environment's current episode so far.
    episodes: Vec<Vec<StepInfo>>,
    /// The hand-written reward's memory of each environment's episode.
    credits: Vec<FlipCredit>,
    train_returns: Vec<f32>,
    true_returns: Vec<f32>,
    /// Episodes finished since the last `drain_finished`.
    finished: Vec<EpisodeStats>,
    clips: Option<ClipRecorder>,
    /// Bodies of the scene (the reward model may see their contacts).
    bodies: usize,
    /// The states visited lately (`EnvReward::Explore` only).
    novelty: Option<Novelty>,
}

impl HopperEnv {
    pub fn new(scene: Arc<Scene>, spec: EnvSpec, num_envs: usize, seed: u64) -> anyhow::Result<HopperEnv> {
        if let Some(kind) = spec.reward.kind() {
            check_reward(&scene, kind)?;
        }
        let mut venv = VecEnv::new(scene.clone(), num_envs, seed);
        venv.record_poses = spec.clips.is_some();
        let episodes: Vec<Vec<StepInfo>> = (0..num_envs).map(|i| vec![venv.env(i).info()]).collect();
        let credits = episodes.iter().map(|e| FlipCredit::new(&e[0])).collect();
        Ok(HopperEnv {
            venv,
            task: Task::for_scene(&scene),
            novelty: matches!(spec.reward, EnvReward::Explore).then(Novelty::new),
            reward: spec.reward,
            terminate_when_unhealthy: spec.terminate_when_unhealthy,
            episodes,
            credits,
            train_returns: vec![0.0; num_envs],
            true_returns: vec![0.0; num_envs],
            finished: Vec::new(),
            clips: spec.clips,
            bodies: scene.bodies.len(),
        })
    }

    /// The episodes finished since the last call, judged.
    pub fn drain_finished(&mut self) -> Vec<EpisodeStats> {
        std::mem::take(&mut self.finished)
    }

    /// The clips cut since the last call (none without a recorder).
    pub fn take_clips(&mut self) -> Vec<Clip> {
        self.clips.as_mut().map(ClipRecorder::take_finished).unwrap_or_default()
    }

    /// Cuts the clips every environment has gathered so far (the end of a recording).
    pub fn flush_clips(&mut self) {
        if let Some(r) = &mut self.clips {
            r.flush();
        }
    }

    /// Plays `steps` control steps in every environment with the actions `policy` gives for
    /// the current observations (all environments' rows together).
    pub fn play(&mut self, steps: usize, mut policy: impl FnMut(&[f32]) -> Vec<f32>) -> anyhow::Result<()> {
        for _ in 0..steps {
            let actions = policy(&self.venv.observations());
            PpoEnv::step(self, &actions)?;
        }
        Ok(())
    }

    /// Whether this step ends the episode for a reason other than its length: a hop-forward
    /// fall, with `terminate_when_unhealthy` only.
    fn ends_episode(&self, now: &StepInfo) -> bool {
        self.terminate_when_unhealthy && self.task.kind == TaskKind::HopForward && !is_healthy(now)
    }
}

impl PpoEnv for HopperEnv {
    fn num_envs(&self) -> usize {
        self.venv.len()
    }

    fn obs_dim(&self) -> usize {
        self.venv.obs_dim()
    }

    fn action_dim(&self) -> usize {
        self.venv.env(0).scene().action_dim()
    }

    fn observations(&self) -> Vec<f32> {
        self.venv.observations()
    }

    fn step(&mut self, asked: &[f32]) -> anyhow::Result<EnvStep> {
        // PPO's sample may leave [-1, 1]; the hopper gets it clamped. Rewards, clips and the
        // teachers take the action applied: a reward of the sample would pay numbers that move
        // nothing, and the policies pushed them to 8 (docs/notebook/2026-12-06-tumble-count.md).
        let actions: &[f32] = &asked.iter().map(|&a| applied_action(a)).collect::<Vec<f32>>();
        let ad = self.action_dim();
        let od = self.obs_dim();
        // What the learned reward and the clip recorder need from before the step; the plain
        // rewards need none of it, and this is the rollout's hot path.
        let recording = self.clips.is_some();
        let learned = matches!(self.reward, EnvReward::Learned(_));
        let obs_before = if recording || learned { self.venv.observations() } else { Vec::new() };
        let n = if recording { self.venv.len() } else { 0 };
        let seeds: Vec<u64> = (0..n).map(|e| self.venv.current_seed(e)).collect();
        let episode_steps: Vec<usize> = (0..n).map(|e| self.venv.env(e).steps()).collect();
        let mut step = self.venv.step(actions)?;
        // A fall that ends the episode (`terminate_when_unhealthy`): done, with no final
        // observation, so PPO bootstraps nothing after it.
        for e in 0..step.infos.len() {
            if !step.done[e] && self.ends_episode(&step.infos[e]) {
                step.done[e] = true;
                let first = self.venv.restart(e);
                step.obs[e * od..(e + 1) * od].copy_from_slice(first);
            }
        }
        let learned_rewards = match &self.reward {
            // Before the first model (while the initial clips are being labelled) PPO does not
            // update, so those zeros are never learned from.
            EnvReward::Learned(model) => Some(model.rewards(&obs_before, actions, &step.infos, self.bodies)),
            _ => None,
        };
        let novelty_rewards = self.novelty.as_mut().map(|novelty| {
            let scene = self.venv.env(0).scene();
            let states: Vec<_> = (0..step.infos.len())
                .map(|e| {
                    // The state the step reached: before the reset, where the episode ended.
                    let reached = step.final_obs[e].as_deref().unwrap_or(&step.obs[e * od..(e + 1) * od]);
                    novelty::torso_features(reached, scene.joints.len(), scene.velocity_clip)
                })
                .collect();
            novelty.rewards(&states)
        });
        if let Some(rec) = &mut self.clips {
            for e in 0..step.infos.len() {
                let clip_step = ClipStep {
                    obs: obs_before[e * od..(e + 1) * od].to_vec(),
                    action: actions[e * ad..(e + 1) * ad].to_vec(),
                    poses: step.poses[e].clone(),
                    info: step.infos[e],
                };
                rec.push(e, clip_step, episode_steps[e], seeds[e], step.done[e]);
            }
        }
        let mut rewards = Vec::with_capacity(step.infos.len());
        for (e, info) in step.infos.iter().enumerate() {
            let action = &actions[e * ad..(e + 1) * ad];
            let prev = *self.episodes[e].last().expect("episode starts with its reset state");
            let true_r = self.task.true_reward(info, action);
            let r = match &self.reward {
                EnvReward::True => true_r.expect("checked in new"),
                EnvReward::Distance => hop_forward_distance_reward(info, action),
                EnvReward::Handwritten(weights) => weights.reward(&self.task.judge, &mut self.credits[e], &prev, info, action),
                EnvReward::Learned(_) => learned_rewards.as_ref().expect("computed above")[e],
                EnvReward::Explore => novelty_rewards.as_ref().expect("computed above")[e],
                EnvReward::Zero => 0.0,
            };
            rewards.push(r);
            self.train_returns[e] += r;
            self.true_returns[e] += true_r.unwrap_or(0.0);
            self.episodes[e].push(*info);
            if step.done[e] {
                let infos = &self.episodes[e][1..];
                let true_return = true_r.map(|_| self.true_returns[e]);
                self.finished.push(EpisodeStats::judge(&self.task, infos, self.train_returns[e], true_return));
                self.train_returns[e] = 0.0;
                self.true_returns[e] = 0.0;
                self.episodes[e].clear();
                self.episodes[e].push(self.venv.env(e).info());
                self.credits[e] = FlipCredit::new(&self.episodes[e][0]);
            }
        }
        Ok(EnvStep { obs: step.obs, rewards, done: step.done, final_obs: step.final_obs })
    }
}
