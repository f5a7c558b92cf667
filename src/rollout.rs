//! Recording episodes into clips with a fixed policy (random or zero torque).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::clip::{Clip, ClipDir, ClipIds, ClipRecorder};
use crate::hopper_env::{EnvReward, EnvSpec, HopperEnv};
use crate::scene::Scene;
use crate::task::Task;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FixedPolicy {
    /// Uniform random torques in [-1, 1].
    Random,
    /// No torque at all.
    Zero,
}

/// `steps` control steps of one environment with a fixed policy, cut into clips of the
/// scene's clip length (an episode's end cuts a shorter one, and so does the last step).
pub fn record(scene: Arc<Scene>, policy: FixedPolicy, steps: usize, seed: u64) -> anyhow::Result<Vec<Clip>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xAC71_0000);
    let recorder = ClipRecorder::new(1, scene.clip_steps(), &scene, ClipIds::Episode, true);
    let spec = EnvSpec { clips: Some(recorder), ..EnvSpec::reward(EnvReward::Zero) };
    let mut env = HopperEnv::new(scene.clone(), spec, 1, seed)?;
    let adim = scene.action_dim();
    env.play(steps, |_| match policy {
        FixedPolicy::Random => (0..adim).map(|_| rng.random_range(-1.0f32..=1.0)).collect(),
        FixedPolicy::Zero => vec![0.0; adim],
    })?;
    env.flush_clips();
    Ok(env.take_clips())
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
    let clip_dir = ClipDir::create(dir.join("clips"))?;
    let task = Task::for_scene(scene);
    let mut summary = Vec::new();
    for clip in clips {
        clip_dir.save(clip)?;
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
