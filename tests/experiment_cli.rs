//! `backflip experiment` end to end on a tiny budget: interrupted, resumed, one table and one
//! plot, the same figures as an uninterrupted experiment.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::Scratch;

const ARGS: [&str; 13] =
    ["experiment", "--seeds", "1,2", "--steps", "12288", "--comparisons", "16", "--episodes", "2", "--eval-every", "8192", "--out", ""];

fn experiment(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backflip"));
    cmd.args(&ARGS[..ARGS.len() - 1]).arg(dir);
    cmd
}

#[test]
fn an_interrupted_experiment_resumes_to_the_same_table() {
    let whole = Scratch::fresh("experiment-whole");
    let out = experiment(&whole).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = std::fs::read_to_string(whole.join("results.md")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().next(), table.lines().next(), "the table is printed");
    for run in ["learned-s1", "learned-s2", "handwritten-s1", "handwritten-s2"] {
        assert!(table.contains(&format!("| {} | {} |", &run[..run.len() - 3], &run[run.len() - 1..])), "{run} in\n{table}");
        // Evaluated at the snapshot and at the end.
        assert!(whole.join(run).join("eval.json").exists() && whole.join(run).join("eval-8192.json").exists(), "{run}");
    }
    for arm in ["learned", "handwritten"] {
        for stat in ["median", "min", "max"] {
            assert!(table.contains(&format!("| **{arm}** | {stat} |")), "{arm} {stat} in\n{table}");
        }
    }
    assert!(whole.join("success.png").exists() && whole.join("results.json").exists());

    // Interrupted with Ctrl-C once the first run has a checkpoint, then resumed.
    let cut = Scratch::fresh("experiment-cut");
    let mut child = experiment(&cut).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    while !cut.join("learned-s1/checkpoint/ppo_state.json").exists() {
        assert!(start.elapsed() < Duration::from_secs(120), "no checkpoint appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    assert!(child.wait().unwrap().success(), "Ctrl-C stops the experiment cleanly");
    let out = Command::new(env!("CARGO_BIN_EXE_backflip")).args(["experiment", "--resume"]).arg(&cut).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let resumed = std::fs::read_to_string(cut.join("results.md")).unwrap();
    // Every run reaches its steps and is evaluated; runs not yet started when it stopped
    // give what they give uninterrupted (the wall-time column differs).
    let strip = |t: &str, run: &str| -> Vec<String> {
        t.lines().filter(|l| l.starts_with(run)).map(|l| l.rsplitn(3, '|').nth(2).unwrap().to_string()).collect()
    };
    for run in ["| learned | 2 |", "| handwritten | 1 |", "| handwritten | 2 |"] {
        assert_eq!(strip(&resumed, run), strip(&table, run), "{run}");
    }
    assert_eq!(strip(&resumed, "| learned | 1 |").len(), 1);
}

/// Runs trained side by side in one process (`--jobs`) are the runs trained one at a time: burn's
/// random stream is one per process, and two runs seeding and drawing from it at once gave
/// other initial weights (src/device.rs, `seeded_init`).
#[test]
fn an_experiment_gives_the_same_runs_whatever_its_jobs() {
    let (alone, together) = (Scratch::fresh("experiment-jobs-1"), Scratch::fresh("experiment-jobs-4"));
    for (dir, jobs) in [(&alone, "1"), (&together, "4")] {
        let out = experiment(dir).args(["--jobs", jobs]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    for run in ["learned-s1", "learned-s2", "handwritten-s1", "handwritten-s2"] {
        let metrics = common::metrics_without_clock(&alone.join(run));
        assert_eq!(metrics.len(), 3, "{run}");
        assert_eq!(metrics, common::metrics_without_clock(&together.join(run)), "{run}: metrics.csv apart from its wall-clock columns");
        let eval = std::fs::read(alone.join(run).join("eval.json")).unwrap();
        assert_eq!(eval, std::fs::read(together.join(run).join("eval.json")).unwrap(), "{run}: eval.json byte for byte");
    }
}

#[test]
fn bad_experiment_settings_are_one_line_errors() {
    for (args, needle) in [
        (vec!["--seeds", "1,1"], "seeds"),
        (vec!["--episodes", "0"], "episodes"),
        (vec!["--comparisons", "0"], "comparisons"),
    ] {
        let dir = Scratch::fresh("experiment-bad");
        let out = Command::new(env!("CARGO_BIN_EXE_backflip")).arg("experiment").args(&args).arg("--out").arg(&dir).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!dir.join("experiment.json").exists(), "nothing written for bad settings");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_backflip")).args(["experiment", "--resume", "/nonexistent/exp"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("/nonexistent/exp") && err.contains("not an experiment folder"), "{err}");
}
