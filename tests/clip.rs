//! Clips: recorded from the simulator, saved and loaded, refused when damaged, exported.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use backflip::clip::{Clip, ClipError};
use backflip::rollout::{self, FixedPolicy};
use backflip::scene::Scene;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("backflip-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn scene() -> Arc<Scene> {
    Arc::new(Scene::builtin("hopper-backflip").unwrap())
}

fn clips() -> Vec<Clip> {
    rollout::record(scene(), FixedPolicy::Random, 400, 3).unwrap()
}

#[test]
fn a_rollout_is_cut_into_clips_of_the_scene_length() {
    let c = clips();
    assert_eq!(c.iter().map(|c| c.steps.len()).collect::<Vec<_>>(), vec![188, 188, 24]);
    assert_eq!(c[1].start_step, 188);
    assert_eq!(c[0].steps[0].poses.len(), 4);
    // Each step keeps the whole observation the action was chosen from.
    assert_eq!(c[0].steps[0].obs.len(), scene().obs_dim());
}

#[test]
fn save_load_round_trip_and_json_export() {
    let dir = tmp("clip-rt");
    let c = &clips()[0];
    let path = dir.join("a.clip");
    c.save(&path).unwrap();
    assert_eq!(&Clip::load(&path).unwrap(), c);
    let json: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    assert_eq!(json["steps"].as_array().unwrap().len(), 188);
    assert!(json["steps"][0]["poses"][0]["pos"].is_array());
}

#[test]
fn damaged_or_foreign_files_are_clear_errors() {
    let dir = tmp("clip-bad");
    let c = &clips()[0];
    let bytes = c.to_bytes();
    let truncated = dir.join("truncated.clip");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let e = Clip::load(&truncated).unwrap_err();
    assert!(matches!(e, ClipError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("truncated.clip"));

    let foreign = dir.join("foreign.clip");
    std::fs::write(&foreign, b"{\"not\": \"a clip\"}").unwrap();
    assert!(matches!(Clip::load(&foreign).unwrap_err(), ClipError::NotAClip { .. }));

    let mut future = bytes.clone();
    future[8] = 99;
    let newer = dir.join("newer.clip");
    std::fs::write(&newer, &future).unwrap();
    let e = Clip::load(&newer).unwrap_err();
    assert!(matches!(e, ClipError::Version { found: 99, .. }), "{e}");

    assert!(matches!(Clip::load(&dir.join("missing.clip")).unwrap_err(), ClipError::Io { .. }));
}

#[test]
fn rollout_command_is_byte_identical_across_runs() {
    let run = |name: &str| {
        let out = tmp(name);
        let status = Command::new(env!("CARGO_BIN_EXE_backflip"))
            .args(["rollout", "--scene", "scenes/hopper-backflip.ron", "--policy", "random", "--steps", "1000", "--seed", "7", "--out"])
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success());
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(out.join("clips"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
            .collect();
        files.sort();
        files.push(("rollout.json".into(), std::fs::read(out.join("rollout.json")).unwrap()));
        files
    };
    let a = run("rollout-a");
    assert_eq!(a.len(), 7, "1000 steps = 5 clips of 188 + 1 of 60, and the summary");
    assert_eq!(a, run("rollout-b"));

    // Export one of them to JSON through the CLI.
    let id = a[0].0.trim_end_matches(".clip").to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_backflip"))
        .args(["clip", "export", &id, "--json", "--dir"])
        .arg(std::env::temp_dir().join(format!("backflip-rollout-a-{}", std::process::id())))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["id"], id.as_str());

    // A reader that has gone before the export is written (`backflip clip export ID | head`):
    // a quiet end, not a panic.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_backflip"))
        .args(["clip", "export", &id, "--dir"])
        .arg(std::env::temp_dir().join(format!("backflip-rollout-a-{}", std::process::id())))
        .stdout(writer)
        .output()
        .unwrap();
    assert!(out.status.success(), "exit {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}
