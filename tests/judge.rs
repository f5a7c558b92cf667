//! The backflip judge on hand-built trajectories, and the per-step rewards.

use std::f32::consts::TAU;

use backflip::scene::Scene;
use backflip::sim::{StepInfo, TurnSoFar, TurnStep};
use backflip::task::{BackflipJudge, FlipCredit, HandwrittenBackflipReward, hop_forward_reward};

const FOOT: u8 = 0b1000;
const TORSO: u8 = 0b0001;

fn judge() -> BackflipJudge {
    BackflipJudge::for_scene(&Scene::builtin("hopper-backflip").unwrap())
}

fn step(pitch: f32, contacts: u8, z: f32) -> StepInfo {
    StepInfo { pitch, contacts, x: 0.0, z, x_velocity: 0.0 }
}

fn stand(n: usize, pitch: f32) -> Vec<StepInfo> {
    (0..n).map(|_| step(pitch, FOOT, 1.25)).collect()
}

/// A jump from standing at `from`, turning by `turn` radians in 0.48 s of flight, then landing
/// on the foot.
fn flip(from: f32, turn: f32) -> Vec<StepInfo> {
    let mut v = stand(10, from);
    let air = 60;
    for i in 1..=air {
        let s = i as f32 / air as f32;
        v.push(step(from + turn * s, 0, 1.25 + 0.8 * (s * std::f32::consts::PI).sin()));
    }
    v.push(step(from + turn, FOOT, 1.25));
    v
}

fn cat(parts: &[Vec<StepInfo>]) -> Vec<StepInfo> {
    parts.concat()
}

#[test]
fn one_scripted_backflip_counts_one() {
    let t = cat(&[stand(20, 0.0), flip(0.0, TAU), stand(60, TAU)]);
    let r = judge().evaluate(&t);
    assert_eq!(r.clean_flips, 1);
    assert!(!r.landing_pending);
}

#[test]
fn two_backflips_count_two() {
    let t = cat(&[stand(20, 0.0), flip(0.0, TAU), stand(50, TAU), flip(TAU, TAU), stand(60, 2.0 * TAU)]);
    assert_eq!(judge().evaluate(&t).clean_flips, 2);
}

#[test]
fn a_turn_of_330_degrees_is_enough_and_320_is_not() {
    let ok = cat(&[stand(20, 0.0), flip(0.0, 331f32.to_radians()), stand(60, 331f32.to_radians())]);
    assert_eq!(judge().evaluate(&ok).clean_flips, 1);
    let short = cat(&[stand(20, 0.0), flip(0.0, 320f32.to_radians()), stand(60, 320f32.to_radians())]);
    assert_eq!(judge().evaluate(&short).clean_flips, 0);
}

/// The turn so far after every step of `t`, by the judge's rule.
fn turns_so_far(t: &[StepInfo]) -> Vec<TurnStep> {
    let rule = judge().turn_rule();
    let mut segment = TurnSoFar::new(t[0].pitch);
    t.iter().map(|s| segment.step(&rule, s)).collect()
}

#[test]
fn the_turn_so_far_rises_through_a_flip_and_starts_again_at_its_landing_or_a_fall() {
    let t = cat(&[stand(20, 0.0), flip(0.0, TAU), stand(30, TAU)]);
    let seen = turns_so_far(&t);
    let landing = 20 + 10 + 60;
    assert!(seen[..landing].iter().all(|s| !s.landed && !s.down));
    assert!(seen[..30].iter().all(|s| s.turn == 0.0), "standing has turned nothing");
    assert!(seen[29..landing].windows(2).all(|w| w[1].turn > w[0].turn), "the turn rises all flight");
    // The landing step shows the whole turn, and the next segment starts from it.
    assert!(seen[landing].landed && (seen[landing].turn - TAU).abs() < 1e-4, "{:?}", seen[landing]);
    assert!(seen[landing + 1..].iter().all(|s| s.turn == 0.0 && !s.landed));
    // The same flip short of 330 degrees does not land: its turn stays, as the judge's does.
    let short = cat(&[stand(20, 0.0), flip(0.0, 320f32.to_radians()), stand(30, 320f32.to_radians())]);
    let seen = turns_so_far(&short);
    assert!(seen.iter().all(|s| !s.landed));
    assert!((seen.last().unwrap().turn - 320f32.to_radians()).abs() < 1e-4);
    // A fall shows the turn it ended, then starts again.
    let crash = lands_on_torso();
    let seen = turns_so_far(&crash);
    let first_down = seen.iter().position(|s| s.down).unwrap();
    assert!(seen[first_down].turn > 290f32.to_radians(), "{:?}", seen[first_down]);
    assert!(seen[first_down + 1..].iter().all(|s| s.down && s.turn == 0.0));
}

