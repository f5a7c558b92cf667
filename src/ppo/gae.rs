//! Generalised advantage estimation over a rollout laid out step-major: index `t * n + e`.

/// Returns (advantages, returns). `dones[t*n+e]` says the episode of environment `e` ended
/// with step `t` (its reward already holds any bootstrap of a truncated episode), so nothing
/// flows back across it. `next_values` are the values of the observations after the rollout.
pub fn gae(
    rewards: &[f32],
    values: &[f32],
    dones: &[bool],
    next_values: &[f32],
    gamma: f32,
    lambda: f32,
) -> (Vec<f32>, Vec<f32>) {
    let n = next_values.len();
    let steps = rewards.len() / n;
    let mut adv = vec![0.0f32; rewards.len()];
    let mut last = vec![0.0f32; n];
    for t in (0..steps).rev() {
        for e in 0..n {
            let i = t * n + e;
            let continues = if dones[i] { 0.0 } else { 1.0 };
            let next_v = if t + 1 == steps { next_values[e] } else { values[i + n] };
            let delta = rewards[i] + gamma * next_v * continues - values[i];
            last[e] = delta + gamma * lambda * continues * last[e];
            adv[i] = last[e];
        }
    }
    let returns = adv.iter().zip(values).map(|(a, v)| a + v).collect();
    (adv, returns)
}
