//! Clips: recorded from the simulator, saved and loaded, refused when damaged, exported.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use backflip::clip::{Clip, ClipDir, ClipError};
use backflip::rollout::{self, FixedPolicy};
use backflip::scene::Scene;

mod common;
use common::Scratch;

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
    let dir = Scratch::new("clip-rt");
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
    let dir = Scratch::new("clip-bad");
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

/// A clip cut short in its writing (its `.tmp`) is removed; whole clips stay; no folder, nothing.
#[test]
fn unfinished_clip_files_are_removed_and_whole_ones_kept() {
    let dir = Scratch::new("clip-unfinished");
    let clips = ClipDir::new(dir.to_path_buf());
    let c = &self::clips()[0];
    clips.save(c).unwrap();
    std::fs::write(dir.join("it000000-000017.tmp"), b"torn").unwrap();
    let removed = clips.remove_unfinished().unwrap();
    assert_eq!(removed, [dir.join("it000000-000017.tmp")]);
    assert_eq!(&clips.load(&c.id).unwrap(), c);
    assert_eq!(std::fs::read_dir(&*dir).unwrap().count(), 1);
    assert!(ClipDir::new(dir.join("missing")).remove_unfinished().unwrap().is_empty());
}

#[test]
fn rollout_command_is_byte_identical_across_runs() {
    let run = |out: &Path| {
        let status = Command::new(env!("CARGO_BIN_EXE_backflip"))
            .args(["rollout", "--scene", "scenes/hopper-backflip.ron", "--policy", "random", "--steps", "1000", "--seed", "7", "--out"])
            .arg(out)
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
    let (a_dir, b_dir) = (Scratch::new("rollout-a"), Scratch::new("rollout-b"));
    let a = run(&a_dir);
    assert_eq!(a.len(), 7, "1000 steps = 5 clips of 188 + 1 of 60, and the summary");
    assert_eq!(a, run(&b_dir));

    // Export one of them to JSON through the CLI.
    let id = a[0].0.trim_end_matches(".clip").to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_backflip"))
        .args(["clip", "export", &id, "--json", "--dir"])
        .arg(&a_dir)
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
        .arg(&a_dir)
        .stdout(writer)
        .output()
        .unwrap();
    assert!(out.status.success(), "exit {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Candidate clips with `prefs.clip_overlap`: each is a run of one episode's steps, a new one
/// starts every `stride` steps, and so any stretch one step longer than two neighbours share
/// lies whole in some clip; with no overlap they are the side-by-side clips a rollout is cut
/// into.
#[test]
fn overlapping_candidates_hold_every_short_stretch_whole() {
    use backflip::clip::ClipRecorder;
    let scene = scene();
    let episode: Vec<_> = clips().into_iter().flat_map(|c| c.steps).collect();
    assert_eq!(episode.len(), 400);
    // Episodes of the given lengths, one after the other in one environment (each a prefix of
    // `episode`, seeded 0, 1, ...), cut into candidates.
    let cut_episodes = |overlap: f32, lens: &[usize]| {
        let mut recorder = ClipRecorder::candidates(1, &scene, "t".into(), overlap);
        for (seed, &len) in lens.iter().enumerate() {
            for (i, step) in episode[..len].iter().enumerate() {
                recorder.push(0, step.clone(), i, seed as u64, i + 1 == len);
            }
        }
        recorder.flush();
        recorder.take_finished()
    };
    let cut = |overlap: f32, len: usize| cut_episodes(overlap, &[len]);
    let side_by_side = cut(0.0, 400);
    assert_eq!(side_by_side.iter().map(|c| c.start_step).collect::<Vec<_>>(), vec![0, 188]);
    assert_eq!(side_by_side[1].steps, episode[188..376].to_vec());
    assert_eq!(cut(0.5, 400).iter().map(|c| c.start_step).collect::<Vec<_>>(), vec![0, 94, 188]);
    for overlap in [0.0, 0.25, 0.5, 0.75, 0.9] {
        let stride = 188 - (overlap * 188.0_f32).round() as usize;
        for len in [188, 250, 333, 400] {
            let clips = cut(overlap, len);
            let starts: Vec<_> = clips.iter().map(|c| c.start_step).collect();
            assert_eq!(starts, (0..=len - 188).step_by(stride).collect::<Vec<_>>(), "overlap {overlap}, length {len}");
            let ids: std::collections::HashSet<_> = clips.iter().map(|c| c.id.clone()).collect();
            assert_eq!(ids.len(), clips.len(), "ids repeat");
            for c in &clips {
                assert_eq!(c.steps.len(), 188);
                assert_eq!(c.steps, episode[c.start_step..c.start_step + 188].to_vec(), "overlap {overlap}: not a run of the episode");
            }
            // The clips reach to within a stride of the episode's end, and every stretch of
            // `span` steps up to there lies whole in one of them.
            let end = clips.last().unwrap().start_step + 188;
            assert!(len - end < stride, "overlap {overlap}, length {len}: a whole clip was not cut");
            let span = 188 - stride + 1;
            for from in 0..=end - span {
                let whole = clips.iter().any(|c| c.start_step <= from && from + span <= c.start_step + 188);
                assert!(whole, "overlap {overlap}, length {len}: steps {from}.. are in no clip");
            }
        }
    }
    // Two episodes in one environment: the second's clips start at its own first step and hold
    // only its steps, and no id repeats across them.
    let two = cut_episodes(0.5, &[333, 400]);
    let of = |seed: u64| two.iter().filter(|c| c.seed == seed).map(|c| c.start_step).collect::<Vec<_>>();
    assert_eq!((of(0), of(1)), (vec![0, 94], vec![0, 94, 188]));
    for c in &two {
        assert_eq!(c.steps, episode[c.start_step..c.start_step + 188].to_vec());
    }
    let ids: std::collections::HashSet<_> = two.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids.len(), two.len(), "ids repeat");
}
