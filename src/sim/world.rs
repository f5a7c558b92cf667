//! Builds a rapier3d world from a scene, in one place, from data.

use rapier3d::prelude::*;
use serde::{Deserialize, Serialize};

use crate::scene::{Scene, SoftContact, SoftLimits};

/// Collision groups: hopper bodies collide with the ground, and with each other only where
/// the scene asks (`Physics::self_collision`; a joint's two bodies never do).
const GROUND: Group = Group::GROUP_1;
const HOPPER: Group = Group::GROUP_2;

/// Where a body is, for drawing and for the judges. Position (x, y, z), rotation quaternion
/// (x, y, z, w), in rapier's frame: z up.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct BodyPose {
    pub pos: [f32; 3],
    pub rot: [f32; 4],
}

/// A small rigid displacement of the whole hopper at reset: the initial-state noise.
#[derive(Clone, Copy, Debug, Default)]
pub struct RootOffset {
    pub dx: f32,
    pub dz: f32,
    /// Pitch offset (rad, about -y: positive leans back).
    pub dpitch: f32,
    pub vx: f32,
    pub vz: f32,
    pub pitch_rate: f32,
}

pub struct HopperWorld {
    pub physics: PhysicsWorld,
    pub bodies: Vec<RigidBodyHandle>,
    pub colliders: Vec<ColliderHandle>,
    pub ground: ColliderHandle,
    /// Each hinge, in scene order, with its parent and child body indices.
    joints: Vec<Hinge>,
    soft_limits: Option<SoftLimits>,
    /// The soft ground contact, with what it needs of each body.
    soft_contact: Option<SoftGround>,
}

/// What the soft ground contact needs (`SoftContact`).
struct SoftGround {
    params: SoftContact,
    /// The whole hopper's mass, kg.
    mass: f32,
    /// Each body's capsule: segment end points in the body's frame, radius, and the friction
    /// coefficient of its contact with the ground (the larger of the two, as MuJoCo's).
    capsules: Vec<([Vector; 2], f32, f32)>,
}

impl SoftGround {
    /// Body `i`'s capsule segment end points in the world, at `pose`.
    fn world_ends(&self, i: usize, pose: &Pose) -> [Vector; 2] {
        self.capsules[i].0.map(|end| pose.translation + pose.rotation * end)
    }
}

struct Hinge {
    handle: ImpulseJointHandle,
    parent: usize,
    child: usize,
    gear: f32,
    damping: f32,
    armature: f32,
    /// Range in radians.
    limits: [f32; 2],
    /// Motor torque of the current control step (gear times the clamped action).
    torque: f32,
}

/// Rotation about -y by `pitch`, the standard Hopper's joint axis.
pub fn pitch_rotation(pitch: f32) -> Rotation {
    Rotation::from_axis_angle(Vector::NEG_Y, pitch)
}

/// The angle about -y of a rotation that is about y only (every body here is locked to that).
pub fn pitch_of(rot: &Rotation) -> f32 {
    -2.0 * rot.y.atan2(rot.w)
}

