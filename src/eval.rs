//! Evaluation of a run's deterministic policy: the same measures for every run, whatever
//! reward it trained on.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use serde::{Deserialize, Serialize};

use crate::clip::{Clip, ClipIds, ClipRecorder};
use crate::episode::EpisodeSummary;
use crate::hopper_env::{EnvReward, EnvSpec, HopperEnv};
use crate::ppo::Ppo;
use crate::scene::Scene;

/// What the deterministic policy did in whole evaluation episodes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EvalReport {
    #[serde(flatten)]
    pub summary: EpisodeSummary,
    /// Environment steps the policy was trained for.
    pub env_steps: u64,
}

/// Seeds of evaluation episodes are far from those of training.
const EVAL_SEED_OFFSET: u64 = 0xE7A1_0000_0000;

/// Plays `episodes` whole episodes with the policy's mean action; returns the report and, if
/// asked, each episode as a clip (`eval-EEE`).
pub fn evaluate(ppo: &Ppo, scene: Arc<Scene>, episodes: usize, seed: u64, keep_clips: bool) -> anyhow::Result<(EvalReport, Vec<Clip>)> {
    let length = scene.timing.episode_steps;
    let clips = keep_clips.then(|| ClipRecorder::new(episodes, length, &scene, ClipIds::PerEnv("eval".into()), false));
    let spec = EnvSpec { clips, ..EnvSpec::reward(EnvReward::Zero) };
    let mut env = HopperEnv::new(scene, spec, episodes, seed ^ EVAL_SEED_OFFSET)?;
    let policy = ppo.policy();
    env.play(length, |obs| ppo.act_deterministic(&policy, obs))?;
    let mut summary = EpisodeSummary::of(&env.drain_finished());
    // Nothing is trained in evaluation: there is no training return.
    summary.episodic_return = None;
    Ok((EvalReport { summary, env_steps: ppo.global_step }, env.take_clips()))
}

/// The learned reward's value at each step of each clip, under `key`: `{"version": V, KEY:
/// {"eval-000": [r, ...], ...}, "members": {"eval-000": [[r, ...], ...], ...}}`, the reward being
/// what PPO was paid (the ensemble's normalised mean, before PPO's own scaling) and "members"
/// each member's normalised reward, whose mean it is (where they part, the queries look).
/// Exported episodes get it beside them as learned-reward.json (key "episodes"); `backflip clip
/// rewards` prints it for a run's saved clips (key "clips").
pub fn learned_rewards_json(reward: &crate::reward::RewardSnapshot, scene: &Scene, clips: &[Clip], key: &str) -> anyhow::Result<String> {
    let (mut mean, mut members) = (serde_json::Map::new(), serde_json::Map::new());
    for c in clips {
        let per = reward.clip_member_rewards(c, scene.bodies.len())?;
        mean.insert(c.id.clone(), serde_json::to_value(crate::reward::RewardSnapshot::mean_of(&per))?);
        members.insert(c.id.clone(), serde_json::to_value(per)?);
    }
    Ok(serde_json::to_string(&serde_json::json!({ "version": reward.version, key: mean, "members": members }))?)
}

impl EvalReport {
    pub fn table(&self) -> String {
        let f = |v: Option<f32>, digits: usize| v.map(|x| format!("{x:.digits$}")).unwrap_or_else(|| "n/a".into());
        let m = &self.summary;
        let mut s = String::from("| measure | value |\n|---|---|\n");
        s += &format!("| mean true return | {} |\n", f(m.true_return, 1));
        s += &format!("| clean backflips per episode | {} |\n", f(m.backflips_per_episode, 2));
        s += &format!("| success rate | {} |\n", f(m.success_rate, 2));
        s += &format!("| full backward turns per episode | {} |\n", f(m.backward_turns_per_episode, 2));
        s += &format!("| clean landings per full backward turn | {} |\n", f(m.landings_per_turn, 2));
        s += &format!("| judge score | {} |\n", f(m.judge_score, 3));
        s += &format!("| episodes | {} |\n", m.episodes);
        s += &format!("| env steps trained | {} |\n", self.env_steps);
        s
    }

    /// Reads a report written by `save`.
    pub fn load(path: &Path) -> anyhow::Result<EvalReport> {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: malformed evaluation", path.display()))
    }

    /// Writes the report as JSON to `path` (a run's eval.json, or eval-STEP.json for a snapshot).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        crate::fsutil::write_atomic(path, serde_json::to_string_pretty(self)?.as_bytes())
            .with_context(|| format!("{}: cannot write", path.display()))?;
        Ok(())
    }
}
