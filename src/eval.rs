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
use crate::task::{BackflipJudge, Task};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EvalReport {
    /// Mean true return per episode, where the task has a true reward.
    pub mean_return: Option<f32>,
    pub backflips_per_episode: f32,
    /// Share of episodes with at least one clean backflip.
    pub success_rate: f32,
    /// Mean judge score of whole episodes.
    pub judge_score: f32,
    pub episodes: usize,
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
    let reports: Vec<_> = infos.iter().map(|i| task.judge.evaluate(i)).collect();
    let n = episodes as f32;
    let report = EvalReport {
        mean_return: task.true_reward(&Default::default(), &[]).map(|_| returns.iter().sum::<f32>() / n),
        backflips_per_episode: reports.iter().map(|r| r.clean_flips as f32).sum::<f32>() / n,
        success_rate: reports.iter().filter(|r| r.clean_flips > 0).count() as f32 / n,
        judge_score: reports.iter().map(BackflipJudge::score_report).sum::<f32>() / n,
        episodes,
        env_steps: ppo.global_step,
    };
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
        let mut s = String::from("| measure | value |\n|---|---|\n");
        let r = self.mean_return.map(|v| format!("{v:.1}")).unwrap_or_else(|| "n/a".into());
        s += &format!("| mean true return | {r} |\n");
        s += &format!("| clean backflips per episode | {:.2} |\n", self.backflips_per_episode);
        s += &format!("| success rate | {:.2} |\n", self.success_rate);
        s += &format!("| judge score | {:.3} |\n", self.judge_score);
        s += &format!("| episodes | {} |\n", self.episodes);
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
