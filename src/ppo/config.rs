//! Every PPO hyperparameter, in one place, saved with each run.

use serde::{Deserialize, Serialize};

/// Hidden-layer nonlinearity of the policy and value networks.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Activation {
    Tanh,
    Relu,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PpoConfig {
    /// Environments stepped together; each rollout has `num_envs * num_steps` transitions.
    pub num_envs: usize,
    /// Control steps per environment per rollout.
    pub num_steps: usize,
    /// Adam learning rate at the start; decays linearly to 0 over the run when `anneal_lr`.
    pub learning_rate: f64,
    pub anneal_lr: bool,
    /// Discount factor.
    pub gamma: f32,
    /// GAE lambda: bias/variance trade-off of the advantage estimate.
    pub gae_lambda: f32,
    /// Minibatches per epoch: each has `num_envs * num_steps / num_minibatches` transitions.
    pub num_minibatches: usize,
    /// Passes over each rollout.
    pub update_epochs: usize,
    /// Normalise advantages within each minibatch.
    pub norm_adv: bool,
    /// PPO clip range of the probability ratio.
    pub clip_coef: f32,
    /// Clip the value update like the policy (CleanRL's default).
    pub clip_vloss: bool,
    /// Weight of the entropy bonus at the start...
    pub ent_coef: f32,
    /// ...decaying linearly to 0 over the run, as the learning rate does with `anneal_lr`: the
    /// noise that keeps an early policy exploring is left to shrink as the run ends. False
    /// where a run.json lacks it (runs made before it existed).
    #[serde(default)]
    pub anneal_ent_coef: bool,
    /// With `anneal_ent_coef`: the fraction of the run during which the bonus holds at
    /// `ent_coef` before its linear decay to 0 at the end (0: it decays from the start). The
    /// noise that finds the turn early is kept, and taken away only when a landing wants
    /// precision (docs/notebook/2026-12-06-entropy.md). 0 where a run.json lacks it, and then
    /// not written, so runs made before it keep their run.json.
    #[serde(default, skip_serializing_if = "crate::settings::is_zero")]
    pub ent_anneal_from: f32,
    /// The entropy bonus pays the policy's entropy (nats, all action dimensions together) up
    /// to this much and nothing above it, so a strong bonus can keep a policy from collapsing
    /// without driving it to noise (E43: 0.02 without a cap took the seeds' entropy from
    /// about 1 to 4.0 to 6.1 by 3M steps; docs/notebook/2026-12-07-collapse.md). None:
    /// no cap, and then not written, so runs made before it keep their run.json.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ent_cap: Option<f32>,
    /// Weight of the value loss.
    pub vf_coef: f32,
    /// Global (all parameters together) gradient-norm limit.
    pub max_grad_norm: f32,
    /// Stop an update's epochs early when the approximate KL exceeds this (None: never).
    pub target_kl: Option<f32>,
    /// Width of the two hidden layers of the policy and of the value network.
    pub hidden: usize,
    pub activation: Activation,
    /// Initial log standard deviation of the Gaussian policy.
    pub init_log_std: f32,
    /// Observations are clipped to +-this after normalisation.
    pub obs_clip: f32,
    /// Scale rewards by the running standard deviation of the discounted return.
    pub norm_reward: bool,
    /// Normalised rewards are clipped to +-this.
    pub reward_clip: f32,
}

impl Default for PpoConfig {
    fn default() -> Self {
        PpoConfig {
            num_envs: 16,
            num_steps: 256,
            learning_rate: 3e-4,
            anneal_lr: true,
            gamma: 0.99,
            gae_lambda: 0.95,
            num_minibatches: 8,
            update_epochs: 10,
            norm_adv: true,
            clip_coef: 0.2,
            clip_vloss: true,
            // An entropy bonus keeps the backflip's policy exploring after it first stands
            // (docs/notebook/2026-12-05-main-job-levers.md, E3).
            ent_coef: 0.01,
            anneal_ent_coef: false,
            ent_anneal_from: 0.0,
            ent_cap: None,
            vf_coef: 0.5,
            max_grad_norm: 0.5,
            target_kl: None,
            hidden: 64,
            // ReLU: PPO trains much faster with it than with tanh on these CPUs (docs/design.md,
            // "PPO"; docs/notebook/2026-11-27-speed.md).
            activation: Activation::Relu,
            // std 0.37: with std 1 and no early termination the Hopper never learned to stay
            // up (docs/notebook/2026-11-27-hop-forward.md).
            init_log_std: -1.0,
            obs_clip: 10.0,
            norm_reward: true,
            reward_clip: 10.0,
        }
    }
}

