//! Scene files: the embedded scenes load, and every kind of bad scene is a clear error.

use std::path::Path;

use backflip::scene::{Scene, SceneError, TaskKind};

mod common;
use common::Scratch;

const GOOD: &str = include_str!("../scenes/hopper-backflip.ron");

fn parse(text: &str) -> Result<Scene, SceneError> {
    Scene::parse(text, Path::new("scenes/test.ron"))
}

#[test]
fn embedded_scenes_load_with_standard_dimensions() {
    let s = Scene::builtin("hopper-backflip").unwrap();
    assert_eq!(s.task, TaskKind::Backflip);
    assert_eq!(s.bodies.len(), 4);
    assert_eq!(s.joints.len(), 3);
    assert_eq!(s.timing.episode_steps, 1000);
    assert!((s.control_dt() - 0.008).abs() < 1e-6);
    assert_eq!(s.clip_steps(), 188);
    // The standard Hopper's 11 with the pitch as its sine and cosine, and the turn so far.
    assert!(s.observe_turn);
    assert_eq!(s.obs_dim(), 13);
    assert_eq!(s.action_dim(), 3);
    assert!(s.joints.iter().all(|j| j.gear == 200.0));
    let f = Scene::builtin("hopper-forward").unwrap();
    assert_eq!(f.task, TaskKind::HopForward);
    assert_eq!(f.obs_dim(), 12);
    assert_eq!(f.bodies, s.bodies);
}

fn invalid(text: &str, needle: &str) {
    let err = parse(text).expect_err("should fail").to_string();
    assert!(err.starts_with("scenes/test.ron"), "error should name the file: {err}");
    assert!(err.contains(needle), "error '{err}' should mention '{needle}'");
    assert!(!err.contains('\n'), "one line: {err}");
}

#[test]
fn unknown_body_in_joint() {
    invalid(&GOOD.replace("parent: \"thigh\"", "parent: \"thorax\""), "unknown parent body 'thorax'");
}

#[test]
fn negative_radius() {
    invalid(&GOOD.replace("radius: 0.04", "radius: -0.04"), "radius must be positive");
}

#[test]
fn reversed_limits() {
    invalid(&GOOD.replace("range_deg: (-45.0, 45.0)", "range_deg: (45.0, -45.0)"), "low < high");
}

#[test]
fn missing_field_names_line_and_column() {
    let err = parse(&GOOD.replace("        gravity: -9.81,\n", "")).unwrap_err();
    match &err {
        SceneError::Parse { line, message, .. } => {
            assert!(*line > 1, "a line number: {err}");
            assert!(message.contains("gravity"), "names the field: {err}");
        }
        other => panic!("expected a parse error, got {other}"),
    }
}

#[test]
fn wrong_type_names_line() {
    let err = parse(&GOOD.replace("substeps: 4,", "substeps: \"one\",")).unwrap_err();
    let SceneError::Parse { line, .. } = err else { panic!("expected a parse error") };
    let want = GOOD.lines().position(|l| l.contains("substeps: 4,")).unwrap() + 1;
    assert_eq!(line, want);
}

#[test]
fn unknown_field_and_disconnected_body() {
    invalid(&GOOD.replace("init_noise: 0.005", "init_noise: 0.005, colour: 3"), "colour");
    let orphan = GOOD.replace(
        "        (name: \"foot_joint\",",
        "        (name: \"foot_joint_gone\", parent: \"leg\", child: \"leg\", anchor: (0.0, 0.1), range_deg: (-1.0, 1.0), gear: 1.0, damping: 0.0, armature: 0.0),\n        //",
    );
    invalid(&orphan, "joined to itself");
}

#[test]
fn missing_file_is_an_error_naming_it() {
    let err = Scene::load(Path::new("scenes/does-not-exist.ron")).unwrap_err().to_string();
    assert!(err.contains("scenes/does-not-exist.ron"), "{err}");
}

