//! Builds a rapier3d world from a scene, in one place, from data.

use rapier3d::prelude::*;
use serde::{Deserialize, Serialize};

use crate::scene::Scene;

/// Collision group of the ground; hopper bodies collide with it and not with each other
/// (the standard Hopper's self-contacts never matter for hopping or flipping).
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
}

struct Hinge {
    handle: ImpulseJointHandle,
    parent: usize,
    child: usize,
    gear: f32,
    damping: f32,
    armature: f32,
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

        let ground = physics.insert_collider(
            ColliderBuilder::halfspace(rapier3d::na::Unit::new_unchecked(Vector::Z))
                .friction(scene.physics.friction)
                .friction_combine_rule(CoefficientCombineRule::Max)
                .collision_groups(InteractionGroups::new(GROUND, HOPPER, InteractionTestMode::And)),
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

        let mut bodies = Vec::new();
        let mut colliders = Vec::new();
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
            let collider = ColliderBuilder::capsule_from_endpoints(a, b, spec.radius)
                .density(scene.physics.density)
                .friction(spec.friction.unwrap_or(scene.physics.friction))
                .friction_combine_rule(CoefficientCombineRule::Max)
                .collision_groups(InteractionGroups::new(HOPPER, GROUND, InteractionTestMode::And));
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
                .limits(JointAxis::AngX, [j.range_deg[0].to_radians(), j.range_deg[1].to_radians()])
                .contacts_enabled(false);
            if j.damping > 0.0 || j.armature > 0.0 {
                // The velocity motor that carries damping and armature (`set_joint_motors`).
                joint = joint
                    .motor_model(JointAxis::AngX, MotorModel::ForceBased)
                    .motor_velocity(JointAxis::AngX, 0.0, j.damping);
            }
            let joint = joint.build();
            let handle = physics.insert_impulse_joint(bodies[parent], bodies[child], joint);
            joints.push(Hinge { handle, parent, child, gear: j.gear, damping: j.damping, armature: j.armature });
        }
        HopperWorld { physics, bodies, colliders, ground, joints }
    }

    /// Sets each hinge's motor torque for the next step: gear times its action, clamped to
    /// [-1, 1], about the axis (-y) on the child and its reaction on the parent.
    pub fn set_joint_torques(&mut self, action: &[f32]) {
        let b = &mut self.physics.bodies;
        for &h in &self.bodies {
            b[h].reset_torques(false);
        }
        for (j, a) in self.joints.iter().zip(action) {
            let torque = Vector::new(0.0, -j.gear * a.clamp(-1.0, 1.0), 0.0);
            b[self.bodies[j.child]].add_torque(torque, false);
            b[self.bodies[j.parent]].add_torque(-torque, false);
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
    pub fn set_joint_motors(&mut self, dt: f32) {
        for k in 0..self.joints.len() {
            let rate = self.joint_rate(k);
            let j = &self.joints[k];
            let inertia_gain = j.armature / dt;
            let factor = j.damping + inertia_gain;
            if factor <= 0.0 {
                // A motor with factor 0 would be a rigid velocity lock in rapier: leave it off.
                continue;
            }
            let target = inertia_gain * rate / factor;
            if let Some(joint) = self.physics.impulse_joints.get_mut(j.handle, false) {
                joint.data.set_motor_velocity(JointAxis::AngX, target, factor);
            }
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
    pub fn touches_ground(&self, body: usize) -> bool {
        self.physics
            .narrow_phase
            .contact_pair(self.colliders[body], self.ground)
            .is_some_and(|pair| {
                pair.manifolds().iter().flat_map(|m| m.points.iter()).any(|p| p.dist <= TOUCH_DISTANCE)
            })
    }
}

/// Farthest a contact point may be from the ground and still count as touching, metres. In a
/// probe of the standing hopper the resting foot's contact points were 0 to 0.4 mm inside the
/// ground and the leg's speculative ones 19.7 mm above it (`tests/sim.rs` checks both cases).
pub const TOUCH_DISTANCE: f32 = 0.005;

fn xz(p: &[f32; 2]) -> Vector {
    Vector::new(p[0], 0.0, p[1])
}

fn center(a: &[f32; 2], b: &[f32; 2]) -> Vector {
    (xz(a) + xz(b)) * 0.5
}
