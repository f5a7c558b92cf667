//! Scene files: a body, its joints and motors, the timing and the task, all as data (RON).
//!
//! Coordinates are the x-z plane of the standard Hopper: x forward, z up. Every body is a capsule
//! between two points of that plane, so a new body is a new file, not new code.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::sim::UPRIGHT_DEG;

/// What the agent is asked to do; selects the judge and the per-step rewards.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    /// Backward somersaults, judged by `task::backflip::BackflipJudge`.
    Backflip,
    /// Hop forward, with the standard Hopper reward as the known true reward.
    HopForward,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Timing {
    /// Physics step in seconds.
    pub timestep: f32,
    /// Physics steps per control step (one action is held for all of them).
    pub substeps: usize,
    /// Control steps per episode; there is no early termination.
    pub episode_steps: usize,
    /// Length of a clip shown to the labeler, in seconds of simulated time.
    pub clip_seconds: f32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Physics {
    /// Gravity along z, m/s^2 (negative is down).
    pub gravity: f32,
    /// Density of every body, kg/m^3.
    pub density: f32,
    /// Friction of the ground and of every body without its own. A contact uses the larger
    /// of the two coefficients, as MuJoCo does.
    pub friction: f32,
    /// Rapier solver iterations per physics step.
    pub solver_iterations: usize,
    /// Gauss-Seidel passes over the constraints in each solver iteration (rapier's internal
    /// PGS iterations). The joints' armature makes them stiff (1 kg m^2 against bodies of about
    /// 0.1), so with too few passes a torque on one joint leaks into the next; the embedded
    /// scenes' eight bring the response within MuJoCo's (tests/sim.rs), at some cost in speed
    /// (docs/notebook/2026-11-27-simulator.md). Scenes written before this field had one.
    #[serde(default = "one")]
    pub joint_iterations: usize,
    /// Joint limits that give like MuJoCo's instead of stopping dead. None (scenes written
    /// before this field): rapier's hard limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft_limits: Option<SoftLimits>,
    /// Ground contact that gives like MuJoCo's instead of rapier's rigid contact. None (scenes
    /// written before this field): rapier's contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft_contact: Option<SoftContact>,
    /// Bodies collide with each other, except a joint's parent and child, as in MuJoCo's
    /// Hopper. Off (and in scenes written before this field), the torso can swing through its
    /// own legs, which meets the backflip's rule without a flip (docs/design.md, "A known
    /// loophole").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub self_collision: bool,
}

fn one() -> usize {
    1
}

/// A MuJoCo-style soft joint limit. Past a limit MuJoCo asks the joint's acceleration to be
/// `(1 - d) a0 + d (-b v - k r)`: `a0` the acceleration without the limit, `v` and `r` the
/// speed into the limit and how far past it the joint is, `d` the impedance,
/// `b = 2 / (d tc)` and `k = 1 / (d tc)^2` (critically damped). Here that becomes a one-sided
/// spring-damper (stiffness `d k I`, damping `d b I`, I the joint's armature) that only the
/// share `1 - d` of the motor's torque gets past; it acts while it pushes out of the limit.
/// The standard Hopper uses MuJoCo's defaults: time constant 0.02 s, impedance 0.95.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SoftLimits {
    /// Time constant of the spring-damper, seconds (MuJoCo's solref[0]).
    pub time_constant: f32,
    /// Share of the push into the limit that the limit takes up, in (0, 1) (MuJoCo's solimp).
    pub impedance: f32,
}

/// A MuJoCo-style soft ground contact, in place of rapier's rigid one. MuJoCo resolves a contact
/// by asking its acceleration to follow a critically damped spring-damper of penetration and
/// penetration speed (default solref 0.02 s, scaled by the impedance); on flat ground that is a
/// force, so here each capsule end within `margin` of the ground gets `m (k p - b v)` up, with
/// `k = 1 / tc^2`, `b = 2 / tc`, `p` the penetration, `v` its speed and `m` the whole hopper's
/// mass, and a sliding friction `-m b v_x` capped by Coulomb's `mu` times that force. MuJoCo's
/// capsule-plane contact, too, is a contact at each end of the capsule's segment. The force is
/// explicit, so the physics step must be short against the time constant (checked).
///
/// Why: with rapier's rigid contact PPO never learned to hop forward, and with this one it
/// does (docs/design.md, "The simulator"; docs/notebook/2026-11-27-hop-forward.md).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SoftContact {
    /// Time constant of the spring-damper, seconds. 0.016 is MuJoCo's default 0.02 times an
    /// impedance of 0.8.
    pub time_constant: f32,
    /// How far above the ground a capsule end starts to be pushed, metres.
    pub margin: f32,
}