fn fall() -> Vec<StepInfo> {
    let mut t = stand(20, 0.0);
    t.extend((0..40).map(|i| step(1.5 * i as f32 / 40.0, FOOT, 1.25 - 0.9 * i as f32 / 40.0)));
    t.extend((0..160).map(|_| step(1.5, FOOT | TORSO, 0.2)));
    t
}

fn forward_flip() -> Vec<StepInfo> {
    cat(&[stand(20, 0.0), flip(0.0, -TAU), stand(140, -TAU)])
}

fn lands_on_torso() -> Vec<StepInfo> {
    let mut t = cat(&[stand(20, 0.0), flip(0.0, 300f32.to_radians())]);
    t.pop();
    t.extend((0..150).map(|_| step(300f32.to_radians(), TORSO, 0.2)));
    t
}

#[test]
fn falls_standing_forward_flips_and_torso_landings_count_zero() {
    let j = judge();
    assert_eq!(j.evaluate(&fall()).clean_flips, 0);
    assert_eq!(j.evaluate(&stand(220, 0.0)).clean_flips, 0);
    assert_eq!(j.evaluate(&forward_flip()).clean_flips, 0);
    assert_eq!(j.evaluate(&lands_on_torso()).clean_flips, 0);
}

/// A jump from standing upright turning `turn` radians in the air, coming down on the foot
/// there, then turning forwards on the foot to `end` (radians of pitch) and standing.
fn down_on_foot_then_turn_to(turn: f32, end: f32) -> Vec<StepInfo> {
    let mut t = cat(&[stand(20, 0.0), flip(0.0, turn)]);
    t.pop();
    t.extend((0..=25).map(|i| step(turn + (end - turn) * i as f32 / 25.0, FOOT, 0.7)));
    t.extend(stand(60, end));
    t
}

#[test]
fn a_turn_that_comes_down_upside_down_on_the_foot_and_pivots_up_has_not_landed() {
    // 510 degrees in the air, down on the foot 150 degrees past upright, then forwards on the
    // foot to 335: the net turn is a flip's, the landing is not (E30's seed 2 did this).
    let pivot = down_on_foot_then_turn_to(510f32.to_radians(), 335f32.to_radians());
    let j = judge();
    assert_eq!(j.foot_down_beyond_deg, 90.0, "the embedded scene's");
    let r = j.evaluate(&pivot);
    assert_eq!(r.clean_flips, 0, "{r:?}");
    assert!(r.fallen_fraction > 0.0, "the steps on the foot past 90 degrees count as down");
    assert!(turns_so_far(&pivot).iter().any(|s| s.down), "the turn so far starts again there");
    // Without the rule (scenes made before it) the same steps counted as a flip.
    let lenient = BackflipJudge { foot_down_beyond_deg: 0.0, ..judge() };
    assert_eq!(lenient.evaluate(&pivot).clean_flips, 1);
    assert_eq!(lenient.evaluate(&pivot).fallen_fraction, 0.0);
    // Down on the foot 160 degrees short of a second upright (560 degrees: the pitch wraps to
    // -160), then forwards to 380: the same pivot, from the other side.
    let far = down_on_foot_then_turn_to(560f32.to_radians(), 380f32.to_radians());
    assert_eq!(judge().evaluate(&far).clean_flips, 0);
    assert_eq!(lenient.evaluate(&far).clean_flips, 1);
}

