//! Benchmarks, printed as JSON: each figure is measured in this process, so ratios between
//! them (vector against single thread, one device against another) are fair on a noisy machine.

use std::sync::Arc;
use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::scene::Scene;
use crate::sim::{Env, VecEnv};

#[derive(Serialize, Debug)]
pub struct SimBench {
    pub scene: String,
    /// Control steps per second, one environment on one thread, random actions, resets counted.
    pub steps_per_sec_single: f64,
    /// Control steps per second of all environments of a VecEnv stepped on all threads.
    pub steps_per_sec_vec: f64,
    /// Threads of the VecEnv's pool.
    pub threads: usize,
    pub vec_envs: usize,
    pub steps: usize,
}

/// Steps one environment `steps` times, then a VecEnv of `envs` environments for the same
/// total number of environment steps.
pub fn bench_sim(scene: Arc<Scene>, steps: usize, envs: usize) -> anyhow::Result<SimBench> {
    let adim = scene.action_dim();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut env = Env::new(scene.clone());
    env.reset(0);
    let mut episode = 0;
    let start = Instant::now();
    let mut action = vec![0.0f32; adim];
    for _ in 0..steps {
        action.iter_mut().for_each(|a| *a = rng.random_range(-1.0..=1.0));
        let (_, done) = env.step(&action)?;
        if done {
            episode += 1;
            env.reset(episode);
        }
    }
    let single = steps as f64 / start.elapsed().as_secs_f64();

    let mut venv = VecEnv::new(scene.clone(), envs, 0);
    let rounds = steps.div_ceil(envs);
    let mut actions = vec![0.0f32; envs * adim];
    let start = Instant::now();
    for _ in 0..rounds {
        actions.iter_mut().for_each(|a| *a = rng.random_range(-1.0..=1.0));
        venv.step(&actions)?;
    }
    let vec = (rounds * envs) as f64 / start.elapsed().as_secs_f64();
    Ok(SimBench {
        scene: scene.name.clone(),
        steps_per_sec_single: single,
        steps_per_sec_vec: vec,
        threads: rayon::current_num_threads(),
        vec_envs: envs,
        steps,
    })
}

#[derive(Serialize, Debug)]
pub struct PpoBench {
    pub device: String,
    /// Environment steps per second of training end to end (rollouts plus updates).
    pub env_steps_per_sec: f64,
    /// Share of wall time spent in PPO updates.
    pub update_fraction: f64,
    pub iterations: u64,
    pub env_steps: u64,
}

/// Trains PPO with the default settings on the hand-written backflip reward for `iterations`
/// iterations (after one warm-up iteration that is not counted).
pub fn bench_ppo(
    scene: Arc<Scene>,
    device: crate::device::DeviceKind,
    config: crate::ppo::PpoConfig,
    iterations: u64,
) -> anyhow::Result<PpoBench> {
    use crate::hopper_env::{EnvReward, EnvSpec, HopperEnv};
    let dev = device.device()?;
    let mut ppo = crate::ppo::Ppo::new(config.clone(), scene.obs_dim(), scene.action_dim(), &dev, 0);
    let mut env = HopperEnv::new(scene, EnvSpec::reward(EnvReward::Handwritten(Default::default())), config.num_envs, 0)?;
    let total = iterations + 1;
    ppo.iterate(&mut env, total)?;
    let (mut rollout, mut update) = (0.0, 0.0);
    for _ in 0..iterations {
        let s = ppo.iterate(&mut env, total)?;
        rollout += s.rollout_seconds;
        update += s.update_seconds;
    }
    let steps = iterations * config.batch_size() as u64;
    Ok(PpoBench {
        device: device.name().into(),
        env_steps_per_sec: steps as f64 / (rollout + update),
        update_fraction: update / (rollout + update),
        iterations,
        env_steps: steps,
    })
}

#[derive(Serialize, Debug)]
pub struct RewardBench {
    pub device: String,
    /// Seconds for one epoch of every ensemble member over its resample of the comparisons.
    pub epoch_seconds: f64,
    pub comparisons: usize,
    pub clip_steps: usize,
}

