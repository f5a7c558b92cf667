//! One simulated Hopper: reset, step, observe. No early termination: a fall is part of the
//! episode, which always lasts `timing.episode_steps` control steps.

use std::sync::Arc;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapier3d::prelude::*;
use serde::{Deserialize, Serialize};

use super::world::{BodyPose, HopperWorld, RootOffset, pitch_of};
use super::turn::{TurnRule, TurnSinceUpright, TurnSoFar};
use crate::scene::{OBSERVED_TURN_MAX, Scene};

/// What the judges and rewards read after each control step.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Default)]
pub struct StepInfo {
    /// Torso pitch in radians about -y, unwrapped: a full backward turn adds 2 pi.
    pub pitch: f32,
    /// Bit i is set when body i touches the ground.
    pub contacts: u8,
    /// Torso centre.
    pub x: f32,
    pub z: f32,
    /// Forward speed of the torso over the last control step, m/s.
    pub x_velocity: f32,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SimError {
    #[error("action has {got} values, the scene has {want} motors")]
    ActionLength { got: usize, want: usize },
    #[error("action[{index}] is {value}, not a finite number")]
    NonFiniteAction { index: usize, value: f32 },
}

pub struct Env {
    scene: Arc<Scene>,
    world: HopperWorld,
    steps: usize,
    info: StepInfo,
    /// The turn so far (src/sim/turn.rs), and what the last step measured of it: observed where
    /// the scene says `observe_turn`.
    turn_rule: TurnRule,
    turn: TurnSoFar,
    last_turn: f32,
    /// The turn since the hopper last stood upright on its foot, and its last value: observed
    /// where the scene says `observe_turn_since_upright`.
    since_upright: TurnSinceUpright,
    last_since_upright: f32,
}

impl Env {
    pub fn new(scene: Arc<Scene>) -> Env {
        let world = HopperWorld::build(&scene, RootOffset::default());
        let turn_rule = TurnRule::for_scene(&scene);
        let mut env = Env {
            scene,
            world,
            steps: 0,
            info: StepInfo::default(),
            turn_rule,
            turn: TurnSoFar::new(0.0),
            last_turn: 0.0,
            since_upright: TurnSinceUpright::new(0.0),
            last_since_upright: 0.0,
        };
        env.info = env.measure(0.0, 0.0);
        env
    }

    pub fn scene(&self) -> &Arc<Scene> {
        &self.scene
    }

    /// Starts a new episode from the standing pose with seeded uniform noise on the root's
    /// pose and velocity; returns the first observation.
    pub fn reset(&mut self, seed: u64) -> Vec<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = self.scene.init_noise;
        let mut u = || if n > 0.0 { rng.random_range(-n..=n) } else { 0.0 };
        let offset = RootOffset { dx: u(), dz: u(), dpitch: u(), vx: u(), vz: u(), pitch_rate: u() };
        self.reset_to(offset)
    }

    /// Starts a new episode from the standing pose displaced by `offset` (scripted starts).
    pub fn reset_to(&mut self, offset: RootOffset) -> Vec<f32> {
        self.world = HopperWorld::build(&self.scene, offset);
        self.steps = 0;
        self.info = self.measure(offset.dpitch, 0.0);
        self.turn = TurnSoFar::new(self.info.pitch);
        self.last_turn = 0.0;
        self.since_upright = TurnSinceUpright::new(self.info.pitch);
        self.last_since_upright = 0.0;
        self.observe()
    }

    /// Control steps since the last reset.
    pub fn steps(&self) -> usize {
        self.steps
    }

    pub fn info(&self) -> StepInfo {
        self.info
    }