#[test]
fn the_observation_and_the_judge_use_one_rule() {
    let scene = Scene::builtin("hopper-backflip").unwrap();
    assert_eq!(judge().turn_rule(), backflip::sim::TurnRule::for_scene(&scene));
    assert_eq!(judge().turn_rule().foot_down_beyond, Some(90f32.to_radians()));
}

#[test]
fn tipping_past_90_degrees_on_the_foot_within_the_hold_is_a_crash() {
    // Lands cleanly, then tips back onto the folded leg 0.1 s later, the foot still the only
    // body on the ground: not a clean flip, by the rule; the rule before counted it.
    let mut t = cat(&[stand(20, 0.0), flip(0.0, TAU), stand(12, TAU)]);
    t.extend((0..100).map(|_| step(TAU + 2.0, FOOT, 0.5)));
    assert_eq!(judge().evaluate(&t).clean_flips, 0);
    assert_eq!(judge().evaluate(&t).best_attempt, 1.0, "a whole turn that crashed");
    assert_eq!(BackflipJudge { foot_down_beyond_deg: 0.0, ..judge() }.evaluate(&t).clean_flips, 1);
}

#[test]
fn a_landing_past_upright_that_rocks_into_the_band_still_counts() {
    // Down on the foot 40 and 85 degrees past upright, rocking back to 360: landed.
    for past in [40.0f32, 85.0] {
        let t = down_on_foot_then_turn_to((360.0 + past).to_radians(), TAU);
        assert_eq!(judge().evaluate(&t).clean_flips, 1, "{past} degrees past upright");
    }
    // 95 past: the foot came down with the torso beyond horizontal.
    let t = down_on_foot_then_turn_to(455f32.to_radians(), TAU);
    assert_eq!(judge().evaluate(&t).clean_flips, 0);
}

#[test]
fn a_landing_must_hold_for_0_3_seconds() {
    // Lands cleanly, then the torso goes down 0.1 s later: not a clean flip.
    let mut t = cat(&[stand(20, 0.0), flip(0.0, TAU), stand(12, TAU)]);
    t.extend((0..100).map(|_| step(TAU + 1.2, TORSO | FOOT, 0.2)));
    let fell = judge().evaluate(&t);
    assert_eq!(fell.clean_flips, 0);
    // It was a whole turn that crashed: the score's attempt credit is full (docs/design.md).
    assert_eq!(fell.best_attempt, 1.0);
    // The clip ends 0.1 s after a clean landing: not counted yet, but pending.
    let cut = cat(&[stand(20, 0.0), flip(0.0, TAU), stand(12, TAU)]);
    let r = judge().evaluate(&cut);
    assert_eq!(r.clean_flips, 0);
    assert!(r.landing_pending);
}

