//! PPO, read top to bottom: collect a rollout with the current policy, estimate advantages with
//! GAE, then several epochs of clipped-objective minibatch updates. After CleanRL's
//! `ppo_continuous_action.py`; every logged number is explained on `IterationStats`.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, OptimizerRecord};
use burn::prelude::*;
use burn::tensor::{Int, TensorData};
use rand::{SeedableRng, seq::SliceRandom};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::config::PpoConfig;
use super::gae::gae;
use super::model::{Agent, AgentConfig};
use super::normalize::{RewardScaler, RunningMeanStd};

/// Environments PPO can train in: many stepped together, rewards given per step.
pub trait PpoEnv {
    fn num_envs(&self) -> usize;
    fn obs_dim(&self) -> usize;
    fn action_dim(&self) -> usize;
    /// Current observations, flattened.
    fn observations(&self) -> Vec<f32>;
    fn step(&mut self, actions: &[f32]) -> anyhow::Result<EnvStep>;
}

pub struct EnvStep {
    /// Observations to act on next (after automatic resets), flattened.
    pub obs: Vec<f32>,
    /// The training reward of the step just taken, one per environment.
    pub rewards: Vec<f32>,
    /// The episode ended with this step: by its time limit (then `final_obs` holds its last
    /// observation, whose value is bootstrapped) or by failing (no `final_obs`: nothing follows).
    pub done: Vec<bool>,
    /// The last observation of each episode that reached its time limit.
    pub final_obs: Vec<Option<Vec<f32>>>,
}

/// What one iteration (a rollout and its update) did. Names follow CleanRL's scalars.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default)]
pub struct IterationStats {
    pub iteration: u64,
    /// Environment steps so far, all environments together.
    pub global_step: u64,
    /// Learning rate used in this update.
    pub learning_rate: f64,
    /// Mean clipped-surrogate policy loss (lower is better for the policy).
    pub policy_loss: f32,
    /// Mean value loss (0.5 x squared error of the value against the GAE return).
    pub value_loss: f32,
    /// Entropy of the Gaussian policy, summed over action dimensions.
    pub entropy: f32,
    /// Estimate of KL(old policy, new policy), (r - 1) - log r averaged over samples.
    pub approx_kl: f32,
    /// Share of samples whose probability ratio left [1 - clip, 1 + clip].
    pub clipfrac: f32,
    /// 1 - Var(return - value) / Var(return): how much of the return the critic explains.
    pub explained_variance: f32,
    /// Mean training reward per step before normalisation.
    pub mean_reward: f32,
    /// Seconds spent collecting the rollout and updating.
    pub rollout_seconds: f64,
    pub update_seconds: f64,
}

/// A policy's whole state: the networks and the observation statistics they were trained on.
pub struct Ppo {
    pub config: PpoConfig,
    pub agent: Agent,
    pub obs_rms: RunningMeanStd,
    pub reward_scaler: RewardScaler,
    optim: ModuleOptimizer,
    /// Device of the networks, with autodiff.
    device: Device,
    rng: ChaCha8Rng,
    pub global_step: u64,
    pub iteration: u64,
    obs_dim: usize,
    action_dim: usize,
}

/// Trainer state saved beside the weights so that `--resume` continues the counters.
#[derive(Serialize, Deserialize)]
pub struct PpoState {
    pub config: PpoConfig,
    pub obs_rms: RunningMeanStd,
    pub reward_scaler: RewardScaler,
    pub global_step: u64,
    pub iteration: u64,
    pub obs_dim: usize,
    pub action_dim: usize,
    /// The sampling stream where it stood, so that a resumed run draws what the run would
    /// have drawn (None in checkpoints older than this field: reseeded).
    #[serde(default)]
    pub rng: Option<ChaCha8Rng>,
}

const LOG_SQRT_2PI: f32 = 0.918_938_5; // ln(sqrt(2 pi))