impl HopperWorld {
    pub fn build(scene: &Scene, offset: RootOffset) -> HopperWorld {
        let mut physics = PhysicsWorld::new();
        physics.gravity = Vector::new(0.0, 0.0, scene.physics.gravity);
        physics.integration_parameters.dt = scene.timing.timestep;
        physics.integration_parameters.num_solver_iterations = scene.physics.solver_iterations;
        physics.integration_parameters.num_internal_pgs_iterations = scene.physics.joint_iterations;

        // With the soft contact the ground only marks where the floor is: rapier neither finds
        // nor solves its contacts (the soft contact computes its own, which is cheaper).
        let soft = scene.physics.soft_contact.is_some();
        let ground_groups = if soft { InteractionGroups::none() } else { InteractionGroups::new(GROUND, HOPPER, InteractionTestMode::And) };
        let ground = physics.insert_collider(
            ColliderBuilder::halfspace(rapier3d::na::Unit::new_unchecked(Vector::Z))
                .friction(scene.physics.friction)
                .friction_combine_rule(CoefficientCombineRule::Max)
                .collision_groups(ground_groups),
            None,
        );

        // Every body moves in the x-z plane only and turns about y only: drift out of the
        // plane is impossible by construction, not merely small.
        let planar = LockedAxes::TRANSLATION_LOCKED_Y
            | LockedAxes::ROTATION_LOCKED_X
            | LockedAxes::ROTATION_LOCKED_Z;
        let root_center = center(&scene.bodies[0].from, &scene.bodies[0].to);
        let rot = pitch_rotation(offset.dpitch);
        let place = |p: Vector| root_center + rot * (p - root_center) + Vector::new(offset.dx, 0.0, offset.dz);

        let hopper_filter = if scene.physics.self_collision { GROUND | HOPPER } else { GROUND };
        let mut bodies = Vec::new();
        let mut colliders = Vec::new();
        let mut capsules = Vec::new();
        for spec in &scene.bodies {
            let c = center(&spec.from, &spec.to);
            let world_c = place(c);
            // Rigid-body velocity of the whole hopper about the root centre.
            let r = world_c - root_center;
            let omega_y = -offset.pitch_rate;
            let linvel = Vector::new(offset.vx + omega_y * r.z, 0.0, offset.vz - omega_y * r.x);
            let body = RigidBodyBuilder::dynamic()
                .pose(Pose::from_parts(world_c, rot))
                .linvel(linvel)
                .angvel(Vector::new(0.0, omega_y, 0.0))
                .locked_axes(planar)
                .can_sleep(false);
            let a = xz(&spec.from) - c;
            let b = xz(&spec.to) - c;
            let friction = spec.friction.unwrap_or(scene.physics.friction).max(scene.physics.friction);
            capsules.push(([a, b], spec.radius, friction));
            let collider = ColliderBuilder::capsule_from_endpoints(a, b, spec.radius)
                .density(scene.physics.density)
                .friction(spec.friction.unwrap_or(scene.physics.friction))
                .friction_combine_rule(CoefficientCombineRule::Max)
                .collision_groups(InteractionGroups::new(HOPPER, hopper_filter, InteractionTestMode::And));
            let (handle, collider) = physics.insert(body, collider);
            bodies.push(handle);
            colliders.push(collider);
        }

        let mut joints = Vec::new();
        for j in &scene.joints {
            let parent = scene.body_index(&j.parent).expect("validated");
            let child = scene.body_index(&j.child).expect("validated");
            let anchor = xz(&j.anchor);
            let pc = center(&scene.bodies[parent].from, &scene.bodies[parent].to);
            let cc = center(&scene.bodies[child].from, &scene.bodies[child].to);
            // A hinge about -y. The bodies already cannot leave the plane or tilt out of it,
            // so the joint constrains only what is left: the anchor's x and z. Constraining
            // the locked directions again would make the solver's effective mass singular.
            let mut joint = GenericJointBuilder::new(JointAxesMask::LIN_Y | JointAxesMask::LIN_Z)
                .local_axis1(Vector::NEG_Y)
                .local_axis2(Vector::NEG_Y)
                .local_anchor1(anchor - pc)
                .local_anchor2(anchor - cc)
                .contacts_enabled(false);
            let limits = [j.range_deg[0].to_radians(), j.range_deg[1].to_radians()];
            if scene.physics.soft_limits.is_none() {
                joint = joint.limits(JointAxis::AngX, limits);
            }
            if j.damping > 0.0 || j.armature > 0.0 || scene.physics.soft_limits.is_some() {
                // The velocity motor that carries damping and armature (`set_joint_motors`).
                joint = joint
                    .motor_model(JointAxis::AngX, MotorModel::ForceBased)
                    .motor_velocity(JointAxis::AngX, 0.0, j.damping);
            }
            let joint = joint.build();
            let handle = physics.insert_impulse_joint(bodies[parent], bodies[child], joint);
            let (gear, damping, armature) = (j.gear, j.damping, j.armature);
            joints.push(Hinge { handle, parent, child, gear, damping, armature, limits, torque: 0.0 });
        }
        let soft_contact = scene.physics.soft_contact.map(|params| {
            let mass = bodies.iter().map(|&h| physics.bodies[h].mass()).sum();
            SoftGround { params, mass, capsules }
        });
        HopperWorld { physics, bodies, colliders, ground, joints, soft_limits: scene.physics.soft_limits, soft_contact }
    }

    /// Sets the forces and motors for the next physics step of `dt` seconds: the joints'
    /// (`set_joint_motors`) and, with a soft contact, the ground's.
    pub fn prepare_physics_step(&mut self, dt: f32) {
        self.set_joint_motors(dt);
        self.push_from_ground();
    }

