//! N environments stepped together on all cores. Each environment has its own seed stream,
//! so results do not depend on the thread count.

use std::sync::Arc;

use rayon::prelude::*;

use super::env::{Env, SimError, StepInfo};
use super::world::BodyPose;
use crate::scene::Scene;

/// The seed of episode `episode` of environment `env` in a run seeded with `base`
/// (SplitMix64 over the three numbers: distinct, well mixed streams).
pub fn episode_seed(base: u64, env: usize, episode: u64) -> u64 {
    let mut z = base
        .wrapping_add((env as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(episode.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Slot {
    env: Env,
    episode: u64,
    obs: Vec<f32>,
}

impl Slot {
    /// Starts this environment's next episode (environment `i` of a run seeded with `base`).
    fn next_episode(&mut self, base: u64, i: usize) {
        self.episode += 1;
        self.obs = self.env.reset(episode_seed(base, i, self.episode));
    }
}

/// What one step of all environments gives back.
#[derive(Default)]
pub struct VecStep {
    /// Observation of each environment to act on next (after an automatic reset), flattened.
    pub obs: Vec<f32>,
    /// Step information of the step just taken (before any reset).
    pub infos: Vec<StepInfo>,
    /// The episode of this environment ended with this step (time limit; never a failure).
    pub done: Vec<bool>,
    /// For environments that ended: the last observation of the finished episode.
    pub final_obs: Vec<Option<Vec<f32>>>,
    /// Body poses after the step (before any reset), when recording is on.
    pub poses: Vec<Vec<BodyPose>>,
}

/// One environment's step: its information, whether its episode ended (and the last
/// observation if so), and its body poses when recording.
type EnvOutcome = (StepInfo, bool, Option<Vec<f32>>, Vec<BodyPose>);

pub struct VecEnv {
    slots: Vec<Slot>,
    base_seed: u64,
    obs_dim: usize,
    pub record_poses: bool,
}

impl VecEnv {
    pub fn new(scene: Arc<Scene>, n: usize, base_seed: u64) -> VecEnv {
        let obs_dim = scene.obs_dim();
        let slots = (0..n)
            .map(|i| {
                let mut env = Env::new(scene.clone());
                let obs = env.reset(episode_seed(base_seed, i, 0));
                Slot { env, episode: 0, obs }
            })
            .collect();
        VecEnv { slots, base_seed, obs_dim, record_poses: false }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// Current observations, flattened (`len() * obs_dim()`).
    pub fn observations(&self) -> Vec<f32> {
        self.slots.iter().flat_map(|s| s.obs.iter().copied()).collect()
    }

    pub fn env(&self, i: usize) -> &Env {
        &self.slots[i].env
    }

    /// Seed of the episode environment `i` is playing now.
    pub fn current_seed(&self, i: usize) -> u64 {
        episode_seed(self.base_seed, i, self.slots[i].episode)
    }

    /// Ends environment `i`'s episode now and starts its next one; returns the new first
    /// observation (also what `observations` gives for it from now on).
    pub fn restart(&mut self, i: usize) -> &[f32] {
        self.slots[i].next_episode(self.base_seed, i);
        &self.slots[i].obs
    }

    /// Steps every environment with its slice of `actions` (`len() * action_dim`), in parallel.
    pub fn step(&mut self, actions: &[f32]) -> Result<VecStep, SimError> {
        let n = self.slots.len();
        let adim = actions.len() / n.max(1);
        let base = self.base_seed;
        let record = self.record_poses;
        // Environments are independent tasks for rayon's work stealing, which balances
        // environments whose steps cost more (contacts) better than fixed groups per thread.
        // Results do not depend on the scheduling.
        let results: Vec<Result<EnvOutcome, SimError>> = self
            .slots
            .par_iter_mut()
            .zip(actions.par_chunks(adim.max(1)))
            .enumerate()
            .map(|(i, (slot, action))| {
                let (obs, done) = slot.env.step(action)?;
                let info = slot.env.info();
                let poses = if record { slot.env.poses() } else { Vec::new() };
                let final_obs = if done {
                    slot.next_episode(base, i);
                    Some(obs)
                } else {
                    slot.obs = obs;
                    None
                };
                Ok((info, done, final_obs, poses))
            })
            .collect();
        let mut out = VecStep { obs: Vec::with_capacity(n * self.obs_dim), ..Default::default() };
        for r in results {
            let (info, done, final_obs, poses) = r?;
            out.infos.push(info);
            out.done.push(done);
            out.final_obs.push(final_obs);
            out.poses.push(poses);
        }
        for s in &self.slots {
            out.obs.extend_from_slice(&s.obs);
        }
        Ok(out)
    }
}
