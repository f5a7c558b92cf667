//! The Hopper as a PPO environment: a VecEnv, a per-step reward, and episode statistics
//! judged by the task.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::episode::EpisodeStats;
use crate::ppo::{EnvStep, PpoEnv};
use crate::scene::{Scene, TaskKind};
use crate::sim::{StepInfo, VecEnv};
use crate::task::{FlipCredit, Task};

/// Which per-step reward PPO trains on.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RewardKind {
    /// The hand-written backflip reward (the baseline).
    Handwritten,
    /// The task's known true reward (hop forward).
    True,
    /// The reward model learned from comparisons (`--labeler`).
    Learned,
}

/// Whether `reward` exists for the scene's task.
pub fn check_reward(scene: &Scene, reward: RewardKind) -> anyhow::Result<()> {
    match (reward, scene.task) {
        (RewardKind::True, TaskKind::Backflip) => {
            anyhow::bail!("scene '{}' has no true reward; use --reward handwritten", scene.name)
        }
        (RewardKind::Handwritten, TaskKind::HopForward) => anyhow::bail!(
            "the hand-written reward is for the backflip; scene '{}' has a true reward (--reward true)",
            scene.name
        ),
        _ => Ok(()),
    }
}

/// Clips recorded while training: the candidates the labeler may be asked about.
pub struct Recording {
    pub recorder: crate::pipeline::ClipRecorder,
    pub finished: Vec<crate::clip::Clip>,
}

impl Recording {
    pub fn new(recorder: crate::pipeline::ClipRecorder) -> Self {
        Recording { recorder, finished: Vec::new() }
    }
}

pub struct HopperEnv {
    pub venv: VecEnv,
    pub task: Task,
    pub reward: RewardKind,
    /// Step information of each environment's current episode so far.
    episodes: Vec<Vec<StepInfo>>,
    /// The hand-written reward's memory of each environment's episode.
    credits: Vec<FlipCredit>,
    train_returns: Vec<f32>,
    true_returns: Vec<f32>,
    /// Episodes finished since the last `drain_finished`.
    finished: Vec<EpisodeStats>,
    /// The reward model, for `RewardKind::Learned`.
    pub learned: Option<crate::reward::RewardSnapshot>,
    /// Set to record clips of every environment.
    pub recording: Option<Recording>,
}

impl HopperEnv {
    pub fn new(scene: Arc<Scene>, reward: RewardKind, num_envs: usize, seed: u64) -> anyhow::Result<HopperEnv> {
        check_reward(&scene, reward)?;
        let venv = VecEnv::new(scene.clone(), num_envs, seed);
        let episodes: Vec<Vec<StepInfo>> = (0..num_envs).map(|i| vec![venv.env(i).info()]).collect();
        let credits = episodes.iter().map(|e| FlipCredit::new(&e[0])).collect();
        Ok(HopperEnv {
            venv,
            task: Task::for_scene(&scene),
            reward,
            episodes,
            credits,
            train_returns: vec![0.0; num_envs],
            true_returns: vec![0.0; num_envs],
            finished: Vec::new(),
            learned: None,
            recording: None,
        })
    }

    pub fn drain_finished(&mut self) -> Vec<EpisodeStats> {
        std::mem::take(&mut self.finished)
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

    fn step(&mut self, actions: &[f32]) -> anyhow::Result<EnvStep> {
        let ad = self.action_dim();
        let od = self.obs_dim();
        // What the learned reward and the clip recorder need from before the step; the plain
        // rewards need none of it, and this is the rollout's hot path.
        let recording = self.recording.is_some();
        let needs_before = recording || self.reward == RewardKind::Learned;
        let obs_before = if needs_before { self.venv.observations() } else { Vec::new() };
        self.venv.record_poses = recording;
        let n = if recording { self.venv.len() } else { 0 };
        let seeds: Vec<u64> = (0..n).map(|e| self.venv.current_seed(e)).collect();
        let episode_steps: Vec<usize> = (0..n).map(|e| self.venv.env(e).steps()).collect();
        let mut step = self.venv.step(actions)?;
        // A fall that ends the episode (`terminate_when_unhealthy`): done, with no final
        // observation, so PPO bootstraps nothing after it.
        for e in 0..step.infos.len() {
            if !step.done[e] && self.task.ends_episode(&step.infos[e]) {
                step.done[e] = true;
                let first = self.venv.restart(e);
                step.obs[e * od..(e + 1) * od].copy_from_slice(first);
            }
        }
        let learned = match (&self.reward, &self.learned) {
            (RewardKind::Learned, Some(model)) => {
                let rows: Vec<f32> = (0..step.infos.len())
                    .flat_map(|e| obs_before[e * od..(e + 1) * od].iter().chain(&actions[e * ad..(e + 1) * ad]).copied())
                    .collect();
                Some(model.rewards(&rows))
            }
            // Before the first model (while the initial clips are being labelled) PPO does not
            // update, so these rewards are never learned from.
            (RewardKind::Learned, None) => Some(vec![0.0; step.infos.len()]),
            _ => None,
        };
        if let Some(rec) = &mut self.recording {
            for e in 0..step.infos.len() {
                let clip_step = crate::clip::ClipStep {
                    obs: obs_before[e * od..(e + 1) * od].to_vec(),
                    action: actions[e * ad..(e + 1) * ad].to_vec(),
                    poses: step.poses[e].clone(),
                    info: step.infos[e],
                };
                if let Some(clip) = rec.recorder.push(e, clip_step, episode_steps[e], seeds[e], step.done[e]) {
                    rec.finished.push(clip);
                }
            }
        }
        let mut rewards = Vec::with_capacity(step.infos.len());
        for (e, info) in step.infos.iter().enumerate() {
            let action = &actions[e * ad..(e + 1) * ad];
            let prev = *self.episodes[e].last().expect("episode starts with its reset state");
            let true_r = self.task.true_reward(info, action);
            let r = match self.reward {
                RewardKind::True => true_r.expect("checked in new"),
                RewardKind::Handwritten => {
                    self.task.handwritten.reward(&self.task.judge, &mut self.credits[e], &prev, info, action)
                }
                RewardKind::Learned => learned.as_ref().expect("computed above")[e],
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
