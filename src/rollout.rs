//! Recording episodes into clips with a fixed policy (random or zero torque).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::clip::{Clip, ClipStep};
use crate::scene::Scene;
use crate::sim::Env;
use crate::task::Task;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FixedPolicy {
    /// Uniform random torques in [-1, 1].
    Random,
    /// No torque at all.
    Zero,
}

/// One step of control steps, cut into clips of the scene's clip length.
pub fn record(scene: Arc<Scene>, policy: FixedPolicy, steps: usize, seed: u64) -> anyhow::Result<Vec<Clip>> {
    let mut env = Env::new(scene.clone());
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xAC71_0000);
    let clip_len = scene.clip_steps();
    let mut episode = 0u64;
    let mut episode_seed = crate::sim::episode_seed(seed, 0, episode);
    let mut obs = env.reset(episode_seed);
    let mut clips = Vec::new();
    let mut current: Vec<ClipStep> = Vec::new();
    let mut start = 0;
    let adim = scene.action_dim();
    for _ in 0..steps {
        let action: Vec<f32> = match policy {
            FixedPolicy::Random => (0..adim).map(|_| rng.random_range(-1.0f32..=1.0)).collect(),
            FixedPolicy::Zero => vec![0.0; adim],
        };
        let (next, done) = env.step(&action)?;
        current.push(ClipStep { obs, action, poses: env.poses(), info: env.info() });
        obs = next;
        if current.len() == clip_len || done {
            clips.push(make_clip(&scene, episode_seed, start, std::mem::take(&mut current)));
            start = env.steps();
        }
        if done {
            episode += 1;
            episode_seed = crate::sim::episode_seed(seed, 0, episode);
            obs = env.reset(episode_seed);
            start = 0;
        }
    }
    if !current.is_empty() {
        clips.push(make_clip(&scene, episode_seed, start, current));
    }
    Ok(clips)
}

fn make_clip(scene: &Scene, seed: u64, start: usize, steps: Vec<ClipStep>) -> Clip {
    Clip {
        id: format!("{seed:016x}-{start:05}"),
        scene: scene.name.clone(),
        seed,
        start_step: start,
        control_dt: scene.control_dt(),
        steps,
    }
}

#[derive(Serialize)]
struct ClipSummary {
    id: String,
    steps: usize,
    score: f32,
    clean_flips: usize,
}

/// Saves clips as `DIR/clips/ID.clip` and a summary `DIR/rollout.json` with each clip's score.
pub fn save(dir: &Path, scene: &Scene, clips: &[Clip]) -> anyhow::Result<()> {
    let clip_dir = dir.join("clips");
    std::fs::create_dir_all(&clip_dir).with_context(|| format!("{}: cannot create", clip_dir.display()))?;
    let task = Task::for_scene(scene);
    let mut summary = Vec::new();
    for clip in clips {
        clip.save(&clip_dir.join(format!("{}.clip", clip.id)))?;
        let infos = clip.infos();
        let actions: Vec<&[f32]> = clip.steps.iter().map(|s| s.action.as_slice()).collect();
        summary.push(ClipSummary {
            id: clip.id.clone(),
            steps: clip.steps.len(),
            score: task.clip_score(&infos, &actions),
            clean_flips: task.judge.evaluate(&infos).clean_flips,
        });
    }
    let path = dir.join("rollout.json");
    crate::fsutil::write_atomic(&path, serde_json::to_string_pretty(&summary)?.as_bytes())
        .with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(())
}
