//! The reward ensemble: 3 MLPs trained with Bradley-Terry on clip comparisons, each on its own
//! bootstrap resample, with an adaptive L2 penalty, normalised and averaged.

use std::sync::Arc;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::TensorData;
use burn::tensor::activation::sigmoid;
use rand::{RngExt, SeedableRng, seq::SliceRandom};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::features::RewardInput;
use super::model::{RewardNet, RewardNetConfig};
use crate::ppo::trainer::to_vec;

/// Every reward-model hyperparameter, saved with the run.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RewardConfig {
    /// Members of the ensemble.
    pub members: usize,
    pub hidden: usize,
    pub learning_rate: f64,
    /// Comparisons per gradient step.
    pub batch_size: usize,
    /// Chance that an answer was random, folded into the Bradley-Terry likelihood.
    pub random_answer: f32,
    /// Share of comparisons held out for validation (1/e in the paper).
    pub holdout: f32,
    /// Initial L2 weight; adapted to keep validation loss within [1.1, 1.5] x training loss.
    pub l2: f32,
    /// What each member sees of a step.
    #[serde(default)]
    pub input: RewardInput,
    /// Squash each member's per-step output into (-1, 1) with tanh before normalising (as
    /// PEBBLE does), so that no state the labeler never saw can be worth without bound.
    #[serde(default)]
    pub bounded: bool,
}

impl Default for RewardConfig {
    fn default() -> Self {
        RewardConfig {
            members: 3,
            hidden: 64,
            learning_rate: 3e-4,
            batch_size: 32,
            random_answer: 0.1,
            holdout: (-1.0f32).exp(),
            l2: 1e-4,
            input: RewardInput::ObsAction,
            bounded: false,
        }
    }
}

impl RewardConfig {
    pub fn validate(&self) -> anyhow::Result<()> {
        use crate::settings::check::*;
        at_least("reward.members", self.members as u64, 1)?;
        at_least("reward.hidden", self.hidden as u64, 1)?;
        positive("reward.learning_rate", self.learning_rate)?;
        at_least("reward.batch_size", self.batch_size as u64, 1)?;
        within("reward.random_answer", self.random_answer as f64, 0.0, 1.0, true)?;
        within("reward.holdout", self.holdout as f64, 0.0, 1.0, true)?;
        non_negative("reward.l2", self.l2 as f64)?;
        Ok(())
    }
}

/// A comparison ready to train on: the two clips' (observation, action) rows and the target
/// probability that the left one is better (1, 0 or 0.5 for "equal").
#[derive(Clone, Debug)]
pub struct LabeledPair {
    pub left: Arc<Vec<f32>>,
    pub right: Arc<Vec<f32>>,
    pub target: f32,
    /// Validation comparisons are never trained on.
    pub validation: bool,
}

/// What one round of reward training measured.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct RewardStats {
    pub train_loss: f32,
    pub val_loss: f32,
    /// Share of held-out comparisons (not "equal") on which the ensemble agrees with the answer.
    pub val_accuracy: f32,
    pub l2: f32,
    pub train_pairs: usize,
    pub val_pairs: usize,
    /// Held-out pairs with a strict answer (not "equal"): those the accuracy is over.
    pub val_strict_pairs: usize,
    /// Wall-clock seconds the round took.
    pub seconds: f64,
}

pub struct RewardEnsemble {
    pub config: RewardConfig,
    members: Vec<RewardNet>,
    optims: Vec<ModuleOptimizer>,
    /// Mean and standard deviation of each member's per-step output on recent data.
    norms: Vec<(f32, f32)>,
    d_input: usize,
    device: Device,
    rng: ChaCha8Rng,
    l2: f32,
}

/// A frozen copy for computing rewards on another thread.
#[derive(Clone)]
pub struct RewardSnapshot {
    /// What the members see of a step.
    pub input: RewardInput,
    members: Vec<RewardNet>,
    norms: Vec<(f32, f32)>,
    d_input: usize,
    /// The members' shape, to build them again when loading.
    hidden: usize,
    bounded: bool,
    device: Device,
    /// Incremented with every new snapshot.
    pub version: u64,
}