/// Longest physics step for a soft contact, as a share of its time constant: an explicit
/// spring-damper goes unstable when the step nears the time constant, and the foot (a quarter
/// of the hopper's mass) feels the whole hopper's stiffness.
pub const SOFT_CONTACT_MAX_STEP: f32 = 0.2;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BodySpec {
    pub name: String,
    /// Capsule end points (x, z) in the initial standing pose, metres.
    pub from: [f32; 2],
    pub to: [f32; 2],
    pub radius: f32,
    /// True for the one body that may touch the ground during a clean flip (the foot).
    #[serde(default)]
    pub is_foot: bool,
    /// This body's friction, where it differs from `physics.friction` (the standard Hopper's
    /// foot has 2.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friction: Option<f32>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JointSpec {
    pub name: String,
    pub parent: String,
    pub child: String,
    /// Hinge position (x, z) in the initial pose; the axis is -y, as in the standard Hopper.
    pub anchor: [f32; 2],
    /// Joint range in degrees, [low, high].
    pub range_deg: [f32; 2],
    /// Motor gear: torque = gear * action, action in [-1, 1].
    pub gear: f32,
    /// Viscous joint damping, N m s / rad.
    pub damping: f32,
    /// MuJoCo's armature (kg m^2): rotor inertia reflected into joint space, resisting changes
    /// of the joint rate (not turns of the whole body). Solved implicitly through the hinge's
    /// velocity motor (`HopperWorld::set_joint_motors`).
    pub armature: f32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    pub name: String,
    pub task: TaskKind,
    pub timing: Timing,
    pub physics: Physics,
    /// The first body is the root (the torso): its pose is the agent's pose.
    pub bodies: Vec<BodySpec>,
    pub joints: Vec<JointSpec>,
    /// Half-width of the uniform noise on the initial pose and velocities.
    pub init_noise: f32,
    /// Joint and body velocities are clipped to +-this in the observation.
    pub velocity_clip: f32,
    /// The observation ends with the backward turn so far (src/sim/turn.rs), in whole turns,
    /// at most `OBSERVED_TURN_MAX`: the policy and the reward model see how far into a flip the
    /// hopper is, which pitch alone cannot say (upright before a flip and after one look the
    /// same). Off where a scene does not say, as in every scene made before it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub observe_turn: bool,
    /// The observation also shows the backward turn since the hopper last stood upright on its
    /// foot alone (src/sim/turn.rs, `TurnSinceUpright`), in whole turns, at most
    /// `turn_since_upright_max`, just before the turn so far: a tumble's turns add up in it, where a
    /// body on the ground starts the turn so far again. Off where a scene does not say.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub observe_turn_since_upright: bool,
    /// The most whole turns the observed turn since upright shows. At `OBSERVED_TURN_MAX`, a
    /// tumble's turns past the second read as the second's (E28); higher keeps every further
    /// turn visible (docs/notebook/2026-12-06-tumble-count.md). Written only when not the default,
    /// so runs made before it read the same.
    #[serde(default = "observed_turn_max", skip_serializing_if = "is_observed_turn_max")]
    pub turn_since_upright_max: f32,
    /// The foot on the ground with the torso further than this from upright (degrees) counts as
    /// down, as any other body does, for the judge and the turn so far (src/sim/turn.rs): the
    /// hopper is on its back on a folded leg, not standing on it, and a turn that comes down
    /// there and pivots back up on the foot has not landed. 0 (where a scene does not say, as
    /// in every scene made before it): only the other bodies are down
    /// (docs/notebook/2026-12-06-foot-down.md).
    #[serde(default, skip_serializing_if = "crate::settings::is_zero")]
    pub foot_down_beyond_deg: f32,
}

fn observed_turn_max() -> f32 {
    OBSERVED_TURN_MAX
}

fn is_observed_turn_max(x: &f32) -> bool {
    *x == OBSERVED_TURN_MAX
}

/// The most turns the observed turn so far shows: a tumble of more reads as this many.
pub const OBSERVED_TURN_MAX: f32 = 2.0;