#[test]
fn cli_reports_a_bad_scene_in_one_line_without_panicking() {
    let dir = Scratch::new("badscene");
    let bad = dir.join("bad.ron");
    std::fs::write(&bad, GOOD.replace("radius: 0.05)", "radius: -1.0)")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_backflip"))
        .args(["rollout", "--scene", bad.to_str().unwrap(), "--steps", "10", "--out"])
        .arg(dir.join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("bad.ron") && stderr.contains("radius"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!dir.join("out").exists(), "nothing written for a bad scene");
}

#[test]
fn a_body_friction_is_optional_and_checked() {
    let foot = "is_foot: true, friction: 2.0)";
    assert!(GOOD.contains(foot), "the scene sets the foot's own friction");
    let scene = parse(GOOD).unwrap();
    assert_eq!(scene.bodies.iter().map(|b| b.friction).collect::<Vec<_>>(), [None, None, None, Some(2.0)]);
    assert!(parse(&GOOD.replace(foot, "is_foot: true)")).unwrap().bodies[3].friction.is_none());
    invalid(&GOOD.replace(foot, "is_foot: true, friction: -1.0)"), "body 'foot': friction must be non-negative");
}

#[test]
fn soft_limits_are_optional_and_checked() {
    let soft = "soft_limits: Some((time_constant: 0.02, impedance: 0.95)),";
    assert!(GOOD.contains(soft), "the scene asks for MuJoCo's soft limits");
    assert!(parse(GOOD).unwrap().physics.soft_limits.is_some());
    // A scene from before the field keeps rapier's dead stop.
    assert!(parse(&GOOD.replace(soft, "")).unwrap().physics.soft_limits.is_none());
    invalid(&GOOD.replace("impedance: 0.95", "impedance: 1.5"), "physics.soft_limits.impedance must be between 0 and 1");
    invalid(&GOOD.replace("time_constant: 0.02", "time_constant: 0.0"), "physics.soft_limits.time_constant must be positive");
}

#[test]
fn soft_contact_is_optional_and_checked() {
    let soft = "soft_contact: Some((time_constant: 0.016, margin: 0.001)),";
    assert!(GOOD.contains(soft), "the scene asks for the soft ground contact");
    assert!(parse(GOOD).unwrap().physics.soft_contact.is_some());
    // A scene from before the field keeps rapier's rigid contact, at any step length.
    let rigid = GOOD.replace(soft, "").replace("timestep: 0.002", "timestep: 0.008");
    assert!(parse(&rigid).unwrap().physics.soft_contact.is_none());
    invalid(&GOOD.replace("margin: 0.001", "margin: -0.001"), "physics.soft_contact.margin must be non-negative");
    invalid(&GOOD.replace("time_constant: 0.016", "time_constant: -1.0"), "physics.soft_contact.time_constant must be positive");
    // The spring is explicit: a step near its time constant would blow it up.
    invalid(&GOOD.replace("timestep: 0.002", "timestep: 0.008"), "timing.timestep 0.008 s is too long for physics.soft_contact");
}

#[test]
fn observing_the_turn_is_optional_and_needs_a_foot() {
    let turning = "    observe_turn: true,\n";
    assert!(GOOD.contains(turning), "the backflip's scene observes the turn so far");
    assert!(parse(GOOD).unwrap().observe_turn);
    // A scene from before the field (as saved in older runs' run.json) observes what it did.
    let before = parse(&GOOD.replace(turning, "")).unwrap();
    assert!(!before.observe_turn);
    assert_eq!(before.obs_dim(), 12);
    // Without it, a scene writes no new field: such a run.json reads the same to older binaries.
    assert!(!serde_json::to_string(&before).unwrap().contains("observe_turn"));
    invalid(&GOOD.replace(", is_foot: true", ""), "observe_turn needs a body with is_foot");
    // The turn since upright: off unless a scene says so, written only when on, needs a foot.
    assert!(!parse(GOOD).unwrap().observe_turn_since_upright);
    let since = parse(&GOOD.replace(turning, "    observe_turn: true,\n    observe_turn_since_upright: true,\n")).unwrap();
    assert_eq!(since.obs_dim(), 14);
    assert!(serde_json::to_string(&since).unwrap().contains("observe_turn_since_upright"));
    assert!(!serde_json::to_string(&before).unwrap().contains("observe_turn_since_upright"));
    invalid(&GOOD.replace(", is_foot: true", "").replace(turning, "    observe_turn_since_upright: true,\n"), "observe_turn_since_upright needs a body with is_foot");
    // Its cap: E28's 2 unless a scene says otherwise, written only when otherwise.
    assert_eq!(since.turn_since_upright_max, backflip::scene::OBSERVED_TURN_MAX);
    assert!(!serde_json::to_string(&since).unwrap().contains("turn_since_upright_max"));
    let counting = parse(&GOOD.replace(turning, "    observe_turn: true,\n    observe_turn_since_upright: true,\n    turn_since_upright_max: 10.0,\n")).unwrap();
    assert_eq!(counting.turn_since_upright_max, 10.0);
    assert!(serde_json::to_string(&counting).unwrap().contains("\"turn_since_upright_max\":10.0"));
    for bad in ["0.5", "-1.0", "101.0", "inf"] {
        invalid(&GOOD.replace(turning, &format!("    turn_since_upright_max: {bad},\n")), "turn_since_upright_max must be a number of whole turns from 1 to 100");
    }
}

#[test]
fn the_foot_down_angle_is_optional_checked_and_needs_a_foot() {
    let rule = "    foot_down_beyond_deg: 90.0,\n";
    assert!(GOOD.contains(rule), "the backflip's scene counts the foot far from upright as down");
    assert_eq!(parse(GOOD).unwrap().foot_down_beyond_deg, 90.0);
    // A scene from before the field (older runs' run.json) keeps the rule it was run with, and
    // writes no new field.
    let before = parse(&GOOD.replace(rule, "")).unwrap();
    assert_eq!(before.foot_down_beyond_deg, 0.0);
    assert!(!serde_json::to_string(&before).unwrap().contains("foot_down_beyond_deg"));
    assert!(serde_json::to_string(&parse(GOOD).unwrap()).unwrap().contains("\"foot_down_beyond_deg\":90.0"));
    // Below the upright band (30 degrees) an upright stance would be down.
    for bad in ["-1.0", "10.0", "29.0", "180.0", "400.0", "inf", "NaN"] {
        invalid(&GOOD.replace(rule, &format!("    foot_down_beyond_deg: {bad},\n")), "foot_down_beyond_deg must be 0 (off) or from 30 (the upright band) to less than 180 degrees");
    }
    assert_eq!(parse(&GOOD.replace(rule, "    foot_down_beyond_deg: 30.0,\n")).unwrap().foot_down_beyond_deg, 30.0);
    let footless = GOOD.replace(", is_foot: true", "").replace("    observe_turn: true,\n", "");
    invalid(&footless, "foot_down_beyond_deg needs a body with is_foot");
}