    /// The soft ground contact's forces for the next physics step (`SoftContact`).
    fn push_from_ground(&mut self) {
        let Some(ground) = &self.soft_contact else { return };
        let tc = ground.params.time_constant;
        let (k, b) = (ground.mass / (tc * tc), 2.0 * ground.mass / tc);
        for (i, &h) in self.bodies.iter().enumerate() {
            let (_, radius, mu) = ground.capsules[i];
            let body = &mut self.physics.bodies[h];
            body.reset_forces(false);
            for centre in ground.world_ends(i, body.position()) {
                let depth = radius + ground.params.margin - centre.z;
                if depth <= 0.0 {
                    continue;
                }
                let point = Vector::new(centre.x, 0.0, centre.z - radius);
                let v = body.velocity_at_point(point);
                let normal = (k * depth - b * v.z).max(0.0);
                let friction = (-b * v.x).clamp(-mu * normal, mu * normal);
                body.add_force_at_point(Vector::new(friction, 0.0, normal), point, false);
            }
        }
    }

    /// Sets each hinge's motor torque for the next control step: gear times its applied
    /// action (`applied_action`). `set_joint_motors` applies it before every physics step.
    pub fn set_joint_torques(&mut self, action: &[f32]) {
        for (j, a) in self.joints.iter_mut().zip(action) {
            j.torque = j.gear * applied_action(*a);
        }
    }

    /// Angle of hinge `k` (about -y), child relative to parent, in (-pi, pi].
    pub fn joint_angle(&self, k: usize) -> f32 {
        let b = &self.physics.bodies;
        let j = &self.joints[k];
        crate::sim::wrap_angle(pitch_of(b[self.bodies[j.child]].rotation()) - pitch_of(b[self.bodies[j.parent]].rotation()))
    }

    /// Rate of hinge `k` (about -y), child relative to parent, rad/s.
    pub fn joint_rate(&self, k: usize) -> f32 {
        let b = &self.physics.bodies;
        let j = &self.joints[k];
        -(b[self.bodies[j.child]].angvel().y - b[self.bodies[j.parent]].angvel().y)
    }

    /// Sets each hinge's velocity motor for the next physics step of `dt` seconds: viscous
    /// damping plus MuJoCo's armature, both solved implicitly by rapier.
    ///
    /// Armature `a` is rotor inertia reflected into joint space: a torque of -a times the joint's
    /// acceleration, which resists changes of the joint rate but not turns of the whole body.
    /// rapier has no such term (inertia added to the child body would also resist whole-body
    /// turns). A force-based velocity motor with target v* and factor D applies D (v* - v) with
    /// the end-of-step rate v, so D = damping + a/dt and v* = (a/dt) v0 / D, where v0 is the rate
    /// now, give -damping v - a (v - v0)/dt: implicit (backward Euler) damping and armature.
    ///
    /// With soft limits the same motor also carries the limit's spring-damper (`SoftLimits`),
    /// and only the share `1 - impedance` of the motor torque reaches a joint held by its limit.
    /// Each motor torque acts about the axis (-y) on the child, its reaction on the parent.
    fn set_joint_motors(&mut self, dt: f32) {
        let b = &mut self.physics.bodies;
        for &h in &self.bodies {
            b[h].reset_torques(false);
        }
        for k in 0..self.joints.len() {
            let rate = self.joint_rate(k);
            let angle = self.joint_angle(k);
            let j = &self.joints[k];
            let inertia_gain = j.armature / dt;
            let mut factor = j.damping + inertia_gain;
            let mut spring = (0.0, 0.0); // (stiffness, the limit it pulls back to)
            let mut torque = j.torque;
            if let Some(limit) = self.soft_limits.and_then(|l| soft_limit(&l, j, angle, rate)) {
                factor += limit.damping;
                spring = (limit.stiffness, limit.angle);
                torque *= limit.torque_share;
            }
            let axis_torque = Vector::new(0.0, -torque, 0.0);
            let b = &mut self.physics.bodies;
            b[self.bodies[j.child]].add_torque(axis_torque, false);
            b[self.bodies[j.parent]].add_torque(-axis_torque, false);
            let Some(joint) = self.physics.impulse_joints.get_mut(j.handle, false) else { continue };
            if factor <= 0.0 {
                // A motor with factor 0 would be a rigid velocity lock in rapier: give it no force.
                if joint.data.motor(JointAxis::AngX).is_some() {
                    joint.data.set_motor_max_force(JointAxis::AngX, 0.0);
                }
                continue;
            }
            let target = inertia_gain * rate / factor;
            joint.data.set_motor(JointAxis::AngX, spring.1, target, spring.0, factor);
            joint.data.set_motor_max_force(JointAxis::AngX, f32::MAX);
        }
    }