#[test]
fn the_score_orders_trajectories_as_a_person_would() {
    let j = judge();
    let s = |t: &[StepInfo]| j.score(t);
    let two = s(&cat(&[stand(20, 0.0), flip(0.0, TAU), stand(50, TAU), flip(TAU, TAU), stand(60, 2.0 * TAU)]));
    let one = s(&cat(&[stand(20, 0.0), flip(0.0, TAU), stand(131, TAU)]));
    let pending = s(&cat(&[stand(120, 0.0), flip(0.0, TAU), stand(12, TAU)]));
    let torso = s(&lands_on_torso());
    let half = s(&cat(&[stand(20, 0.0), flip(0.0, 150f32.to_radians())]).iter().copied().chain(
        (0..150).map(|_| step(150f32.to_radians(), TORSO, 0.2))).collect::<Vec<_>>());
    let still = s(&stand(220, 0.0));
    let forward = s(&forward_flip());
    let fall = s(&fall());
    assert!(two > one, "two flips {two} > one {one}");
    assert!(one > pending, "a held landing {one} > a landing cut off {pending}");
    assert!(pending > torso, "a clean landing {pending} > landing on the torso {torso}");
    assert!(torso > half, "more of the turn {torso} > less {half}");
    assert!(half > still, "half a backward turn {half} > standing still {still}");
    assert!(still > fall, "standing {still} > falling {fall}");
    assert!(forward < torso, "a forward flip {forward} is no backflip attempt {torso}");
    // Higher is better, all else equal.
    let low = s(&cat(&[stand(20, 0.0), flip(0.0, TAU), stand(131, TAU)]).iter().map(|i| StepInfo { z: i.z.min(1.4), ..*i }).collect::<Vec<_>>());
    assert!(one > low, "a higher flip {one} > a lower one {low}");
}

/// The hand-written reward summed over a trajectory, from a fresh episode's memory.
fn episode_return(w: &HandwrittenBackflipReward, j: &BackflipJudge, t: &[StepInfo]) -> f32 {
    let mut credit = FlipCredit::new(&t[0]);
    t.windows(2).map(|p| w.reward(j, &mut credit, &p[0], &p[1], &[0.0; 3])).sum()
}

