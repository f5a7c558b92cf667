//! Running statistics: observation normalisation and return-based reward scaling.

use serde::{Deserialize, Serialize};

/// Running mean and variance (parallel Welford), in f64 so that millions of updates stay exact.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RunningMeanStd {
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
    pub count: f64,
}

impl RunningMeanStd {
    pub fn new(dim: usize) -> Self {
        RunningMeanStd { mean: vec![0.0; dim], var: vec![1.0; dim], count: 1e-4 }
    }

    /// Adds a batch of rows (`data.len()` a multiple of the dimension).
    pub fn update(&mut self, data: &[f32]) {
        let dim = self.mean.len();
        let n = (data.len() / dim) as f64;
        if n == 0.0 {
            return;
        }
        for d in 0..dim {
            let col = data.iter().skip(d).step_by(dim).map(|&x| x as f64);
            let mean_b = col.clone().sum::<f64>() / n;
            let var_b = col.map(|x| (x - mean_b) * (x - mean_b)).sum::<f64>() / n;
            let delta = mean_b - self.mean[d];
            let total = self.count + n;
            self.mean[d] += delta * n / total;
            let m2 = self.var[d] * self.count + var_b * n + delta * delta * self.count * n / total;
            self.var[d] = m2 / total;
        }
        self.count += n;
    }

    /// (x - mean) / sqrt(var + 1e-8), clipped to +-clip, row by row, in place.
    pub fn normalize(&self, data: &mut [f32], clip: f32) {
        let dim = self.mean.len();
        for row in data.chunks_mut(dim) {
            for (d, x) in row.iter_mut().enumerate() {
                let z = (*x as f64 - self.mean[d]) / (self.var[d] + 1e-8).sqrt();
                *x = (z as f32).clamp(-clip, clip);
            }
        }
    }
}

/// Scales rewards by the running standard deviation of each environment's discounted return,
/// as Stable-Baselines3's VecNormalize does (the mean is not removed: that would change which
/// behaviour is optimal when episodes can end).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RewardScaler {
    pub returns: Vec<f64>,
    pub stats: RunningMeanStd,
    pub gamma: f64,
}

impl RewardScaler {
    pub fn new(num_envs: usize, gamma: f32) -> Self {
        RewardScaler { returns: vec![0.0; num_envs], stats: RunningMeanStd::new(1), gamma: gamma as f64 }
    }

    /// Scales one step's rewards (one per environment) in place; `done` restarts the returns.
    pub fn scale(&mut self, rewards: &mut [f32], done: &[bool], clip: f32) {
        let mut ret32 = Vec::with_capacity(rewards.len());
        for (i, r) in rewards.iter().enumerate() {
            self.returns[i] = self.returns[i] * self.gamma + *r as f64;
            ret32.push(self.returns[i] as f32);
        }
        self.stats.update(&ret32);
        let std = (self.stats.var[0] + 1e-8).sqrt();
        for (i, r) in rewards.iter_mut().enumerate() {
            *r = ((*r as f64 / std) as f32).clamp(-clip, clip);
            if done[i] {
                self.returns[i] = 0.0;
            }
        }
    }

    /// The factor rewards are divided by now.
    pub fn std(&self) -> f32 {
        (self.stats.var[0] + 1e-8).sqrt() as f32
    }
}
