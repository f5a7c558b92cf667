//! Hop forward: the reward of the standard Hopper benchmark, used as a known true reward.

use crate::sim::{StepInfo, wrap_angle};

/// Torso centre above 0.7 m and pitch within 0.2 rad of upright: the standard Hopper's "healthy".
pub fn is_healthy(now: &StepInfo) -> bool {
    now.z > 0.7 && wrap_angle(now.pitch).abs() < 0.2
}

/// Forward speed, plus 1 while healthy, minus 1e-3 times the squared action.
pub fn hop_forward_reward(now: &StepInfo, action: &[f32]) -> f32 {
    hop_forward_distance_reward(now, action) + if is_healthy(now) { 1.0 } else { 0.0 }
}

/// The same without the bonus for staying healthy: forward speed minus the control cost.
pub fn hop_forward_distance_reward(now: &StepInfo, action: &[f32]) -> f32 {
    now.x_velocity - 1e-3 * action.iter().map(|a| a * a).sum::<f32>()
}
