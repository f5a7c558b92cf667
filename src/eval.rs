//! Evaluation of a run's deterministic policy: the same measures for every run, whatever
//! reward it trained on.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use serde::{Deserialize, Serialize};

use crate::clip::{Clip, ClipStep};
use crate::ppo::Ppo;
use crate::scene::Scene;
use crate::sim::VecEnv;
use crate::episode::{EpisodeStats, EpisodeSummary};
use crate::task::Task;

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
/// asked, each episode as a clip.
pub fn evaluate(ppo: &Ppo, scene: Arc<Scene>, episodes: usize, seed: u64, keep_clips: bool) -> anyhow::Result<(EvalReport, Vec<Clip>)> {
    let task = Task::for_scene(&scene);
    let mut venv = VecEnv::new(scene.clone(), episodes, seed ^ EVAL_SEED_OFFSET);
    venv.record_poses = keep_clips;
    let policy = ppo.policy();
    let ad = scene.action_dim();
    let mut infos = vec![Vec::new(); episodes];
    let mut returns = vec![0.0f32; episodes];
    let mut steps: Vec<Vec<ClipStep>> = vec![Vec::new(); episodes];
    let mut obs = venv.observations();
    let seeds: Vec<u64> = (0..episodes).map(|i| venv.current_seed(i)).collect();
    for _ in 0..scene.timing.episode_steps {
        let actions = ppo.act_deterministic(&policy, &obs);
        let out = venv.step(&actions)?;
        for e in 0..episodes {
            let a = &actions[e * ad..(e + 1) * ad];
            returns[e] += task.true_reward(&out.infos[e], a).unwrap_or(0.0);
            infos[e].push(out.infos[e]);
            if keep_clips {
                let od = scene.obs_dim();
                steps[e].push(ClipStep {
                    obs: obs[e * od..(e + 1) * od].to_vec(),
                    action: a.to_vec(),
                    poses: out.poses[e].clone(),
                    info: out.infos[e],
                });
            }
        }
        obs = out.obs;
    }
    let has_true_reward = task.true_reward(&Default::default(), &[]).is_some();
    let stats: Vec<EpisodeStats> =
        infos.iter().zip(&returns).map(|(i, &r)| EpisodeStats::judge(&task, i, 0.0, has_true_reward.then_some(r))).collect();
    let mut summary = EpisodeSummary::of(&stats);
    // Nothing is trained in evaluation: there is no training return.
    summary.episodic_return = None;
    let report = EvalReport { summary, env_steps: ppo.global_step };
    let clips = steps
        .into_iter()
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(e, s)| Clip {
            id: format!("eval-{e:03}"),
            scene: scene.name.clone(),
            seed: seeds[e],
            start_step: 0,
            control_dt: scene.control_dt(),
            steps: s,
        })
        .collect();
    Ok((report, clips))
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

    /// Writes the report as JSON to `path` (a run's eval.json, or eval-STEP.json for a snapshot).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        crate::fsutil::write_atomic(path, serde_json::to_string_pretty(self)?.as_bytes())
            .with_context(|| format!("{}: cannot write", path.display()))?;
        Ok(())
    }
}