    /// Applies `action` (clamped to [-1, 1]) for one control step. Returns the observation and
    /// whether the episode has reached its length (then call `reset`).
    pub fn step(&mut self, action: &[f32]) -> Result<(Vec<f32>, bool), SimError> {
        let want = self.scene.joints.len();
        if action.len() != want {
            return Err(SimError::ActionLength { got: action.len(), want });
        }
        if let Some((index, &value)) = action.iter().enumerate().find(|(_, a)| !a.is_finite()) {
            return Err(SimError::NonFiniteAction { index, value });
        }
        self.world.set_joint_torques(action);
        let x_before = self.info.x;
        let mut pitch = self.info.pitch;
        for _ in 0..self.scene.timing.substeps {
            self.world.prepare_physics_step(self.scene.timing.timestep);
            self.world.physics.step();
            self.world.project_to_plane();
            let phys = &self.world.physics;
            // Unwrap every physics step: a turn of pi in 2 ms would be 1500 rad/s.
            let wrapped = pitch_of(phys.bodies[self.world.bodies[0]].rotation());
            pitch += wrap_angle(wrapped - pitch);
        }
        let dt = self.scene.control_dt();
        self.info = self.measure(pitch, 0.0);
        self.info.x_velocity = (self.info.x - x_before) / dt;
        self.last_turn = self.turn.step(&self.turn_rule, &self.info).turn;
        self.last_since_upright = self.since_upright.step(&self.turn_rule, &self.info);
        self.steps += 1;
        Ok((self.observe(), self.steps >= self.scene.timing.episode_steps))
    }

    fn measure(&self, pitch: f32, x_velocity: f32) -> StepInfo {
        let root = self.world.physics.bodies[self.world.bodies[0]].translation();
        let mut contacts = 0u8;
        for i in 0..self.world.bodies.len().min(8) {
            if self.world.touches_ground(i) {
                contacts |= 1 << i;
            }
        }
        StepInfo { pitch, contacts, x: root.x, z: root.z, x_velocity }
    }

    /// Root height, sin and cos of pitch (continuous across full turns), joint angles, root
    /// velocities (x, z, pitch rate) and joint velocities, velocities clipped; then, where the
    /// scene says so, the turn since upright and the turn so far, in whole turns (the turn so
    /// far last, where scripts read it).
    pub fn observe(&self) -> Vec<f32> {
        let b = &self.world.physics.bodies;
        let h = &self.world.bodies;
        let clip = self.scene.velocity_clip;
        let root = &b[h[0]];
        let mut obs = Vec::with_capacity(self.scene.obs_dim());
        obs.push(root.translation().z);
        obs.push(self.info.pitch.sin());
        obs.push(self.info.pitch.cos());
        for k in 0..self.scene.joints.len() {
            obs.push(self.world.joint_angle(k));
        }
        let v = root.linvel();
        obs.push(v.x.clamp(-clip, clip));
        obs.push(v.z.clamp(-clip, clip));
        obs.push((-root.angvel().y).clamp(-clip, clip));
        for k in 0..self.scene.joints.len() {
            obs.push(self.world.joint_rate(k).clamp(-clip, clip));
        }
        if self.scene.observe_turn_since_upright {
            obs.push((self.last_since_upright / std::f32::consts::TAU).clamp(0.0, self.scene.turn_since_upright_max));
        }
        if self.scene.observe_turn {
            // The turn up to this step, before a landing on it starts the next: the step that
            // lands a flip shows the whole turn.
            obs.push((self.last_turn / std::f32::consts::TAU).clamp(0.0, OBSERVED_TURN_MAX));
        }
        obs
    }

    /// Angles of every joint, in scene order.
    pub fn joint_angles(&self) -> Vec<f32> {
        (0..self.scene.joints.len()).map(|k| self.world.joint_angle(k)).collect()
    }

    pub fn poses(&self) -> Vec<BodyPose> {
        (0..self.world.bodies.len()).map(|i| self.world.pose(i)).collect()
    }

    /// Largest linear (m/s) and angular (rad/s) speed of any body: the explosion check.
    pub fn max_speeds(&self) -> (f32, f32) {
        let b = &self.world.physics.bodies;
        self.world.bodies.iter().fold((0.0f32, 0.0f32), |(l, a), &h| {
            (l.max(b[h].linvel().length()), a.max(b[h].angvel().length()))
        })
    }
}

/// An angle brought into (-pi, pi].
pub fn wrap_angle(a: f32) -> f32 {
    use std::f32::consts::{PI, TAU};
    let w = (a + PI).rem_euclid(TAU) - PI;
    if w <= -PI { w + TAU } else { w }
}