#[test]
fn handwritten_reward_pays_for_backward_turn_and_punishes_falls() {
    let j = judge();
    let w = HandwrittenBackflipReward::default();
    let ret = |t: &[StepInfo]| episode_return(&w, &j, t);
    let flip = cat(&[stand(20, 0.0), flip(0.0, TAU), stand(60, TAU)]);
    let forward = cat(&[stand(20, 0.0), self::flip(0.0, -TAU), stand(60, -TAU)]);
    assert!(ret(&flip) > ret(&stand(flip.len(), 0.0)));
    assert!(ret(&flip) > ret(&forward));
    assert!(ret(&stand(100, 0.0)) > ret(&fall()[..100]));
    // A flip that lands upright earns the landing bonus that the same turn ending on the
    // torso does not, and each landed flip earns it again.
    let bonus = |t: &[StepInfo], other: &[StepInfo]| ret(t) - ret(other);
    let crash = cat(&[stand(20, 0.0), self::flip(0.0, TAU)[..70].to_vec(), vec![step(TAU, TORSO, 0.3); 11]]);
    assert!(bonus(&flip[..crash.len()], &crash) > w.landing, "landing {}", bonus(&flip[..crash.len()], &crash));
    let two = cat(&[stand(20, 0.0), self::flip(0.0, TAU), self::flip(TAU, TAU)]);
    let one = cat(&[stand(20, 0.0), self::flip(0.0, TAU), stand(71, TAU)]);
    assert!(ret(&two) > ret(&one) + w.landing + 4.0 * TAU - 1.0, "two {} one {}", ret(&two), ret(&one));
    // With `landing_needs_clean_turn`, a turn that touched the ground with the torso on its
    // way earns no landing bonus; without it, it does.
    let mut rolled = flip.clone();
    rolled[50].contacts = TORSO;
    let with = |clean: bool| {
        let w = HandwrittenBackflipReward { landing_needs_clean_turn: clean, ..w.clone() };
        episode_return(&w, &j, &flip) - episode_return(&w, &j, &rolled)
    };
    // The touch itself costs the same either way (the fall penalty, that step's height term).
    assert!(with(true) > w.landing, "clean turn needed: {}", with(true));
    assert!((with(true) - with(false) - w.landing).abs() < 1e-3, "needed {} vs not {}", with(true), with(false));
    // Rolling backwards along the ground earns nothing for the turn unless `turn_on_ground`;
    // rolling forwards there costs either way.
    let roll = |dir: f32| (0..100).map(|i| step(dir * i as f32 * 0.1, TORSO, 0.2)).collect::<Vec<_>>();
    let on_ground = |pay: bool, dir: f32| {
        let w = HandwrittenBackflipReward { turn_on_ground: pay, turn_in_air_only: false, ..w.clone() };
        episode_return(&w, &j, &roll(dir))
    };
    let lying = ret(&vec![step(0.0, TORSO, 0.2); 100]);
    assert!((on_ground(false, 1.0) - lying).abs() < 1e-3, "backward roll {} vs lying {lying}", on_ground(false, 1.0));
    assert!(on_ground(true, 1.0) > lying + w.turn * 9.0, "paid roll {}", on_ground(true, 1.0));
    assert!((on_ground(false, -1.0) - on_ground(true, -1.0)).abs() < 1e-3 && on_ground(false, -1.0) < lying - w.turn * 9.0);
    // With `max_turn_per_flip_deg` 360, two turns in the air without landing pay the turn term
    // of one; with no limit (the default), of two.
    let tumble: Vec<StepInfo> = (0..=100).map(|i| step(2.0 * TAU * i as f32 / 100.0, 0, 1.25)).collect();
    let limited = |deg: f32| episode_return(&HandwrittenBackflipReward { max_turn_per_flip_deg: deg, ..w.clone() }, &j, &tumble);
    assert!((limited(0.0) - limited(360.0) - w.turn * TAU).abs() < 1e-2, "no limit {} vs one turn {}", limited(0.0), limited(360.0));
    // Leaning back on the foot earns no turn unless `turn_in_air_only` is off; leaning forward
    // there costs either way.
    let lean = |dir: f32| (0..100).map(|i| step(dir * i as f32 * 0.02, FOOT, 1.0)).collect::<Vec<_>>();
    let on_foot = |air_only: bool, dir: f32| episode_return(&HandwrittenBackflipReward { turn_in_air_only: air_only, ..w.clone() }, &j, &lean(dir));
    let still = ret(&vec![step(0.0, FOOT, 1.0); 100]);
    let turn = 99.0 * 0.02;
    assert!(on_foot(true, 1.0) <= still, "leaning back {} vs standing {still}", on_foot(true, 1.0));
    assert!((on_foot(false, 1.0) - on_foot(true, 1.0) - w.turn * turn).abs() < 1e-3, "paid lean {}", on_foot(false, 1.0));
    assert!((on_foot(true, -1.0) - on_foot(false, -1.0)).abs() < 1e-3 && on_foot(true, -1.0) < still - w.turn * 1.9);
    // Folded up on its foot with the torso low (0.28 m) counts as down, as a fall does, unless
    // `down_below_m` is 0.
    let folded = vec![step(2.0, FOOT, 0.28); 100];
    let low = |m: f32| episode_return(&HandwrittenBackflipReward { down_below_m: m, ..w.clone() }, &j, &folded);
    assert!((low(0.5) - ret(&vec![step(2.0, TORSO, 0.28); 100])).abs() < 1e-3, "folded {} vs fallen", low(0.5));
    assert!(low(0.5) < -0.4 * 99.0 && low(0.0).abs() < 0.01, "folded: counted {} not counted {}", low(0.5), low(0.0));
}

#[test]
fn hop_forward_reward_is_the_standard_one() {
    let healthy = StepInfo { pitch: 0.1, contacts: FOOT, x: 0.0, z: 1.2, x_velocity: 1.5 };
    assert!((hop_forward_reward(&healthy, &[1.0, 0.0, 0.0]) - (1.5 + 1.0 - 1e-3)).abs() < 1e-6);
    let low = StepInfo { z: 0.6, ..healthy };
    assert!((hop_forward_reward(&low, &[0.0; 3]) - 1.5).abs() < 1e-6);
    let tilted = StepInfo { pitch: 0.3, ..healthy };
    assert!((hop_forward_reward(&tilted, &[0.0; 3]) - 1.5).abs() < 1e-6);
    // A full turn later, upright again: healthy (the pitch is wrapped for this test).
    let turned = StepInfo { pitch: TAU + 0.05, ..healthy };
    assert!((hop_forward_reward(&turned, &[0.0; 3]) - 2.5).abs() < 1e-5);
    // Its distance part: the same without the healthy bonus, healthy or not.
    use backflip::task::hop_forward_distance_reward;
    assert!((hop_forward_distance_reward(&healthy, &[1.0, 0.0, 0.0]) - (1.5 - 1e-3)).abs() < 1e-6);
    assert!((hop_forward_distance_reward(&low, &[0.0; 3]) - 1.5).abs() < 1e-6);
}