/// What reward.json says of a saved snapshot; the members' weights are beside it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedSnapshot {
    input: RewardInput,
    d_input: usize,
    hidden: usize,
    bounded: bool,
    norms: Vec<(f32, f32)>,
    version: u64,
}

const SAVED_FILE: &str = "reward.json";

fn member_file(dir: &std::path::Path, m: usize) -> std::path::PathBuf {
    dir.join(format!("reward-member-{m}.bpk"))
}

impl RewardEnsemble {
    pub fn new(config: RewardConfig, d_input: usize, device: &Device, seed: u64) -> RewardEnsemble {
        let device = device.clone().autodiff();
        let members = crate::device::seeded_init(&device, seed ^ 0x4E5A_0000, || {
            (0..config.members)
                .map(|_| RewardNetConfig::new(d_input).with_d_hidden(config.hidden).with_bounded(config.bounded).init(&device))
                .collect()
        });
        let optims = (0..config.members).map(|_| AdamConfig::new().init()).collect();
        RewardEnsemble {
            norms: vec![(0.0, 1.0); config.members],
            l2: config.l2,
            members,
            optims,
            d_input,
            device,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x4E5A_0001),
            config,
        }
    }

    fn pair_tensors(&self, pairs: &[&LabeledPair]) -> (Tensor<2>, Tensor<1>, usize) {
        let k = pairs[0].left.len() / self.d_input;
        let mut rows = Vec::with_capacity(pairs.len() * 2 * k * self.d_input);
        for p in pairs {
            rows.extend_from_slice(&p.left);
            rows.extend_from_slice(&p.right);
        }
        let x = Tensor::from_data(TensorData::new(rows, [pairs.len() * 2 * k, self.d_input]), &self.device);
        let t = Tensor::from_data(TensorData::new(pairs.iter().map(|p| p.target).collect::<Vec<_>>(), [pairs.len()]), &self.device);
        (x, t, k)
    }

    /// Bradley-Terry loss of one member on some pairs: the left clip is preferred with
    /// probability (1 - e) sigmoid(R_left - R_right) + e/2, e the chance of a random answer.
    fn loss(&self, net: &RewardNet, pairs: &[&LabeledPair]) -> (Tensor<1>, Tensor<1>) {
        let (x, target, k) = self.pair_tensors(pairs);
        let returns = net.forward(x).reshape([pairs.len(), 2, k]).sum_dim(2).reshape([pairs.len(), 2]);
        let diff = returns.clone().narrow(1, 0, 1) - returns.narrow(1, 1, 1);
        let e = self.config.random_answer;
        let p = (sigmoid(diff.reshape([pairs.len()])) * (1.0 - e) + e / 2.0).clamp(1e-6, 1.0 - 1e-6);
        let loss = -(target.clone() * p.clone().log() + (-target + 1.0) * (-p.clone() + 1.0).log());
        (loss.mean(), p)
    }

    /// One round of training: `epochs` passes of each member over its bootstrap resample of the
    /// training pairs; then the L2 weight is adapted and the outputs renormalised on `recent`
    /// rows of (observation, action).
    pub fn train(&mut self, pairs: &[LabeledPair], epochs: usize, recent: &[f32]) -> RewardStats {
        let started = std::time::Instant::now();
        let train: Vec<&LabeledPair> = pairs.iter().filter(|p| !p.validation).collect();
        let val: Vec<&LabeledPair> = pairs.iter().filter(|p| p.validation).collect();
        if train.is_empty() {
            return RewardStats::default();
        }
        let bs = self.config.batch_size;
        let lr = self.config.learning_rate;
        let mut train_loss = 0.0;
        for m in 0..self.members.len() {
            let sample: Vec<&LabeledPair> = (0..train.len()).map(|_| train[self.rng.random_range(0..train.len())]).collect();
            for _ in 0..epochs {
                let mut order = sample.clone();
                order.shuffle(&mut self.rng);
                for batch in order.chunks(bs) {
                    let (loss, _) = self.loss(&self.members[m], batch);
                    let loss = loss + self.members[m].l2() * self.l2;
                    let grads = GradientsParams::from_grads(loss.backward(), &self.members[m]);
                    self.members[m] = self.optims[m].step(lr, self.members[m].clone(), grads);
                }
            }
            train_loss += self.mean_loss(m, &train);
        }
        let train_loss = train_loss / self.members.len() as f32;
        let (val_loss, val_accuracy) = if val.is_empty() {
            (f32::NAN, f32::NAN)
        } else {
            let loss = (0..self.members.len()).map(|m| self.mean_loss(m, &val)).sum::<f32>() / self.members.len() as f32;
            (loss, self.accuracy(&val))
        };
        // Keep validation loss between 1.1x and 1.5x training loss: more L2 when overfitting.
        if val_loss.is_finite() {
            if val_loss > 1.5 * train_loss {
                self.l2 *= 1.5;
            } else if val_loss < 1.1 * train_loss {
                self.l2 /= 1.5;
            }
        }
        self.renormalise(recent);
        let seconds = started.elapsed().as_secs_f64();
        let val_strict_pairs = val.iter().filter(|p| p.target != 0.5).count();
        RewardStats { train_loss, val_loss, val_accuracy, l2: self.l2, train_pairs: train.len(), val_pairs: val.len(), val_strict_pairs, seconds }
    }

    fn mean_loss(&self, m: usize, pairs: &[&LabeledPair]) -> f32 {
        let net = self.members[m].valid();
        let mut total = 0.0;
        for batch in pairs.chunks(256) {
            total += self.loss(&net, batch).0.into_scalar::<f32>() * batch.len() as f32;
        }
        total / pairs.len() as f32
    }

    /// Share of pairs with a strict answer on which the ensemble's mean preference agrees.
    fn accuracy(&self, pairs: &[&LabeledPair]) -> f32 {
        let strict: Vec<&LabeledPair> = pairs.iter().copied().filter(|p| p.target != 0.5).collect();
        if strict.is_empty() {
            return f32::NAN;
        }
        let snap = self.snapshot(0);
        let right = strict
            .iter()
            .filter(|p| {
                let p_left = snap.preference(&p.left, &p.right).iter().sum::<f32>() / snap.members.len() as f32;
                (p_left > 0.5) == (p.target > 0.5)
            })
            .count();
        right as f32 / strict.len() as f32
    }

    fn renormalise(&mut self, recent: &[f32]) {
        if recent.is_empty() {
            return;
        }
        let rows = recent.len() / self.d_input;
        let x: Tensor<2> = Tensor::from_data(TensorData::new(recent.to_vec(), [rows, self.d_input]), &self.device.clone().inner());
        for (m, net) in self.members.iter().enumerate() {
            let r = to_vec(net.valid().forward(x.clone()));
            let mean = r.iter().sum::<f32>() / rows as f32;
            let var = r.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / rows as f32;
            self.norms[m] = (mean, var.sqrt().max(1e-6));
        }
    }

    pub fn snapshot(&self, version: u64) -> RewardSnapshot {
        RewardSnapshot {
            input: self.config.input,
            members: self.members.iter().map(|m| m.valid()).collect(),
            norms: self.norms.clone(),
            d_input: self.d_input,
            hidden: self.config.hidden,
            bounded: self.config.bounded,
            device: self.device.clone().inner(),
            version,
        }
    }
}