impl Ppo {
    pub fn new(config: PpoConfig, obs_dim: usize, action_dim: usize, device: &Device, seed: u64) -> Ppo {
        let device = device.clone().autodiff();
        let agent = crate::device::seeded_init(&device, seed, || {
            AgentConfig::new(obs_dim, action_dim, config.hidden, config.init_log_std).init(config.activation, &device)
        });
        Ppo {
            obs_rms: RunningMeanStd::new(obs_dim),
            reward_scaler: RewardScaler::new(config.num_envs, config.gamma),
            optim: AdamConfig::new().with_epsilon(1e-5).init(),
            agent,
            device,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5050_0000),
            global_step: 0,
            iteration: 0,
            obs_dim,
            action_dim,
            config,
        }
    }

    /// Forgets the reward's scale: the reward changed (exploration gave way to the learned
    /// reward), and the old rewards' running variance would mis-scale the new ones.
    pub fn restart_reward_scale(&mut self) {
        self.reward_scaler = RewardScaler::new(self.config.num_envs, self.config.gamma);
    }

    pub fn state(&self) -> PpoState {
        PpoState {
            config: self.config.clone(),
            obs_rms: self.obs_rms.clone(),
            reward_scaler: self.reward_scaler.clone(),
            global_step: self.global_step,
            iteration: self.iteration,
            obs_dim: self.obs_dim,
            action_dim: self.action_dim,
            rng: Some(self.rng.clone()),
        }
    }

    /// Adam's state (its moment estimates and step counts), keyed by the networks' parameter
    /// ids, which the agent's record keeps.
    pub fn optimizer_record(&self) -> OptimizerRecord {
        self.optim.to_record()
    }

    /// Rebuilds a trainer from saved state, weights and, where saved, Adam's state (without
    /// it, as in checkpoints older than it, Adam's moments start afresh).
    pub fn from_state(state: PpoState, agent: Agent, optimizer: Option<OptimizerRecord>, device: &Device, seed: u64) -> Ppo {
        let mut ppo = Ppo::new(state.config, state.obs_dim, state.action_dim, device, seed ^ state.iteration);
        ppo.agent = into_trainable(agent.to_device(&ppo.device));
        ppo.obs_rms = state.obs_rms;
        ppo.reward_scaler = state.reward_scaler;
        ppo.global_step = state.global_step;
        ppo.iteration = state.iteration;
        if let Some(rng) = state.rng {
            ppo.rng = rng;
        }
        if let Some(record) = optimizer {
            ppo.optim = ppo.optim.load_record(record);
        }
        ppo
    }

    /// The current policy and value networks without autodiff, for acting.
    pub fn policy(&self) -> Agent {
        self.agent.valid()
    }

    /// The device the networks run on, without autodiff (for inference).
    pub fn inference_device(&self) -> Device {
        self.device.clone().inner()
    }

    pub fn normalize(&self, raw: &[f32]) -> Vec<f32> {
        let mut x = raw.to_vec();
        self.obs_rms.normalize(&mut x, self.config.obs_clip);
        x
    }

    /// The deterministic policy's actions (its mean) for raw observations, one row each.
    pub fn act_deterministic(&self, policy: &Agent, raw_obs: &[f32]) -> Vec<f32> {
        let n = raw_obs.len() / self.obs_dim;
        let obs = self.tensor(self.normalize(raw_obs), [n, self.obs_dim], &self.inference_device());
        to_vec(policy.mean(obs))
    }

    /// Actions sampled from the policy for raw observations (used to explore before RL).
    pub fn act_stochastic(&self, policy: &Agent, raw_obs: &[f32], rng: &mut ChaCha8Rng) -> Vec<f32> {
        let std: Vec<f32> = to_vec(policy.log_std.val()).iter().map(|l| l.exp()).collect();
        let mut a = self.act_deterministic(policy, raw_obs);
        for (i, x) in a.iter_mut().enumerate() {
            let eps: f32 = StandardNormal.sample(rng);
            *x += std[i % self.action_dim] * eps;
        }
        a
    }

    fn tensor<const D: usize>(&self, data: Vec<f32>, shape: [usize; D], device: &Device) -> Tensor<D> {
        Tensor::from_data(TensorData::new(data, shape), device)
    }

    /// One iteration: a rollout of `num_steps` in every environment, then the update.
    /// `total_iterations` sets the learning-rate schedule.
    pub fn iterate(&mut self, env: &mut dyn PpoEnv, total_iterations: u64) -> anyhow::Result<IterationStats> {
        let c = self.config.clone();
        let (n, t_len, od, ad) = (env.num_envs(), c.num_steps, self.obs_dim, self.action_dim);
        anyhow::ensure!(n == c.num_envs, "environment count {n} differs from the config's {}", c.num_envs);
        let started = std::time::Instant::now();
        let policy = self.policy();
        let dev = self.inference_device();
        let std: Vec<f32> = to_vec(policy.log_std.val()).iter().map(|l| l.exp()).collect();

        // ---- Rollout ----
        let mut obs_buf = Vec::with_capacity(t_len * n * od);
        let mut act_buf = Vec::with_capacity(t_len * n * ad);
        let mut logp_buf = Vec::with_capacity(t_len * n);
        let mut val_buf = Vec::with_capacity(t_len * n);
        let mut rew_buf = Vec::with_capacity(t_len * n);
        let mut done_buf = Vec::with_capacity(t_len * n);
        let mut raw_reward_sum = 0.0f64;
        let mut raw = env.observations();
        for _ in 0..t_len {
            self.obs_rms.update(&raw);
            let obs = self.normalize(&raw);
            let x = self.tensor(obs.clone(), [n, od], &dev);
            let mean = to_vec(policy.mean(x.clone()));
            let value = to_vec(policy.value(x));
            let mut actions = Vec::with_capacity(n * ad);
            for e in 0..n {
                let mut logp = 0.0;
                for d in 0..ad {
                    let eps: f32 = StandardNormal.sample(&mut self.rng);
                    actions.push(mean[e * ad + d] + std[d] * eps);
                    logp += -0.5 * eps * eps - std[d].ln() - LOG_SQRT_2PI;
                }
                logp_buf.push(logp);
            }
            let step = env.step(&actions)?;
            let mut rewards = step.rewards.clone();
            raw_reward_sum += rewards.iter().map(|&r| r as f64).sum::<f64>();
            if c.norm_reward {
                self.reward_scaler.scale(&mut rewards, &step.done, c.reward_clip);
            }
            // A time limit is not a failure: bootstrap the value of the last observation.
            let ended: Vec<usize> = (0..n).filter(|&e| step.final_obs[e].is_some()).collect();
            if !ended.is_empty() {
                let finals: Vec<f32> = ended.iter().flat_map(|&e| step.final_obs[e].clone().unwrap()).collect();
                let v = to_vec(policy.value(self.tensor(self.normalize(&finals), [ended.len(), od], &dev)));
                for (k, &e) in ended.iter().enumerate() {
                    rewards[e] += c.gamma * v[k];
                }
            }
            obs_buf.extend(obs);
            act_buf.extend(actions);
            val_buf.extend(value);
            rew_buf.extend(rewards);
            done_buf.extend(step.done);
            raw = step.obs;
        }
        let next_values = to_vec(policy.value(self.tensor(self.normalize(&raw), [n, od], &dev)));
        let (advantages, returns) = gae(&rew_buf, &val_buf, &done_buf, &next_values, c.gamma, c.gae_lambda);
        self.global_step += (n * t_len) as u64;
        self.iteration += 1;
        let rollout_seconds = started.elapsed().as_secs_f64();

        // ---- Update ----
        let started = std::time::Instant::now();
        let progress = (self.iteration - 1) as f64 / total_iterations.max(1) as f64;
        let lr = c.learning_rate_at(progress);
        let ent_coef = c.ent_coef_at(progress);
        let batch = n * t_len;
        let b_obs = self.tensor(obs_buf, [batch, od], &self.device);
        let b_act = self.tensor(act_buf, [batch, ad], &self.device);
        let b_logp = self.tensor(logp_buf, [batch], &self.device);
        let b_adv = self.tensor(advantages, [batch], &self.device);
        let b_ret = self.tensor(returns.clone(), [batch], &self.device);
        let b_val = self.tensor(val_buf.clone(), [batch], &self.device);
        let mb = c.minibatch_size();
        let mut indices: Vec<i64> = (0..batch as i64).collect();
        let mut sums: Option<Tensor<1>> = None;
        let mut count = 0.0f32;
        'epochs: for _ in 0..c.update_epochs {
            indices.shuffle(&mut self.rng);
            for chunk in indices.chunks(mb) {
                let idx = Tensor::<1, Int>::from_data(TensorData::new(chunk.to_vec(), [chunk.len()]), &self.device);
                let obs = b_obs.clone().select(0, idx.clone());
                let act = b_act.clone().select(0, idx.clone());
                let old_logp = b_logp.clone().select(0, idx.clone());
                let mut adv = b_adv.clone().select(0, idx.clone());
                let ret = b_ret.clone().select(0, idx.clone());
                let old_v = b_val.clone().select(0, idx);
                if c.norm_adv {
                    let m = adv.clone().mean();
                    let s = (adv.clone() - m.clone()).square().mean().sqrt();
                    adv = (adv - m) / (s + 1e-8);
                }
                let log_std = self.agent.log_std.val();
                let mean = self.agent.mean(obs.clone());
                let z = (act - mean) / log_std.clone().exp().unsqueeze_dim(0);
                let new_logp = (z.square() * -0.5 - log_std.clone().unsqueeze_dim(0) - LOG_SQRT_2PI)
                    .sum_dim(1)
                    .squeeze_dim(1);
                let log_ratio = new_logp - old_logp;
                let ratio = log_ratio.clone().exp();
                let pg1 = -adv.clone() * ratio.clone();
                let pg2 = -adv * ratio.clone().clamp(1.0 - c.clip_coef, 1.0 + c.clip_coef);
                let pg_loss = pg1.max_pair(pg2).mean();
                let value = self.agent.value(obs);
                let v_loss = if c.clip_vloss {
                    let unclipped = (value.clone() - ret.clone()).square();
                    let clipped = old_v.clone() + (value - old_v).clamp(-c.clip_coef, c.clip_coef);
                    unclipped.max_pair((clipped - ret).square()).mean() * 0.5
                } else {
                    (value - ret).square().mean() * 0.5
                };
                let entropy = (log_std + 0.5 + LOG_SQRT_2PI).sum();
                // Above the cap the bonus pays nothing: clamping gives the entropy no gradient there.
                let paid = match c.ent_cap {
                    Some(cap) => entropy.clone().clamp_max(cap),
                    None => entropy.clone(),
                };
                let loss = pg_loss.clone() - paid * ent_coef + v_loss.clone() * c.vf_coef;
                let grads = GradientsParams::from_grads(loss.backward(), &self.agent);
                let grads = clip_global_norm(&self.agent, grads, c.max_grad_norm);
                self.agent = self.optim.step(lr, self.agent.clone(), grads);

                // Logged numbers stay on the device until the update ends: one transfer, not
                // five per minibatch.
                let log_ratio = log_ratio.detach();
                let ratio = ratio.detach();
                let kl = ((ratio.clone() - 1.0) - log_ratio).mean();
                let cf = (ratio - 1.0).abs().greater_elem(c.clip_coef).float().mean();
                let row = Tensor::cat(vec![pg_loss.detach(), v_loss.detach(), entropy.detach(), kl.clone(), cf], 0);
                sums = Some(match sums {
                    Some(s) => s + row,
                    None => row,
                });
                count += 1.0;
                if c.target_kl.is_some_and(|t| kl.into_scalar::<f32>() > t) {
                    break 'epochs;
                }
            }
        }
        let sums = to_vec(sums.expect("at least one minibatch"));
        Ok(IterationStats {
            iteration: self.iteration,
            global_step: self.global_step,
            learning_rate: lr,
            policy_loss: sums[0] / count,
            value_loss: sums[1] / count,
            entropy: sums[2] / count,
            approx_kl: sums[3] / count,
            clipfrac: sums[4] / count,
            explained_variance: explained_variance(&val_buf, &returns),
            mean_reward: (raw_reward_sum / batch as f64) as f32,
            rollout_seconds,
            update_seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// Makes every parameter of a module loaded without autodiff a fresh tracked leaf, so that it
/// can be trained (moving a module to an autodiff device alone does not track it).
pub fn into_trainable<M: Module>(module: M) -> M {
    struct Track;
    impl burn::module::ModuleMapper for Track {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            param.map(|t| t.autodiff().require_grad())
        }
    }
    module.map(&mut Track)
}

pub fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 tensor data")
}

