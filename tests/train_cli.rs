//! The train and eval commands end to end, with Ctrl-C and --resume.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::Scratch;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_backflip"))
}

fn metric_rows(run: &Path) -> usize {
    std::fs::read_to_string(run.join("metrics.csv")).map(|t| t.lines().count().saturating_sub(1)).unwrap_or(0)
}

#[test]
fn train_then_eval_writes_the_run_folder() {
    let run = Scratch::fresh("train-eval");
    let out = bin()
        .args(["train", "--reward", "handwritten", "--steps", "20000", "--checkpoint-every", "2", "--snapshot-every", "8192", "--out"])
        .arg(&run)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in ["run.json", "metrics.csv", "checkpoint/agent.bpk", "checkpoint/ppo_state.json", "plots/learning.png"] {
        assert!(run.join(f).exists(), "{f} missing");
    }
    // 20,000 steps at 16 x 256 per iteration: 5 iterations.
    assert_eq!(metric_rows(&run), 5);
    let header = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    for col in ["global_step", "episodic_return", "approx_kl", "clipfrac", "explained_variance", "steps_per_sec", "success_rate"] {
        assert!(header.lines().next().unwrap().contains(col), "{col} column");
    }

    let export = run.join("export");
    let out = bin().arg("eval").arg(&run).args(["--episodes", "2", "--export"]).arg(&export).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("success rate"), "{table}");
    let eval: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("eval.json")).unwrap()).unwrap();
    assert_eq!(eval["episodes"], 2);
    assert!(eval["true_return"].is_null(), "the backflip has no true reward");
    for k in ["backflips_per_episode", "success_rate", "judge_score", "backward_turns_per_episode"] {
        assert!(eval[k].is_number(), "{k}");
    }
    let clip: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(export.join("eval-000.json")).unwrap()).unwrap();
    assert_eq!(clip["steps"].as_array().unwrap().len(), 1000);
    // Beside the episodes, the judge they were counted by, with the backflip scene's foot-down rule.
    let judge: backflip::task::BackflipJudge = serde_json::from_str(&std::fs::read_to_string(export.join("judge.json")).unwrap()).unwrap();
    assert_eq!(judge, backflip::task::BackflipJudge::for_scene(&backflip::scene::Scene::resolve("hopper-backflip").unwrap()));
    assert_eq!(judge.foot_down_beyond_deg, 90.0);

    // Snapshots each time the steps pass a multiple of 8192; `--at-step` evaluates the last one
    // at or before it, into its own file, leaving eval.json as it was.
    assert!(run.join("snapshots/8192/agent.bpk").exists() && run.join("snapshots/16384/agent.bpk").exists());
    let final_eval = std::fs::read_to_string(run.join("eval.json")).unwrap();
    let out = bin().arg("eval").arg(&run).args(["--episodes", "1", "--at-step", "16000"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let eval: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("eval-8192.json")).unwrap()).unwrap();
    assert_eq!(eval["episodes"], 1);
    assert_eq!(std::fs::read_to_string(run.join("eval.json")).unwrap(), final_eval);
    let out = bin().arg("eval").arg(&run).args(["--at-step", "100"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("no snapshot at or before 100 env steps (snapshots: 8192, 16384)") && err.lines().count() == 1, "{err}");

    let plot = run.join("compare.png");
    let out = bin().arg("compare").arg(&run).arg(&run).arg("--plot").arg(&plot).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(table.lines().filter(|l| l.starts_with("| train-eval |")).count(), 2, "{table}");
    assert!(table.contains("| handwritten |") && table.contains("| 20480 |"), "{table}");
    assert!(std::fs::metadata(&plot).unwrap().len() > 1000, "the plot was drawn");
}