/// A clip of these steps (the scripted teacher reads only their step information).
fn clip_of(steps: &[StepInfo]) -> backflip::clip::Clip {
    let steps = steps.iter().map(|&info| backflip::clip::ClipStep { obs: vec![], action: vec![0.0; 3], poses: vec![], info }).collect();
    backflip::clip::Clip { id: "c".into(), scene: "hopper-backflip".into(), seed: 0, start_step: 0, control_dt: 0.008, steps }
}

/// The judge counts one clean flip in a single backward turn and in a tumble of three turns
/// that happens to land; with a tumble cost the scripted teacher prefers the single flip, as
/// a person would; without it the two score the same.
#[test]
fn a_tumble_cost_makes_the_teacher_prefer_one_clean_flip_to_a_landed_tumble() {
    use backflip::prefs::{Answer, TeacherConfig};
    use backflip::task::full_backward_turns;
    let one = cat(&[stand(20, 0.0), flip(0.0, TAU), stand(60, TAU)]);
    let tumble = cat(&[stand(20, 0.0), flip(0.0, 3.0 * TAU), stand(60, 3.0 * TAU)]);
    let j = judge();
    assert_eq!((j.evaluate(&one).clean_flips, j.evaluate(&tumble).clean_flips), (1, 1));
    assert_eq!((full_backward_turns(&one), full_backward_turns(&tumble)), (1, 3));
    let answer = |tumble_cost: f32| rational_answer(TeacherConfig { tumble_cost, ..Default::default() }, &one, &tumble);
    assert_eq!(answer(0.25), Answer::Left, "one clean flip over a landed tumble");
    assert_eq!(answer(0.0), Answer::Equal, "without the cost the judge's score cannot tell them apart");
}

/// A jump from standing at `from`, turning by `turn` in the air, then down on the back (the
/// torso touches): no landing.
fn crashed_from(from: f32, turn: f32) -> Vec<StepInfo> {
    let mut steps = flip(from, turn);
    steps.pop();
    let last = *steps.last().unwrap();
    steps.extend(std::iter::repeat_n(StepInfo { contacts: TORSO, z: 0.3, ..last }, 40));
    steps
}

/// The answer of the scripted teacher of these settings, made rational (no noise), on the
/// backflip scene.
fn rational_answer(config: backflip::prefs::TeacherConfig, left: &[StepInfo], right: &[StepInfo]) -> backflip::prefs::Answer {
    use backflip::prefs::{Labeler, OracleLabeler, Teacher, TeacherConfig, TeacherKind};
    let task = backflip::task::Task::for_scene(&Scene::builtin("hopper-backflip").unwrap());
    let config = TeacherConfig { kind: TeacherKind::Rational, ..config };
    let mut teacher = OracleLabeler { teacher: Teacher::new(config, 0), task, delay: std::time::Duration::ZERO, name: String::new() };
    teacher.answer(&clip_of(left), &clip_of(right)).unwrap()
}

