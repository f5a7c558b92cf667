//! `backflip train --labeler oracle` end to end on a tiny budget, with kill -9 and --resume.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backflip::prefs::ComparisonStore;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("backflip-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn answered(run: &Path) -> usize {
    std::fs::read_to_string(run.join("comparisons.jsonl")).map(|t| t.lines().count()).unwrap_or(0)
}

#[test]
fn oracle_run_survives_kill_9_and_resumes_with_every_answer_and_clip() {
    let run = tmp("oracle-run");
    let args = ["train", "--labeler", "oracle", "--scene", "hopper-forward", "--teacher", "rational", "--comparisons", "32", "--steps", "24576", "--checkpoint-every", "1", "--out"];
    let mut child = Command::new(env!("CARGO_BIN_EXE_backflip")).args(args).arg(&run).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    while answered(&run) < 10 {
        assert!(start.elapsed() < Duration::from_secs(120), "no answers arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no chance to save anything
    child.wait().unwrap();
    let before = std::fs::read(run.join("comparisons.jsonl")).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_backflip")).arg("train").arg("--resume").arg(&run).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let after = std::fs::read(run.join("comparisons.jsonl")).unwrap();
    assert_eq!(&after[..before.len()], &before[..], "every answer before the kill is kept as it was");
    let (store, corrupt) = ComparisonStore::open(&run.join("comparisons.jsonl")).unwrap();
    assert!(corrupt.len() <= 1, "at most the line being written at the kill is torn");
    assert!(store.len() >= 24, "the schedule asked for most of the budget: {}", store.len());
    for c in store.comparisons() {
        for id in [&c.left, &c.right] {
            assert!(run.join("clips").join(format!("{id}.clip")).exists(), "clip {id} missing");
        }
    }
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let last = metrics.lines().last().unwrap();
    let cols: Vec<&str> = last.split(',').collect();
    assert_eq!(cols[1], "24576", "trained to the end");
    let accuracy: f32 = cols[19].parse().unwrap();
    assert!(accuracy.is_finite(), "validation accuracy is logged");
}