/// 1 - Var(y - pred) / Var(y); NaN-free (0) when the returns do not vary.
pub fn explained_variance(pred: &[f32], y: &[f32]) -> f32 {
    let var = |v: &mut dyn Iterator<Item = f32>| {
        let v: Vec<f32> = v.collect();
        let m = v.iter().sum::<f32>() / v.len() as f32;
        v.iter().map(|x| (x - m) * (x - m)).sum::<f32>() / v.len() as f32
    };
    let vy = var(&mut y.iter().copied());
    if vy == 0.0 {
        return 0.0;
    }
    1.0 - var(&mut y.iter().zip(pred).map(|(a, b)| a - b)) / vy
}

/// Scales all gradients together so that their global L2 norm is at most `max_norm` (burn's
/// own clipping works tensor by tensor, which changes the update's direction).
pub fn clip_global_norm<M: Module>(module: &M, mut grads: GradientsParams, max_norm: f32) -> GradientsParams {
    struct SquaredNorm<'a> {
        grads: &'a GradientsParams,
        total: Option<Tensor<1>>,
    }
    impl ModuleVisitor for SquaredNorm<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.get::<D>(param.id) {
                let sq = g.square().sum();
                self.total = Some(match self.total.take() {
                    Some(t) => t + sq,
                    None => sq,
                });
            }
        }
    }
    struct Scale<'a> {
        grads: &'a mut GradientsParams,
        factor: f32,
    }
    impl ModuleVisitor for Scale<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.remove::<D>(param.id) {
                self.grads.register::<D>(param.id, g * self.factor);
            }
        }
    }
    let mut norm = SquaredNorm { grads: &grads, total: None };
    module.visit(&mut norm);
    let Some(total) = norm.total else { return grads };
    let total = total.into_scalar::<f32>().sqrt();
    if total > max_norm {
        let mut scale = Scale { grads: &mut grads, factor: max_norm / (total + 1e-6) };
        module.visit(&mut scale);
    }
    grads
}