/// With a tumble cost of 0.5 a full turn that crashes scores below half a turn that stops
/// short; with one free turn it scores above it, and a tumble of three crashed turns still
/// below both.
#[test]
fn a_free_turn_keeps_a_crashed_attempt_above_stopping_short() {
    use backflip::prefs::{Answer, TeacherConfig};
    let crashed = |turn: f32| cat(&[stand(20, 0.0), crashed_from(0.0, turn)]);
    let (full, half, tumble) = (crashed(TAU), crashed(0.5 * TAU), crashed(3.0 * TAU));
    let answer = |free: usize, left: &[StepInfo], right: &[StepInfo]| {
        rational_answer(TeacherConfig { tumble_cost: 0.5, tumble_free_turns: free, ..Default::default() }, left, right)
    };
    assert_eq!(answer(0, &full, &half), Answer::Right, "without a free turn the crash loses");
    assert_eq!(answer(1, &full, &half), Answer::Left, "one free turn: the attempt wins");
    assert_eq!(answer(1, &tumble, &half), Answer::Right, "a tumble of three still loses");
}

/// A full turn that comes down nearly upright (on the foot, 60 degrees past upright, then
/// falls) is nearer a landing than one that comes down on its head: the judge credits both as
/// the same crashed turn; the teacher's near-landing credit prefers the near miss, and keeps it
/// below a landing cut off by the clip's end.
#[test]
fn the_near_landing_credit_prefers_almost_landing_to_landing_on_the_head() {
    use backflip::prefs::{Answer, TeacherConfig};
    let over = TAU + 60f32.to_radians();
    let mut near = flip(0.0, over);
    let last = *near.last().unwrap();
    assert_eq!(last.contacts, FOOT);
    near.extend(std::iter::repeat_n(StepInfo { contacts: TORSO, z: 0.3, ..last }, 40));
    let near = cat(&[stand(20, 0.0), near]);
    let head = cat(&[stand(21, 0.0), crashed_from(0.0, TAU + std::f32::consts::PI)]);
    let pending = cat(&[stand(20, 0.0), flip(0.0, TAU), stand(20, TAU)]);
    assert_eq!(near.len(), head.len());
    let j = judge();
    let (n, h) = (j.evaluate(&near), j.evaluate(&head));
    assert!((n.near_landing - 0.8).abs() < 0.01, "60 degrees past upright, 30 past the band: {}", n.near_landing);
    assert!(h.near_landing < 0.01, "upside down: {}", h.near_landing);
    assert_eq!((n.clean_flips, h.clean_flips, n.best_attempt, h.best_attempt), (0, 0, 1.0, 1.0));
    assert!(j.evaluate(&pending).landing_pending);
    let answer = |credit: f32, left: &[StepInfo], right: &[StepInfo]| {
        rational_answer(TeacherConfig { near_landing_credit: credit, ..Default::default() }, left, right)
    };
    assert_eq!(answer(0.0, &near, &head), Answer::Equal, "the judge alone cannot tell them apart");
    assert_eq!(answer(0.2, &near, &head), Answer::Left, "almost landed beats landed on its head");
    assert_eq!(answer(0.2, &near, &pending), Answer::Right, "a landing beats almost landing");
}

