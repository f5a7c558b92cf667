//! The turn so far: how far the torso has turned backwards since the clean segment under way
//! began, by the rule the backflip judge counts flips with (task/backflip.rs). A segment begins
//! when the hopper is down (a body other than the foot on the ground, or the foot with the torso
//! beyond the scene's `foot_down_beyond_deg` from upright), and at each landing: on the foot, the
//! torso within `UPRIGHT_DEG` of upright, after at least `CLEAN_TURN_DEG` of turn. A scene may
//! show it to the policy and the reward model (`Scene::observe_turn`), because an upright hopper
//! on its foot looks the same whether or not it has just turned
//! (docs/notebook/2026-12-05-turn-so-far.md).

use super::StepInfo;
use super::wrap_angle;
use crate::scene::Scene;

/// Backward turn of the torso, in degrees, that a clean backflip needs (DESIGN's definition).
pub const CLEAN_TURN_DEG: f32 = 330.0;
/// How far from upright, in degrees, a landing may be.
pub const UPRIGHT_DEG: f32 = 30.0;

/// What ends a segment: the turn a landing needs, the upright band, which bodies are the
/// foot (may touch) and which are not, and how far from upright the foot may touch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TurnRule {
    /// Radians.
    pub min_turn: f32,
    /// Radians.
    pub upright: f32,
    pub foot_mask: u8,
    pub body_mask: u8,
    /// Radians from upright beyond which the foot on the ground is down too (the scene's
    /// `foot_down_beyond_deg`); None: the foot is never down.
    pub foot_down_beyond: Option<f32>,
}

impl TurnRule {
    /// The definition's thresholds with the scene's foot.
    pub fn for_scene(scene: &Scene) -> TurnRule {
        let foot_mask = scene
            .bodies
            .iter()
            .take(8)
            .enumerate()
            .filter(|(_, b)| b.is_foot)
            .fold(0u8, |m, (i, _)| m | 1 << i);
        let all = ((1u16 << scene.bodies.len().min(8)) - 1) as u8;
        TurnRule {
            min_turn: CLEAN_TURN_DEG.to_radians(),
            upright: UPRIGHT_DEG.to_radians(),
            foot_mask,
            body_mask: all & !foot_mask,
            foot_down_beyond: foot_down_limit(scene.foot_down_beyond_deg),
        }
    }

    /// The hopper is down at this step: a body other than the foot touches the ground, or the
    /// foot does with the torso too far from upright to be standing on it.
    pub fn down(&self, s: &StepInfo) -> bool {
        s.contacts & self.body_mask != 0
            || (s.contacts & self.foot_mask != 0 && self.foot_down_beyond.is_some_and(|limit| wrap_angle(s.pitch).abs() > limit))
    }
}

/// `TurnRule::foot_down_beyond` from a setting in degrees, 0 meaning off.
pub fn foot_down_limit(degrees: f32) -> Option<f32> {
    (degrees > 0.0).then(|| degrees.to_radians())
}

/// One step as the segment saw it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TurnStep {
    /// Backward turn of the segment up to and including this step, radians (before a landing or
    /// a fall on this step starts the next segment).
    pub turn: f32,
    /// The hopper is down (`TurnRule::down`): the segment ended unclean.
    pub down: bool,
    /// The segment ended in a landing.
    pub landed: bool,
}

/// The lowest torso pitch of the segment under way: the turn is measured from it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TurnSoFar {
    low: f32,
}

impl TurnSoFar {
    /// A segment starting at `pitch` (an episode's first step).
    pub fn new(pitch: f32) -> TurnSoFar {
        TurnSoFar { low: pitch }
    }

    /// Takes in the state a step reached.
    pub fn step(&mut self, rule: &TurnRule, s: &StepInfo) -> TurnStep {
        if rule.down(s) {
            let turn = s.pitch - self.low;
            self.low = s.pitch;
            return TurnStep { turn, down: true, landed: false };
        }
        self.low = self.low.min(s.pitch);
        let turn = s.pitch - self.low;
        let on_foot = s.contacts & rule.foot_mask != 0;
        let landed = turn >= rule.min_turn && on_foot && wrap_angle(s.pitch).abs() <= rule.upright;
        if landed {
            self.low = s.pitch;
        }
        TurnStep { turn, down: false, landed }
    }
}

/// The backward turn since the hopper last stood on its foot alone with the torso upright
/// (within the rule's band). Unlike the turn so far, a body other than the foot touching the
/// ground does not start it again, so the turns of a tumble add up: a clip's turns not landed
/// are what the backflip teacher's tumble cost counts, and a per-step reward can pay them only
/// if it sees them (docs/notebook/2026-12-06-tumble-turn.md). A scene may show it
/// (`Scene::observe_turn_since_upright`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TurnSinceUpright {
    low: f32,
}

impl TurnSinceUpright {
    /// Counting from `pitch` (an episode's first step).
    pub fn new(pitch: f32) -> TurnSinceUpright {
        TurnSinceUpright { low: pitch }
    }

    /// Takes in the state a step reached; returns the turn up to it, radians (the step that
    /// stands upright still shows the turn that brought it there, as the turn so far does).
    pub fn step(&mut self, rule: &TurnRule, s: &StepInfo) -> f32 {
        self.low = self.low.min(s.pitch);
        let turn = s.pitch - self.low;
        let on_foot_alone = s.contacts & rule.foot_mask != 0 && !rule.down(s);
        if on_foot_alone && wrap_angle(s.pitch).abs() <= rule.upright {
            self.low = s.pitch;
        }
        turn
    }
}
