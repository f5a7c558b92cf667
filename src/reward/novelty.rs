//! Exploration before the first comparisons: a state-entropy reward, as in PEBBLE's
//! unsupervised pre-training (Lee, Smith, Abbeel 2021). Each step pays ln(1 + d), where d is
//! the distance from the torso's new state to the k-th nearest of the states visited recently
//! (every environment's, the last `memory` of them): a policy trained on it seeks states it
//! has not been in (heights, tilts, spins), so that the first clips a person is asked about
//! show more than the initial policy's small wobble. Why and what it measured:
//! docs/notebook/2026-12-05-exploration.md.

/// The torso's state the distance is measured in: height, the pitch's sine and cosine, and
/// the forward, vertical and pitch velocities divided by the velocity clip, so that every
/// feature spans about one unit and none outweighs the others.
pub const FEATURES: usize = 6;

/// The torso features of one observation (the layout of `sim::Env::observe`).
pub fn torso_features(obs: &[f32], joints: usize, velocity_clip: f32) -> [f32; FEATURES] {
    let v = 3 + joints;
    [obs[0], obs[1], obs[2], obs[v] / velocity_clip, obs[v + 1] / velocity_clip, obs[v + 2] / velocity_clip]
}

/// The recent states and the k of the k-nearest-neighbour distance.
pub struct Novelty {
    k: usize,
    capacity: usize,
    memory: Vec<[f32; FEATURES]>,
    /// Where the next state is written once the memory is full (oldest first).
    next: usize,
}

impl Novelty {
    /// PEBBLE's k (5), and a memory of two default PPO rollouts (16 environments x 256 steps).
    pub fn new() -> Novelty {
        Novelty::with(5, 8192)
    }

    pub fn with(k: usize, capacity: usize) -> Novelty {
        assert!(k >= 1 && capacity >= k, "k-nearest needs k >= 1 and a memory of at least k");
        Novelty { k, capacity, memory: Vec::with_capacity(capacity), next: 0 }
    }

    /// Rewards of one step of every environment (their new states, in order), measured against
    /// the memory before any of them is added; then remembers them. Zero until the memory
    /// holds k states.
    pub fn rewards(&mut self, states: &[[f32; FEATURES]]) -> Vec<f32> {
        let mut distances = Vec::with_capacity(self.memory.len());
        let rewards = states
            .iter()
            .map(|s| {
                if self.memory.len() < self.k {
                    return 0.0;
                }
                distances.clear();
                distances.extend(self.memory.iter().map(|m| m.iter().zip(s).map(|(a, b)| (a - b) * (a - b)).sum::<f32>()));
                let (_, kth, _) = distances.select_nth_unstable_by(self.k - 1, f32::total_cmp);
                (1.0 + kth.sqrt()).ln()
            })
            .collect();
        for s in states {
            if self.memory.len() < self.capacity {
                self.memory.push(*s);
            } else {
                self.memory[self.next] = *s;
                self.next = (self.next + 1) % self.capacity;
            }
        }
        rewards
    }
}

impl Default for Novelty {
    fn default() -> Self {
        Novelty::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(x: f32) -> [f32; FEATURES] {
        [x, 0.0, 1.0, 0.0, 0.0, 0.0]
    }

    #[test]
    fn pays_nothing_until_k_states_are_remembered_then_more_for_a_state_far_from_them() {
        let mut n = Novelty::with(2, 10);
        assert_eq!(n.rewards(&[state(0.0)]), vec![0.0]);
        assert_eq!(n.rewards(&[state(0.1)]), vec![0.0]);
        let r = n.rewards(&[state(0.05), state(3.0)]);
        // The second nearest of {0.0, 0.1}: 0.05 from 0.05, 3.0 from 3.0.
        assert!((r[0] - 1.05f32.ln()).abs() < 1e-6, "{r:?}");
        assert!((r[1] - 4.0f32.ln()).abs() < 1e-5, "{r:?}");
    }

    #[test]
    fn forgets_the_oldest_state_first() {
        let mut n = Novelty::with(1, 2);
        n.rewards(&[state(0.0), state(1.0)]);
        // 0.0 is replaced by 5.0: the state 0.0 is then 1.0 from its nearest.
        n.rewards(&[state(5.0)]);
        let r = n.rewards(&[state(0.0)]);
        assert!((r[0] - 2.0f32.ln()).abs() < 1e-6, "{r:?}");
    }

    #[test]
    fn torso_features_scale_the_velocities() {
        // z, sin, cos, 3 joint angles, vx, vz, pitch rate, 3 joint rates.
        let obs = [1.2, 0.5, 0.8, 0.1, 0.2, 0.3, 2.0, -4.0, 10.0, 7.0, 8.0, 9.0];
        assert_eq!(torso_features(&obs, 3, 10.0), [1.2, 0.5, 0.8, 0.2, -0.4, 1.0]);
    }
}