/// The landing credit pays how near upright a clip's turns come down on average: a full turn
/// that comes down on its foot 60 degrees past upright beats one that lands on its head, a flip
/// alone gets more of the credit than the same flip followed by a crashed turn upside down
/// (not enough to outscore it: the crash adds the judge's 0.6 for a whole turn), and of two
/// turns, one upright and one on the head, the credit pays the mean, not the best.
#[test]
fn the_landing_credit_pays_how_well_the_turns_come_down_on_average() {
    use backflip::prefs::{Answer, TeacherConfig};
    let over = TAU + 60f32.to_radians();
    let mut near = flip(0.0, over);
    let last = *near.last().unwrap();
    near.extend(std::iter::repeat_n(StepInfo { contacts: TORSO, z: 0.3, ..last }, 40));
    let near = cat(&[stand(20, 0.0), near]);
    let head = cat(&[stand(21, 0.0), crashed_from(0.0, TAU + std::f32::consts::PI)]);
    let j = judge();
    let (n, h) = (j.evaluate(&near), j.evaluate(&head));
    assert!((n.touchdown_nearness - 0.8).abs() < 0.01, "one touchdown, 30 degrees past the band: {}", n.touchdown_nearness);
    assert!(h.touchdown_nearness < 0.01, "upside down: {}", h.touchdown_nearness);
    // A clean flip counts as a touchdown at 1; a crash upside down after it halves the mean.
    let alone = cat(&[stand(20, 0.0), flip(0.0, TAU), stand(60, TAU)]);
    let then_crash = cat(&[stand(20, 0.0), flip(0.0, TAU), stand(20, TAU), crashed_from(TAU, TAU + std::f32::consts::PI)]);
    assert!((j.evaluate(&alone).touchdown_nearness - 1.0).abs() < 1e-6);
    assert!((j.evaluate(&then_crash).touchdown_nearness - 0.5).abs() < 0.01, "{}", j.evaluate(&then_crash).touchdown_nearness);
    // A foot that comes down 60 degrees past upright and rocks back into the band lands on
    // that same touch: one touchdown, a landing, counted once at 1.
    let mut rocked = flip(0.0, over);
    rocked.extend((1..=10).map(|i| step(over - 40f32.to_radians() * i as f32 / 10.0, FOOT, 1.25)));
    rocked.extend(stand(60, TAU + 20f32.to_radians()));
    let r = j.evaluate(&cat(&[stand(20, 0.0), rocked]));
    assert_eq!((r.clean_flips, r.touchdown_nearness), (1, 1.0));
    // No touchdown after half a turn: nothing to average.
    assert_eq!(j.evaluate(&stand(100, 0.0)).touchdown_nearness, 0.0);
    // Two turns: the first lands upright on the foot and falls within its hold, the second
    // comes down on the head. The best touchdown was upright; the mean counts the crash too.
    let mut two = flip(0.0, TAU);
    let landed = *two.last().unwrap();
    two.extend(std::iter::repeat_n(landed, 10));
    two.extend(std::iter::repeat_n(StepInfo { contacts: TORSO, z: 0.3, ..landed }, 10));
    two.extend(crashed_from(TAU, TAU + std::f32::consts::PI));
    let t = j.evaluate(&cat(&[stand(20, 0.0), two]));
    assert_eq!((t.clean_flips, t.near_landing), (0, 1.0), "the best touchdown alone was upright");
    assert!((t.touchdown_nearness - 0.5).abs() < 0.01, "the mean counts the crash too: {}", t.touchdown_nearness);
    let answer = |credit: f32, left: &[StepInfo], right: &[StepInfo]| {
        rational_answer(TeacherConfig { landing_credit: credit, ..Default::default() }, left, right)
    };
    assert_eq!(answer(0.0, &near, &head), Answer::Equal, "the judge alone cannot tell them apart");
    assert_eq!(answer(0.3, &near, &head), Answer::Left, "nearly upright beats on its head");
}

/// What the query metrics count as a success (`Task::clip_shows_success`): a clean flip for the
/// backflip, never a tumble onto the torso, a fall or a forward flip; for hop forward a clip
/// healthy throughout, not one that falls.
#[test]
fn a_success_is_a_clean_flip_or_a_clip_healthy_throughout() {
    use backflip::task::Task;
    let backflip = Task::for_scene(&Scene::builtin("hopper-backflip").unwrap());
    assert!(backflip.clip_shows_success(&cat(&[stand(20, 0.0), flip(0.0, TAU), stand(60, TAU)])));
    for failed in [lands_on_torso(), fall(), forward_flip(), stand(100, 0.0)] {
        assert!(!backflip.clip_shows_success(&failed));
    }
    let forward = Task::for_scene(&Scene::builtin("hopper-forward").unwrap());
    assert!(forward.clip_shows_success(&stand(100, 0.0)));
    assert!(!forward.clip_shows_success(&fall()) && !forward.clip_shows_success(&[]));
}