    /// Puts every body back exactly in the x-z plane. Locked axes stop velocities out of the
    /// plane, but the joint solver's position correction can still leak a tilt of ~1e-4 rad
    /// per episode, and it compounds; this removes it after every physics step.
    pub fn project_to_plane(&mut self) {
        for &h in &self.bodies {
            let body = &mut self.physics.bodies[h];
            let pose = body.position();
            let (rot, t) = (pose.rotation, pose.translation);
            if rot.x != 0.0 || rot.z != 0.0 || t.y != 0.0 {
                let flat = pitch_rotation(pitch_of(&rot));
                body.set_position(Pose::from_parts(Vector::new(t.x, 0.0, t.z), flat), false);
            }
        }
    }

    pub fn pose(&self, body: usize) -> BodyPose {
        let p = self.physics.bodies[self.bodies[body]].position();
        let t = p.translation;
        let r = p.rotation;
        BodyPose { pos: [t.x, t.y, t.z], rot: [r.x, r.y, r.z, r.w] }
    }

    /// Whether a body's collider touches the ground now: a contact point within
    /// `TOUCH_DISTANCE`. rapier also keeps speculative contacts up to its prediction distance
    /// (2 cm) away; counting those made a hopper standing on its foot "touch" with its leg,
    /// whose lower end is 2 cm above the ground then.
    /// With the soft contact: the capsule's lowest point within `TOUCH_DISTANCE` of the ground.
    pub fn touches_ground(&self, body: usize) -> bool {
        if let Some(ground) = &self.soft_contact {
            let radius = ground.capsules[body].1;
            let ends = ground.world_ends(body, self.physics.bodies[self.bodies[body]].position());
            return ends.iter().any(|end| end.z - radius <= TOUCH_DISTANCE);
        }
        self.physics
            .narrow_phase
            .contact_pair(self.colliders[body], self.ground)
            .is_some_and(|pair| {
                pair.manifolds().iter().flat_map(|m| m.points.iter()).any(|p| p.dist <= TOUCH_DISTANCE)
            })
    }
}

/// What a soft limit adds to a hinge's motor for one physics step.
struct LimitPush {
    stiffness: f32,
    damping: f32,
    /// The limit the spring pulls back to, radians.
    angle: f32,
    /// Share of the motor torque that still reaches the joint.
    torque_share: f32,
}

/// The soft limit of hinge `j` at `angle` and `rate`, if it is past a limit and pushing out
/// (MuJoCo's limit force is never negative: it does not hold a joint that leaves).
fn soft_limit(l: &SoftLimits, j: &Hinge, angle: f32, rate: f32) -> Option<LimitPush> {
    let [lo, hi] = j.limits;
    // `past`: how far beyond the limit; `into`: +1 where growing the angle goes further past.
    let (past, into, limit) = if angle > hi {
        (angle - hi, 1.0, hi)
    } else if angle < lo {
        (lo - angle, -1.0, lo)
    } else {
        return None;
    };
    let d = l.impedance;
    let b = 2.0 / (d * l.time_constant);
    let k = 1.0 / (d * l.time_constant).powi(2);
    // The armature dominates the Hopper's joint inertia (1 kg m^2 against ~0.1 for the links).
    let inertia = j.armature.max(1e-3);
    let push = d * (into * j.torque + inertia * (b * into * rate + k * past));
    (push > 0.0).then_some(LimitPush { stiffness: d * k * inertia, damping: d * b * inertia, angle: limit, torque_share: 1.0 - d })
}

/// Farthest a contact point may be from the ground and still count as touching, metres: a
/// resting contact lies within a fraction of a millimetre of the ground, while rapier's
/// speculative contacts reach up to 2 cm above it (`tests/sim.rs` checks both cases;
/// docs/notebook/2026-11-27-simulator.md).
pub const TOUCH_DISTANCE: f32 = 0.005;

fn xz(p: &[f32; 2]) -> Vector {
    Vector::new(p[0], 0.0, p[1])
}

fn center(a: &[f32; 2], b: &[f32; 2]) -> Vector {
    (xz(a) + xz(b)) * 0.5
}

/// The action a hinge gets from a policy's number: clamped to [-1, 1] (a finite number beyond
/// moves nothing more; a non-finite one stays so, and the step refuses it). What the hopper did
/// is this, so the clips, every reward and the teachers see this, never the number asked for.
pub fn applied_action(a: f32) -> f32 {
    a.clamp(-1.0, 1.0)
}
