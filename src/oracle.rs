//! Scripted teachers: answer "which clip is better" from the task's own score, through the
//! noise models of B-Pref (Lee, Smith, Abbeel 2021). Every teacher is seeded.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A labeler's answer to one query.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Left,
    Right,
    Equal,
    CantTell,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum TeacherKind {
    /// Always the clip with the higher score.
    Rational,
    /// Left with probability sigmoid(beta * (score_left - score_right)).
    Boltzmann,
    /// Rational, but the answer is flipped with probability eps.
    Mistake,
    /// "Equal" when the scores differ by less than the equal threshold.
    Equal,
    /// "Can't tell" when both scores are below the skip threshold.
    Skip,
    /// Compares discounted per-step scores: later steps weigh more (gamma).
    Myopic,
    /// 10% mistakes plus an equal threshold: a person's usual noise.
    Humanlike,
}

/// A teacher and its parameters, as saved with each answer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TeacherConfig {
    pub kind: TeacherKind,
    /// Rationality of the Boltzmann teacher.
    pub beta: f32,
    /// Probability of a flipped answer (mistake, humanlike).
    pub eps: f32,
    /// Scores closer than this are "equal" (equal, humanlike), in score units.
    pub equal_threshold: f32,
    /// Both scores below this: "can't tell" (skip).
    pub skip_threshold: f32,
    /// Weight of step t is gamma^(T-1-t) (myopic).
    pub gamma: f32,
}

impl Default for TeacherConfig {
    fn default() -> Self {
        TeacherConfig { kind: TeacherKind::Rational, beta: 10.0, eps: 0.1, equal_threshold: 0.05, skip_threshold: 0.0, gamma: 0.9 }
    }
}

impl TeacherConfig {
    pub fn validate(&self) -> anyhow::Result<()> {
        use crate::settings::check::*;
        non_negative("teacher.beta", self.beta as f64)?;
        within("teacher.eps", self.eps as f64, 0.0, 1.0, false)?;
        non_negative("teacher.equal_threshold", self.equal_threshold as f64)?;
        finite("teacher.skip_threshold", self.skip_threshold as f64)?;
        within("teacher.gamma", self.gamma as f64, 0.0, 1.0, false)?;
        Ok(())
    }

    pub fn humanlike() -> Self {
        TeacherConfig { kind: TeacherKind::Humanlike, eps: 0.1, equal_threshold: 0.05, ..Default::default() }
    }
}

/// Scores whole clips or per-step score sequences.
pub struct Teacher {
    pub config: TeacherConfig,
    rng: ChaCha8Rng,
}

impl Teacher {
    pub fn new(config: TeacherConfig, seed: u64) -> Teacher {
        Teacher { config, rng: ChaCha8Rng::seed_from_u64(seed ^ 0x7EAC_4E50) }
    }

    /// Answers from two clips' total scores and, for the myopic teacher, their per-step scores.
    pub fn answer(&mut self, left: &ClipScore, right: &ClipScore) -> Answer {
        let c = &self.config;
        let (l, r) = match c.kind {
            TeacherKind::Myopic => (left.discounted(c.gamma), right.discounted(c.gamma)),
            _ => (left.total, right.total),
        };
        let better = if l >= r { Answer::Left } else { Answer::Right };
        let flip = |a: Answer| if a == Answer::Left { Answer::Right } else { Answer::Left };
        match c.kind {
            TeacherKind::Rational | TeacherKind::Myopic => {
                if l == r { Answer::Equal } else { better }
            }
            TeacherKind::Boltzmann => {
                let p_left = 1.0 / (1.0 + (-(c.beta * (l - r))).exp());
                if self.rng.random::<f32>() < p_left { Answer::Left } else { Answer::Right }
            }
            TeacherKind::Mistake => {
                if self.rng.random::<f32>() < c.eps { flip(better) } else { better }
            }
            TeacherKind::Equal => {
                if (l - r).abs() < c.equal_threshold { Answer::Equal } else { better }
            }
            TeacherKind::Skip => {
                if l < c.skip_threshold && r < c.skip_threshold { Answer::CantTell } else { better }
            }
            TeacherKind::Humanlike => {
                if (l - r).abs() < c.equal_threshold {
                    Answer::Equal
                } else if self.rng.random::<f32>() < c.eps {
                    flip(better)
                } else {
                    better
                }
            }
        }
    }
}

/// What a teacher knows of a clip: its total score and per-step scores.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClipScore {
    pub total: f32,
    pub per_step: Vec<f32>,
}

impl ClipScore {
    fn discounted(&self, gamma: f32) -> f32 {
        let n = self.per_step.len();
        self.per_step.iter().enumerate().map(|(t, s)| s * gamma.powi((n - 1 - t) as i32)).sum()
    }
}