impl PpoConfig {
    /// The embedded presets' names, for `--ppo-config NAME`.
    pub const PRESETS: [&str; 2] = ["default", "cleanrl"];

    /// An embedded preset by name: `default`, or `cleanrl`, the shape of CleanRL's
    /// `ppo_continuous_action.py` (tanh, 16 environments x 128 steps, 32 minibatches, log std
    /// 0, no entropy bonus). With `--terminate-when-unhealthy` the cleanrl preset is what hops forward
    /// (docs/notebook/2026-11-27-hop-forward.md); the default is tuned for the backflip
    /// scene's speed.
    pub fn preset(name: &str) -> Option<PpoConfig> {
        match name {
            "default" => Some(PpoConfig::default()),
            "cleanrl" => Some(PpoConfig {
                num_steps: 128,
                num_minibatches: 32,
                activation: Activation::Tanh,
                init_log_std: 0.0,
                ent_coef: 0.0,
                ..PpoConfig::default()
            }),
            _ => None,
        }
    }

    /// Checks every setting: one line naming the first that is out of range.
    pub fn validate(&self) -> anyhow::Result<()> {
        use crate::settings::check::*;
        at_least("ppo.num_envs", self.num_envs as u64, 1)?;
        at_least("ppo.num_steps", self.num_steps as u64, 1)?;
        positive("ppo.learning_rate", self.learning_rate)?;
        anyhow::ensure!(self.learning_rate <= 1.0, "ppo.learning_rate must be at most 1, got {}", self.learning_rate);
        within("ppo.gamma", self.gamma as f64, 0.0, 1.0, false)?;
        within("ppo.gae_lambda", self.gae_lambda as f64, 0.0, 1.0, false)?;
        at_least("ppo.num_minibatches", self.num_minibatches as u64, 1)?;
        anyhow::ensure!(
            self.num_minibatches <= self.batch_size(),
            "ppo.num_minibatches ({}) must not exceed the batch of num_envs x num_steps ({})",
            self.num_minibatches,
            self.batch_size()
        );
        at_least("ppo.update_epochs", self.update_epochs as u64, 1)?;
        positive("ppo.clip_coef", self.clip_coef as f64)?;
        non_negative("ppo.ent_coef", self.ent_coef as f64)?;
        within("ppo.ent_anneal_from", self.ent_anneal_from as f64, 0.0, 1.0, true)?;
        anyhow::ensure!(
            self.ent_anneal_from == 0.0 || self.anneal_ent_coef,
            "ppo.ent_anneal_from ({}) needs ppo.anneal_ent_coef: true",
            self.ent_anneal_from
        );
        if let Some(cap) = self.ent_cap {
            // A Gaussian's entropy per dimension is 1.42 + log std, and init_log_std's bounds
            // are -20 and 5 (-18.6 to 6.4 nats a dimension): the few action dimensions of
            // these scenes keep a policy's whole entropy well inside +-100.
            within("ppo.ent_cap", cap as f64, -100.0, 100.0, false)?;
        }
        non_negative("ppo.vf_coef", self.vf_coef as f64)?;
        positive("ppo.max_grad_norm", self.max_grad_norm as f64)?;
        if let Some(kl) = self.target_kl {
            positive("ppo.target_kl", kl as f64)?;
        }
        at_least("ppo.hidden", self.hidden as u64, 1)?;
        // exp(-20) to exp(5): a standard deviation from 2e-9 to 148 (actions are clipped to 1).
        within("ppo.init_log_std", self.init_log_std as f64, -20.0, 5.0, false)?;
        positive("ppo.obs_clip", self.obs_clip as f64)?;
        positive("ppo.reward_clip", self.reward_clip as f64)?;
        Ok(())
    }

    /// The learning rate when `progress` (0 to 1) of the run's iterations are done.
    pub fn learning_rate_at(&self, progress: f64) -> f64 {
        if self.anneal_lr { self.learning_rate * (1.0 - progress).max(0.0) } else { self.learning_rate }
    }

    /// The entropy bonus's weight when `progress` (0 to 1) of the run's iterations are done.
    pub fn ent_coef_at(&self, progress: f64) -> f32 {
        if !self.anneal_ent_coef {
            return self.ent_coef;
        }
        let from = self.ent_anneal_from as f64;
        let left = if progress < from { 1.0 } else { (1.0 - progress) / (1.0 - from) };
        self.ent_coef * left.max(0.0) as f32
    }

    pub fn batch_size(&self) -> usize {
        self.num_envs * self.num_steps
    }

    pub fn minibatch_size(&self) -> usize {
        self.batch_size() / self.num_minibatches
    }
}