#[test]
fn ctrl_c_saves_and_resume_finishes_the_run() {
    let run = Scratch::fresh("train-resume");
    let child = bin()
        .args(["train", "--reward", "handwritten", "--steps", "40000", "--checkpoint-every", "100", "--out"])
        .arg(&run)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while metric_rows(&run) < 1 {
        assert!(start.elapsed() < Duration::from_secs(120), "no iteration finished");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "Ctrl-C exits cleanly: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--resume"));
    let done = metric_rows(&run);
    assert!(done < 10, "stopped early ({done} of 10 iterations)");
    assert!(run.join("checkpoint/ppo_state.json").exists(), "saved on Ctrl-C");

    let out = bin().arg("train").arg("--resume").arg(&run).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // 40,000 steps is 10 iterations of 4,096 (the last one rounds up), none repeated.
    assert_eq!(metric_rows(&run), 10);
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("checkpoint/ppo_state.json")).unwrap()).unwrap();
    assert_eq!(state["global_step"], 40960);
}

#[test]
fn wrong_paths_and_rewards_are_one_line_errors() {
    let out = bin().args(["eval", "/nonexistent/run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/run") && err.lines().count() == 1, "{err}");

    let out = bin().args(["train", "--reward", "true", "--steps", "10", "--out"]).arg(Scratch::fresh("no-true")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no true reward"));
    let refused = Scratch::fresh("no-distance");
    let out = bin().args(["train", "--reward", "distance", "--steps", "10", "--out"]).arg(&refused).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code() == Some(1) && err.contains("no true reward") && err.lines().count() == 1, "{err}");
    assert!(!refused.exists(), "no folder for a refused run");
}

/// A store that cannot be reached is one line naming it, with no folder left and no
/// invitation to labelers to join a run that never started. Port 1 on the loopback refuses at
/// once wherever the tests run, so no server is needed.
#[test]
fn an_unreachable_store_is_a_one_line_error_before_anything_is_written() {
    let refused = Scratch::fresh("store-unreachable");
    let url = "postgres://backflip:secret@127.0.0.1:1/backflip";
    let out = bin().args(["train", "--labeler", "remote", "--store", url, "--steps", "4096", "--out"]).arg(&refused).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.lines().count() == 1 && err.starts_with("error:") && err.contains("127.0.0.1:1") && err.contains("cannot connect"), "{err}");
    assert!(!err.contains("secret"), "the password is shown: {err}");
    assert!(!refused.exists(), "no folder for a run that could not reach its store");
}

/// `--device cuda` where it cannot run (a build without the `cuda` feature, or a machine
/// without a driver, a GPU or NVRTC) is one line naming the setting, before anything is
/// written. On a machine with a usable GPU and a cuda build there is nothing to check.
#[test]
fn device_cuda_without_a_gpu_is_a_one_line_error() {
    #[cfg(feature = "cuda")]
    if backflip::device::usable_gpu().is_ok() {
        eprintln!("skipped: this machine has a usable GPU");
        return;
    }
    let run = Scratch::fresh("cuda-none");
    let out = bin().args(["train", "--device", "cuda", "--steps", "4096", "--out"]).arg(&run).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--device cuda") && err.lines().count() == 1, "{err}");
    assert!(!run.exists(), "nothing is written");
}

