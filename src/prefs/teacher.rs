//! Scripted teachers: answer "which clip is better" from the task's own score, through the
//! noise models of B-Pref (Lee, Smith, Abbeel 2021). Every teacher is seeded.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::answer::{Answer, Labeler, Who};
use super::schedule::{TeacherConfig, TeacherKind};
use crate::clip::Clip;
use crate::task::{Task, full_backward_turns};

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

/// The scripted teacher as a labeler: scores each clip with the task's judge or true return.
/// Without a delay it answers at once and the run goes in lockstep with it; with one it
/// stands in for a person (the run is paced by its answers).
pub struct OracleLabeler {
    pub teacher: Teacher,
    pub task: Task,
    pub delay: std::time::Duration,
    /// The name its answers are recorded under (empty: the run's own teacher).
    pub name: String,
}

impl OracleLabeler {
    /// The teacher of these settings on the scene's task, answering after `delay_seconds`
    /// (0: at once, in lockstep with the run), recorded under `name` (empty: the run's own).
    pub fn new(config: &TeacherConfig, scene: &crate::scene::Scene, seed: u64, delay_seconds: f64, name: &str) -> OracleLabeler {
        OracleLabeler {
            teacher: Teacher::new(config.clone(), seed),
            task: Task::for_scene(scene),
            delay: std::time::Duration::from_secs_f64(delay_seconds),
            name: name.to_owned(),
        }
    }

    fn score(&self, clip: &Clip) -> ClipScore {
        let infos = clip.infos();
        let actions: Vec<&[f32]> = clip.steps.iter().map(|s| s.action.as_slice()).collect();
        // Per-step scores are only read by the myopic teacher.
        let per_step = if self.teacher.config.kind == TeacherKind::Myopic {
            (0..infos.len()).map(|k| self.task.clip_score(&infos[k..=k], &actions[k..=k])).collect()
        } else {
            Vec::new()
        };
        let mut total = self.task.clip_score(&infos, &actions);
        let c = &self.teacher.config;
        let (cost, near, landing) = (c.tumble_cost, c.near_landing_credit, c.landing_credit);
        if cost > 0.0 || near > 0.0 || landing > 0.0 {
            let report = self.task.judge.evaluate(&infos);
            total += near * report.near_landing + landing * report.touchdown_nearness;
            let unlanded = full_backward_turns(&infos).saturating_sub(report.clean_flips);
            // The free turns apply in every clip, with a landed flip or without: sparing them
            // only before a first flip measured worse (docs/notebook/2026-12-05-tumbling.md, E10).
            total -= cost * unlanded.saturating_sub(self.teacher.config.tumble_free_turns) as f32;
        }
        ClipScore { total, per_step }
    }
}

impl Labeler for OracleLabeler {
    fn answer(&mut self, left: &Clip, right: &Clip) -> Option<Answer> {
        // Standing in for a person: think first (a sleep, no busy wait).
        std::thread::sleep(self.delay);
        let (l, r) = (self.score(left), self.score(right));
        Some(self.teacher.answer(&l, &r))
    }

    fn who(&self) -> Who {
        Who::Teacher { config: self.teacher.config.clone(), name: self.name.clone() }
    }

    fn scripted(&self) -> bool {
        self.delay.is_zero()
    }
}