/// One epoch of reward-ensemble training on `comparisons` synthetic comparisons of clips of
/// the scene's length (random rows: the cost does not depend on the values).
pub fn bench_reward(scene: &Scene, device: crate::device::DeviceKind, comparisons: usize) -> anyhow::Result<RewardBench> {
    use crate::reward::{LabeledPair, RewardConfig, RewardEnsemble};
    let d = scene.obs_dim() + scene.action_dim();
    let k = scene.clip_steps();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut clip = || Arc::new((0..k * d).map(|_| rng.random_range(-1.0f32..1.0)).collect::<Vec<f32>>());
    let pairs: Vec<LabeledPair> = (0..comparisons)
        .map(|i| LabeledPair { left: clip(), right: clip(), target: (i % 2) as f32, validation: false })
        .collect();
    let mut ensemble = RewardEnsemble::new(RewardConfig::default(), d, &device.device()?, 0);
    ensemble.train(&pairs[..32.min(pairs.len())], 1, &[]); // warm-up
    let start = Instant::now();
    ensemble.train(&pairs, 1, &[]);
    Ok(RewardBench { device: device.name().into(), epoch_seconds: start.elapsed().as_secs_f64(), comparisons, clip_steps: k })
}

/// How far PPO on one device is from PPO on flex: both start from the same networks, the same
/// observation statistics and sampling RNG, and train the same environments.
#[derive(Serialize, Debug)]
pub struct PpoAgreement {
    pub device: String,
    pub reference: String,
    pub iterations: Vec<AgreementRow>,
    /// The largest difference of a mean action allowed after the first iteration.
    pub tolerance: f32,
    pub agrees: bool,
}

#[derive(Serialize, Debug)]
pub struct AgreementRow {
    pub iteration: u64,
    /// Largest difference of the two policies' mean actions on a fixed set of observations.
    pub max_action_diff: f32,
    /// Policy and value losses of the update on the reference and on the device.
    pub policy_loss: [f32; 2],
    pub value_loss: [f32; 2],
}

/// Mean actions may differ by this much after one iteration (16 x 256 steps, 10 epochs of
/// Adam): float sums in another order, compounded by the rollout. flex against ndarray is the
/// yardstick (docs/notebook/2026-12-05-gpu-build.md).
pub const AGREEMENT_TOLERANCE: f32 = 1e-2;

/// Trains PPO on the hand-written backflip reward on flex and on `device` side by side for
/// `iterations` iterations and compares the policies after each. Later iterations drift apart
/// as the rollouts do (contacts amplify small differences); the first is the check.
pub fn ppo_agreement(scene: Arc<Scene>, device: crate::device::DeviceKind, config: crate::ppo::PpoConfig, iterations: u64) -> anyhow::Result<PpoAgreement> {
    use crate::hopper_env::{EnvReward, EnvSpec, HopperEnv};
    use crate::ppo::Ppo;
    use rand_distr::{Distribution, StandardNormal};
    let reference = crate::device::DeviceKind::Flex;
    let mut a = Ppo::new(config.clone(), scene.obs_dim(), scene.action_dim(), &reference.device()?, 0);
    let mut b = Ppo::from_state(a.state(), a.policy(), Some(a.optimizer_record()), &device.device()?, 0);
    let spec = || EnvSpec::reward(EnvReward::Handwritten(Default::default()));
    let mut env_a = HopperEnv::new(scene.clone(), spec(), config.num_envs, 0)?;
    let mut env_b = HopperEnv::new(scene.clone(), spec(), config.num_envs, 0)?;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let probe: Vec<f32> = (0..256 * scene.obs_dim()).map(|_| StandardNormal.sample(&mut rng)).collect();
    let mut rows = Vec::new();
    for _ in 0..iterations {
        let sa = a.iterate(&mut env_a, iterations)?;
        let sb = b.iterate(&mut env_b, iterations)?;
        let (ma, mb) = (a.act_deterministic(&a.policy(), &probe), b.act_deterministic(&b.policy(), &probe));
        let diff = ma.iter().zip(&mb).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
        rows.push(AgreementRow {
            iteration: sa.iteration,
            max_action_diff: diff,
            policy_loss: [sa.policy_loss, sb.policy_loss],
            value_loss: [sa.value_loss, sb.value_loss],
        });
    }
    let agrees = rows.first().is_some_and(|r| r.max_action_diff.is_finite() && r.max_action_diff <= AGREEMENT_TOLERANCE);
    Ok(PpoAgreement {
        device: device.name().into(),
        reference: reference.name().into(),
        iterations: rows,
        tolerance: AGREEMENT_TOLERANCE,
        agrees,
    })
}