/// `--reward-weights FILE` sets the hand-written reward's weights, saved in run.json; a file
/// with an unknown field is a one-line error naming the file, and no run folder is made.
#[test]
fn reward_weights_come_from_a_file() {
    let weights = Scratch::fresh("weights.json");
    std::fs::write(&weights, r#"{"landing": 25.0, "max_turn_per_flip_deg": 360.0}"#).unwrap();
    let run = Scratch::fresh("weights-run");
    let out = bin().args(["train", "--steps", "10", "--reward-weights"]).arg(&weights).arg("--out").arg(&run).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(config["handwritten"]["landing"], 25.0);
    assert_eq!(config["handwritten"]["max_turn_per_flip_deg"], 360.0);
    assert_eq!(config["handwritten"]["turn"], 4.0, "a missing field keeps its default");

    std::fs::write(&weights, r#"{"landing_bonus": 25.0}"#).unwrap();
    let bad_run = Scratch::fresh("weights-bad");
    let out = bin().args(["train", "--steps", "10", "--reward-weights"]).arg(&weights).arg("--out").arg(&bad_run).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("weights.json") && err.contains("landing_bonus") && err.lines().count() == 1, "{err}");
    assert!(!bad_run.exists());
}

/// `--ppo-config` takes a file or an embedded preset's name; a name that is neither is a
/// one-line error that names it and lists the presets, and no run folder is made.
#[test]
fn ppo_config_comes_from_a_preset_or_a_file() {
    let run = Scratch::fresh("preset-run");
    let out = bin().args(["train", "--steps", "10", "--ppo-config", "cleanrl", "--out"]).arg(&run).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(config["ppo"]["activation"], "Tanh");
    assert_eq!(config["ppo"]["num_minibatches"], 32);

    let bad_run = Scratch::fresh("preset-bad");
    let out = bin().args(["train", "--steps", "10", "--ppo-config", "cleanrll", "--out"]).arg(&bad_run).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cleanrll") && err.contains("default, cleanrl") && err.lines().count() == 1, "{err}");
    assert!(!bad_run.exists());
}

/// Every numeric setting is checked before anything is written: zero, negative and non-finite
/// values are one-line errors naming the setting (some once panicked, and `--comparisons 0`
/// once hung), and no run folder is made.
#[test]
fn out_of_range_settings_are_one_line_errors() {
    let ppo = Scratch::fresh("ppo-bad.json");
    let cases: Vec<(Vec<&str>, Option<&str>, &str)> = vec![
        (vec![], Some(r#"{"num_minibatches": 0}"#), "ppo.num_minibatches"),
        (vec![], Some(r#"{"num_steps": 0}"#), "ppo.num_steps"),
        (vec![], Some(r#"{"learning_rate": -0.001}"#), "ppo.learning_rate"),
        (vec![], Some(r#"{"update_epochs": 0}"#), "ppo.update_epochs"),
        (vec![], Some(r#"{"gamma": 1.5}"#), "ppo.gamma"),
        (vec![], Some(r#"{"max_grad_norm": 0.0}"#), "ppo.max_grad_norm"),
        (vec!["--envs", "0"], None, "ppo.num_envs"),
        (vec!["--labeler", "oracle", "--comparisons", "0"], None, "comparisons"),
        (vec!["--labeler", "oracle", "--comparisons", "1"], None, "comparisons"),
        (vec!["--labeler", "oracle", "--eps", "1.5"], None, "teacher.eps"),
        (vec!["--labeler", "oracle", "--landing-credit", "0.5"], None, "teacher.landing_credit"),
        (vec!["--labeler", "oracle", "--teacher", "boltzmann", "--beta", "NaN"], None, "teacher.beta"),
        (vec!["--steps", "0"], None, "steps"),
        (vec![], Some(r#"{"gamma": "x"}"#), "gamma: invalid type"),
        (vec!["--checkpoint-every", "0"], None, "checkpoint_every"),
    ];
    for (args, ppo_json, needle) in cases {
        let run = Scratch::fresh("bad-setting");
        let mut cmd = bin();
        cmd.arg("train").args(&args);
        if !args.contains(&"--steps") {
            cmd.args(["--steps", "10"]);
        }
        if let Some(json) = ppo_json {
            std::fs::write(&ppo, json).unwrap();
            cmd.arg("--ppo-config").arg(&ppo);
        }
        let out = cmd.arg("--out").arg(&run).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?} {ppo_json:?}: {err}");
        assert!(err.contains(needle) && err.trim().lines().count() == 1, "{args:?} {ppo_json:?}: {err}");
        assert!(!run.exists(), "no run folder for {needle}");
    }
}

/// `--resume RUN --steps N` trains the run on to N env steps in all (run.json says so); fewer
/// steps than it has trained is refused.
#[test]
fn resume_with_steps_extends_the_run() {
    let run = Scratch::fresh("extend");
    let out = bin().args(["train", "--steps", "4096", "--out"]).arg(&run).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = bin().arg("train").arg("--resume").arg(&run).args(["--steps", "8192"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(metric_rows(&run), 2);
    let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(config["total_steps"], 8192);
    let out = bin().arg("train").arg("--resume").arg(&run).args(["--steps", "4096"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("--steps 4096") && err.contains("8192") && err.trim().lines().count() == 1, "{err}");
    assert_eq!(metric_rows(&run), 2, "nothing trained");
}