/// A scene that could not be read, with the file and, where RON gives them, line and column.
#[derive(Debug, thiserror::Error)]
pub enum SceneError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{col}: {message}")]
    Parse { path: PathBuf, line: usize, col: usize, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Scene {
    /// Reads and checks a scene file.
    pub fn load(path: &Path) -> Result<Scene, SceneError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| SceneError::Io { path: path.to_owned(), source })?;
        Scene::parse(&text, path)
    }

    /// Parses and checks scene text; `path` only names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Scene, SceneError> {
        // Implicit `Some`: an optional field reads `friction: 2.0`, not `friction: Some(2.0)`.
        let ron = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let scene: Scene = ron.from_str(text).map_err(|e| SceneError::Parse {
            path: path.to_owned(),
            line: e.span.start.line,
            col: e.span.start.col,
            message: e.code.to_string(),
        })?;
        scene
            .validate()
            .map_err(|message| SceneError::Invalid { path: path.to_owned(), message })?;
        Ok(scene)
    }

    /// The scene for a built-in name (`hopper-backflip`, `hopper-forward`), embedded in the
    /// binary so that the main command runs from any folder.
    pub fn builtin(name: &str) -> Option<Scene> {
        let text = match name {
            "hopper-backflip" => include_str!("../scenes/hopper-backflip.ron"),
            "hopper-forward" => include_str!("../scenes/hopper-forward.ron"),
            _ => return None,
        };
        Some(Scene::parse(text, Path::new(name)).expect("embedded scenes are checked by tests"))
    }

    /// A path to a file, or the name of an embedded scene.
    pub fn resolve(spec: &str) -> Result<Scene, SceneError> {
        let path = Path::new(spec);
        if !path.exists()
            && let Some(scene) = Scene::builtin(spec)
        {
            return Ok(scene);
        }
        Scene::load(path)
    }

    /// Seconds of simulated time per control step.
    pub fn control_dt(&self) -> f32 {
        self.timing.timestep * self.timing.substeps as f32
    }

    /// Control steps in one clip: the fewest that cover `clip_seconds` (the small tolerance
    /// absorbs f32 rounding of the step length).
    pub fn clip_steps(&self) -> usize {
        (self.timing.clip_seconds as f64 / self.control_dt() as f64 - 1e-3).ceil().max(0.0) as usize
    }

    pub fn body_index(&self, name: &str) -> Option<usize> {
        self.bodies.iter().position(|b| b.name == name)
    }

    /// Observation length: root height, sin and cos of pitch, joint angles, root x/z/pitch
    /// velocities, joint velocities, the turn since upright where `observe_turn_since_upright`
    /// and the turn so far where `observe_turn`.
    pub fn obs_dim(&self) -> usize {
        3 + self.joints.len() + 3 + self.joints.len() + usize::from(self.observe_turn_since_upright) + usize::from(self.observe_turn)
    }

    pub fn action_dim(&self) -> usize {
        self.joints.len()
    }

    /// Checks the scene's values; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let t = &self.timing;
        let positive = |v: f32| v.is_finite() && v > 0.0;
        if !positive(t.timestep) {
            return Err(format!("timing.timestep must be positive, got {}", t.timestep));
        }
        if t.substeps == 0 {
            return Err("timing.substeps must be at least 1".into());
        }
        if t.episode_steps == 0 {
            return Err("timing.episode_steps must be at least 1".into());
        }
        if !positive(t.clip_seconds) || self.clip_steps() == 0 {
            return Err(format!("timing.clip_seconds {} is shorter than one control step", t.clip_seconds));
        }
        if self.clip_steps() > t.episode_steps {
            return Err(format!(
                "a clip ({} steps) is longer than an episode ({} steps)",
                self.clip_steps(),
                t.episode_steps
            ));
        }
        let p = &self.physics;
        if !p.gravity.is_finite() {
            return Err("physics.gravity must be finite".into());
        }
        if !positive(p.density) {
            return Err(format!("physics.density must be positive, got {}", p.density));
        }
        if !(p.friction.is_finite() && p.friction >= 0.0) {
            return Err(format!("physics.friction must be non-negative, got {}", p.friction));
        }
        if p.solver_iterations == 0 {
            return Err("physics.solver_iterations must be at least 1".into());
        }
        if p.joint_iterations == 0 {
            return Err("physics.joint_iterations must be at least 1".into());
        }
        if let Some(l) = &p.soft_limits {
            if !(l.time_constant > 0.0 && l.time_constant.is_finite()) {
                return Err(format!("physics.soft_limits.time_constant must be positive, got {}", l.time_constant));
            }
            if !(l.impedance > 0.0 && l.impedance < 1.0) {
                return Err(format!("physics.soft_limits.impedance must be between 0 and 1, got {}", l.impedance));
            }
        }
        if let Some(c) = &p.soft_contact {
            if !(c.time_constant > 0.0 && c.time_constant.is_finite()) {
                return Err(format!("physics.soft_contact.time_constant must be positive, got {}", c.time_constant));
            }
            if !(c.margin >= 0.0 && c.margin.is_finite()) {
                return Err(format!("physics.soft_contact.margin must be non-negative, got {}", c.margin));
            }
            let longest = SOFT_CONTACT_MAX_STEP * c.time_constant;
            if self.timing.timestep > longest {
                return Err(format!(
                    "timing.timestep {} s is too long for physics.soft_contact: at most {longest} s ({SOFT_CONTACT_MAX_STEP} of its time constant)",
                    self.timing.timestep
                ));
            }
        }
        if !(self.init_noise.is_finite() && self.init_noise >= 0.0) {
            return Err(format!("init_noise must be non-negative, got {}", self.init_noise));
        }
        if !positive(self.velocity_clip) {
            return Err(format!("velocity_clip must be positive, got {}", self.velocity_clip));
        }
        if self.bodies.is_empty() {
            return Err("a scene needs at least one body".into());
        }
        if self.observe_turn && !self.bodies.iter().any(|b| b.is_foot) {
            return Err("observe_turn needs a body with is_foot: the turn so far is measured between landings on the foot".into());
        }
        if self.observe_turn_since_upright && !self.bodies.iter().any(|b| b.is_foot) {
            return Err("observe_turn_since_upright needs a body with is_foot: the turn is measured since the hopper stood on its foot".into());
        }
        let most = self.turn_since_upright_max;
        if !(most.is_finite() && (1.0..=100.0).contains(&most)) {
            return Err(format!("turn_since_upright_max must be a number of whole turns from 1 to 100, got {most}"));
        }
        let beyond = self.foot_down_beyond_deg;
        // Below the upright band an upright stance on the foot would be down.
        if !(beyond.is_finite() && (beyond == 0.0 || (UPRIGHT_DEG..180.0).contains(&beyond))) {
            return Err(format!("foot_down_beyond_deg must be 0 (off) or from {UPRIGHT_DEG} (the upright band) to less than 180 degrees, got {beyond}"));
        }
        if beyond > 0.0 && !self.bodies.iter().any(|b| b.is_foot) {
            return Err("foot_down_beyond_deg needs a body with is_foot: it says when the foot counts as down".into());
        }
        for (i, b) in self.bodies.iter().enumerate() {
            if self.bodies[..i].iter().any(|o| o.name == b.name) {
                return Err(format!("body '{}' is defined twice", b.name));
            }
            if !positive(b.radius) {
                return Err(format!("body '{}': radius must be positive, got {}", b.name, b.radius));
            }
            if b.from.iter().chain(&b.to).any(|v| !v.is_finite()) {
                return Err(format!("body '{}': end points must be finite", b.name));
            }
            if b.from == b.to {
                return Err(format!("body '{}': from and to are the same point", b.name));
            }
            if let Some(f) = b.friction.filter(|f| !(f.is_finite() && *f >= 0.0)) {
                return Err(format!("body '{}': friction must be non-negative, got {f}", b.name));
            }
        }
        if self.bodies.iter().filter(|b| b.is_foot).count() > 1 {
            return Err("at most one body may be the foot".into());
        }
        let mut has_parent = vec![false; self.bodies.len()];
        for (i, j) in self.joints.iter().enumerate() {
            if self.joints[..i].iter().any(|o| o.name == j.name) {
                return Err(format!("joint '{}' is defined twice", j.name));
            }
            let parent = self
                .body_index(&j.parent)
                .ok_or_else(|| format!("joint '{}': unknown parent body '{}'", j.name, j.parent))?;
            let child = self
                .body_index(&j.child)
                .ok_or_else(|| format!("joint '{}': unknown child body '{}'", j.name, j.child))?;
            if parent == child {
                return Err(format!("joint '{}': a body cannot be joined to itself", j.name));
            }
            if child == 0 {
                return Err(format!("joint '{}': the root body '{}' cannot be a child", j.name, j.child));
            }
            if has_parent[child] {
                return Err(format!("joint '{}': body '{}' already has a parent", j.name, j.child));
            }
            has_parent[child] = true;
            let [lo, hi] = j.range_deg;
            if !(lo.is_finite() && hi.is_finite()) || lo >= hi {
                return Err(format!("joint '{}': range_deg [{lo}, {hi}] must be [low, high] with low < high", j.name));
            }
            if !positive(j.gear) {
                return Err(format!("joint '{}': gear must be positive, got {}", j.name, j.gear));
            }
            if !(j.damping.is_finite() && j.damping >= 0.0) {
                return Err(format!("joint '{}': damping must be non-negative", j.name));
            }
            if !(j.armature.is_finite() && j.armature >= 0.0) {
                return Err(format!("joint '{}': armature must be non-negative", j.name));
            }
        }
        if let Some(i) = (1..self.bodies.len()).find(|&i| !has_parent[i]) {
            return Err(format!("body '{}' is not attached to the root by any joint", self.bodies[i].name));
        }
        Ok(())
    }
}