impl RewardSnapshot {
    /// Writes the snapshot into `dir`: each member's weights, then reward.json (each aside,
    /// then renamed in; reward.json last, so a reward.json names whole members).
    pub fn save(&self, dir: &std::path::Path) -> anyhow::Result<()> {
        for (m, net) in self.members.iter().enumerate() {
            crate::fsutil::save_module(net, &member_file(dir, m), "a reward member")?;
        }
        let saved = SavedSnapshot {
            input: self.input,
            d_input: self.d_input,
            hidden: self.hidden,
            bounded: self.bounded,
            norms: self.norms.clone(),
            version: self.version,
        };
        let path = dir.join(SAVED_FILE);
        crate::fsutil::write_atomic(&path, serde_json::to_string(&saved)?.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))
    }

    /// The snapshot saved in `dir`, on `device`'s plain side; None where none was saved (runs
    /// without a learned reward, and runs from before 2026-12-06).
    pub fn load(dir: &std::path::Path, device: &Device) -> anyhow::Result<Option<RewardSnapshot>> {
        use anyhow::Context;
        use burn::store::{BurnpackStore, ModuleSnapshot};
        let path = dir.join(SAVED_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("{}: cannot read", path.display()))?;
        let saved: SavedSnapshot = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: malformed reward model: {e}", path.display()))?;
        anyhow::ensure!(!saved.norms.is_empty(), "{}: malformed reward model: no members", path.display());
        let device = device.clone().inner();
        let mut members = Vec::with_capacity(saved.norms.len());
        for m in 0..saved.norms.len() {
            let file = member_file(dir, m);
            let mut net = RewardNetConfig::new(saved.d_input).with_d_hidden(saved.hidden).with_bounded(saved.bounded).init(&device);
            net.load_from(&mut BurnpackStore::from_file(&file))
                .map_err(|e| anyhow::anyhow!("{}: cannot load a reward member: {e}", file.display()))?;
            members.push(net);
        }
        Ok(Some(RewardSnapshot {
            input: saved.input,
            members,
            norms: saved.norms,
            d_input: saved.d_input,
            hidden: saved.hidden,
            bounded: saved.bounded,
            device,
            version: saved.version,
        }))
    }

    /// Each member's normalised per-step reward for rows of (observation, action).
    fn member_rewards(&self, rows: &[f32]) -> Vec<Vec<f32>> {
        let n = rows.len() / self.d_input;
        let x: Tensor<2> = Tensor::from_data(TensorData::new(rows.to_vec(), [n, self.d_input]), &self.device);
        self.members
            .iter()
            .zip(&self.norms)
            .map(|(net, (mean, std))| to_vec(net.forward(x.clone())).into_iter().map(|r| (r - mean) / std).collect())
            .collect()
    }

    /// Each member's normalised reward at each step of a clip recorded in a scene of `bodies`
    /// bodies; their mean (`mean_of`) is what PPO was paid there (before its own scaling), and
    /// where they part, the queries look (src/reward/select.rs). An error if the clip's steps
    /// do not fit the model (another scene).
    pub fn clip_member_rewards(&self, clip: &crate::clip::Clip, bodies: usize) -> anyhow::Result<Vec<Vec<f32>>> {
        let rows = self.input.clip_rows(clip, bodies);
        let steps = clip.steps.len();
        if steps == 0 {
            return Ok(vec![Vec::new(); self.members.len()]);
        }
        anyhow::ensure!(
            rows.len() == steps * self.d_input,
            "the reward model takes {} numbers a step and clip {} gives {}: recorded in another scene",
            self.d_input,
            clip.id,
            rows.len() / steps
        );
        Ok(self.member_rewards(&rows))
    }

    /// The ensemble's reward: members normalised, then averaged.
    pub fn rewards(&self, rows: &[f32]) -> Vec<f32> {
        Self::mean_of(&self.member_rewards(rows))
    }

    /// The members' mean at each step: the ensemble's reward.
    pub fn mean_of(per: &[Vec<f32>]) -> Vec<f32> {
        let m = per.len() as f32;
        (0..per[0].len()).map(|i| per.iter().map(|r| r[i]).sum::<f32>() / m).collect()
    }

    /// Each member's probability that the left clip is better.
    pub fn preference(&self, left: &[f32], right: &[f32]) -> Vec<f32> {
        let l = self.member_rewards(left);
        let r = self.member_rewards(right);
        l.iter().zip(&r).map(|(a, b)| 1.0 / (1.0 + (b.iter().sum::<f32>() - a.iter().sum::<f32>()).exp())).collect()
    }

    /// Each member's predicted return of each clip (rows of equal-length clips, concatenated).
    pub fn clip_returns(&self, clips: &[f32], steps: usize) -> Vec<Vec<f32>> {
        self.member_rewards(clips).into_iter().map(|r| r.chunks(steps).map(|c| c.iter().sum()).collect()).collect()
    }
}
