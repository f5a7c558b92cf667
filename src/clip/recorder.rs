//! Cutting clips from running environments: each environment's steps are gathered and cut
//! every `clip_steps` steps and at the end of each episode. Candidate clips may overlap: a new
//! one then starts every `stride` steps, so that anything one step longer than two neighbours
//! share lies whole in some clip (`PrefConfig::clip_overlap`).

use super::{Clip, ClipStep};
use crate::scene::Scene;

/// How the recorder names its clips.
#[derive(Clone, Debug, PartialEq)]
pub enum ClipIds {
    /// PREFIX-NNNNNN, counting every clip cut (dropped partial ones too), so that ids never
    /// repeat within a run whose prefix names where it started.
    Counted(String),
    /// SEED-START: the episode's seed (16 hex digits) and the clip's first step (5 digits).
    Episode,
    /// PREFIX-EEE: environment E's clip (one clip each, as for whole evaluated episodes).
    PerEnv(String),
}

/// Builds clips from the steps of each environment.
pub struct ClipRecorder {
    buffers: Vec<Vec<ClipStep>>,
    starts: Vec<usize>,
    seeds: Vec<u64>,
    clip_steps: usize,
    /// Steps from one clip's start to the next one's within an episode (`clip_steps`: clips
    /// side by side).
    stride: usize,
    /// Keep the shorter clip an episode's end (or `flush`) cuts; otherwise only whole clips.
    keep_partial: bool,
    scene: String,
    control_dt: f32,
    counter: u64,
    ids: ClipIds,
    finished: Vec<Clip>,
}

impl ClipRecorder {
    pub fn new(num_envs: usize, clip_steps: usize, scene: &Scene, ids: ClipIds, keep_partial: bool) -> Self {
        ClipRecorder {
            buffers: vec![Vec::new(); num_envs],
            starts: vec![0; num_envs],
            seeds: vec![0; num_envs],
            clip_steps,
            stride: clip_steps,
            keep_partial,
            scene: scene.name.clone(),
            control_dt: scene.control_dt(),
            counter: 0,
            ids,
            finished: Vec::new(),
        }
    }

    /// Clips of the scene's clip length, counted from `prefix`: the labeler's candidates. Each
    /// shares `overlap` (a share in [0, 1)) of its steps with the next one of its episode.
    pub fn candidates(num_envs: usize, scene: &Scene, prefix: String, overlap: f32) -> Self {
        let clip_steps = scene.clip_steps();
        let mut recorder = ClipRecorder::new(num_envs, clip_steps, scene, ClipIds::Counted(prefix), false);
        let shared = (overlap as f64 * clip_steps as f64).round() as usize;
        recorder.stride = clip_steps.saturating_sub(shared).max(1);
        recorder
    }

    /// Adds one step of environment `e`, the `episode_step`-th of the episode seeded `seed`;
    /// `done` ends the episode (and the clip).
    pub fn push(&mut self, e: usize, step: ClipStep, episode_step: usize, seed: u64, done: bool) {
        if self.buffers[e].is_empty() {
            self.starts[e] = episode_step;
            self.seeds[e] = seed;
        }
        self.buffers[e].push(step);
        if self.buffers[e].len() == self.clip_steps {
            self.cut_window(e);
        }
        // The steps left at the episode's end: a shorter clip (kept only with `keep_partial`),
        // or, with overlapping clips, mostly steps the last whole clip showed.
        if done && !self.buffers[e].is_empty() {
            self.cut(e);
        }
    }

    /// Cuts what every environment has gathered (the end of a recording).
    pub fn flush(&mut self) {
        for e in 0..self.buffers.len() {
            if !self.buffers[e].is_empty() {
                self.cut(e);
            }
        }
    }

    /// The clips cut since the last call.
    pub fn take_finished(&mut self) -> Vec<Clip> {
        std::mem::take(&mut self.finished)
    }

    /// A whole clip: what environment `e` has gathered; the next clip starts `stride` steps on.
    fn cut_window(&mut self, e: usize) {
        if self.stride >= self.clip_steps {
            return self.cut(e);
        }
        let steps = self.buffers[e].clone();
        let start = self.starts[e];
        self.buffers[e].drain(..self.stride);
        self.starts[e] += self.stride;
        self.finish(e, start, steps);
    }

    fn cut(&mut self, e: usize) {
        let steps = std::mem::take(&mut self.buffers[e]);
        self.finish(e, self.starts[e], steps);
    }

    fn finish(&mut self, e: usize, start: usize, steps: Vec<ClipStep>) {
        self.counter += 1;
        let seed = self.seeds[e];
        let id = match &self.ids {
            ClipIds::Counted(prefix) => format!("{prefix}-{:06}", self.counter),
            ClipIds::Episode => format!("{seed:016x}-{start:05}"),
            ClipIds::PerEnv(prefix) => format!("{prefix}-{e:03}"),
        };
        if steps.len() == self.clip_steps || self.keep_partial {
            self.finished.push(Clip { id, scene: self.scene.clone(), seed, start_step: start, control_dt: self.control_dt, steps });
        }
    }
}
