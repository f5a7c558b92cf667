//! `backflip train --labeler oracle` end to end on a tiny budget, with kill -9 and --resume.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backflip::prefs::ComparisonStore;

mod common;
use common::Scratch;

fn answered(run: &Path) -> usize {
    std::fs::read_to_string(run.join("comparisons.jsonl")).map(|t| t.lines().count()).unwrap_or(0)
}

#[test]
fn oracle_run_survives_kill_9_and_resumes_with_every_answer_and_clip() {
    let run = Scratch::fresh("oracle-run");
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
    // A clip the kill cut short in its writing (the kill may or may not have hit one): the
    // resumed run removes it and says so.
    std::fs::write(run.join("clips").join("it999999-999999.tmp"), b"torn").unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_backflip")).arg("train").arg("--resume").arg(&run).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("it999999-999999.tmp: removed, a clip cut short by the stop"));
    let unfinished: Vec<_> = std::fs::read_dir(run.join("clips")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e != "clip")).collect();
    assert!(unfinished.is_empty(), "only whole clips are left: {unfinished:?}");
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
    let (dir, _) = backflip::run::RunDir::open(&run).unwrap();
    let last = dir.read_metrics().unwrap().pop().unwrap();
    assert_eq!(last.ppo.global_step, 24576, "trained to the end");
    assert!(last.reward_val_accuracy.is_some_and(f32::is_finite), "validation accuracy is logged");

    // The checkpoint keeps the learned reward PPO trained on last, and `eval --export` writes
    // its value at every step of every exported episode beside them.
    assert!(run.join("checkpoint").join("reward.json").exists());
    let export = run.join("export");
    let out = Command::new(env!("CARGO_BIN_EXE_backflip")).arg("eval").arg(&run).args(["--episodes", "2", "--export"]).arg(&export).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let learned: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(export.join("learned-reward.json")).unwrap()).unwrap();
    assert!(learned["version"].as_u64().is_some_and(|v| v >= 1), "{}", learned["version"]);
    let episodes = learned["episodes"].as_object().unwrap();
    assert_eq!(episodes.keys().collect::<Vec<_>>(), ["eval-000", "eval-001"]);
    for (id, rewards) in episodes {
        let clip: backflip::clip::Clip = serde_json::from_str(&std::fs::read_to_string(export.join(format!("{id}.json"))).unwrap()).unwrap();
        let rewards: Vec<f64> = rewards.as_array().unwrap().iter().map(|r| r.as_f64().unwrap()).collect();
        assert_eq!(rewards.len(), clip.steps.len(), "one reward a step of {id}");
        assert!(rewards.iter().any(|&r| r != rewards[0]), "the reward varies along {id}");
        // Each member's reward, whose mean is what PPO was paid.
        let members: Vec<Vec<f64>> = serde_json::from_value(learned["members"][id].clone()).unwrap();
        assert_eq!(members.len(), 3, "the ensemble's members");
        for (t, r) in rewards.iter().enumerate() {
            let mean = members.iter().map(|m| m[t]).sum::<f64>() / members.len() as f64;
            assert!((mean - r).abs() < 1e-4, "{id} step {t}: members' mean {mean}, reward {r}");
        }
        assert!(members[0] != members[1], "the members differ along {id}");
    }

    // `clip rewards` gives the same model's value at every step of every clip the run saved.
    let out = Command::new(env!("CARGO_BIN_EXE_backflip")).args(["clip", "rewards"]).arg(&run).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["version"], learned["version"], "the checkpoint's model");
    let clips = printed["clips"].as_object().unwrap();
    let saved = std::fs::read_dir(run.join("clips")).unwrap().count();
    assert_eq!(clips.len(), saved, "every saved clip");
    for (id, rewards) in clips {
        let clip = backflip::clip::Clip::load(&run.join("clips").join(format!("{id}.clip"))).unwrap();
        assert_eq!(rewards.as_array().unwrap().len(), clip.steps.len(), "one reward a step of {id}");
    }
    // A snapshot before any model was kept, or a damaged model: one line naming the run or file.
    let out = Command::new(env!("CARGO_BIN_EXE_backflip")).args(["clip", "rewards", "--at-step", "0"]).arg(&run).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.trim().lines().count() == 1 && err.contains("no reward model kept"), "{err}");
    std::fs::write(run.join("checkpoint").join("reward.json"), "{").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_backflip")).args(["clip", "rewards"]).arg(&run).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.trim().lines().count() == 1 && err.contains("reward.json"), "{err}");
}

/// comparisons.jsonl without its wall-clock fields (`time_ms`, `response_ms`).
fn answers_without_clock(run: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(run.join("comparisons.jsonl")).unwrap();
    text.lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("time_ms");
            o.remove("response_ms");
            v
        })
        .collect()
}

#[test]
fn oracle_runs_of_one_seed_are_identical_and_another_seed_differs() {
    // Two runs of seed 5 at once (so their threads interleave differently), then seed 6.
    let runs = [Scratch::fresh("same-seed-a"), Scratch::fresh("same-seed-b"), Scratch::fresh("other-seed")];
    let train = |run: &Path, seed: &str| {
        Command::new(env!("CARGO_BIN_EXE_backflip"))
            .args(["train", "--labeler", "oracle", "--comparisons", "64", "--steps", "40960", "--snapshot-every", "0", "--seed", seed, "--out"])
            .arg(run)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children = [train(&runs[0], "5"), train(&runs[1], "5")];
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = train(&runs[2], "6").wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for run in &runs {
        let out = Command::new(env!("CARGO_BIN_EXE_backflip")).arg("eval").arg(run).args(["--episodes", "3"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let answers = answers_without_clock(&runs[0]);
    assert!(answers.len() >= 60, "the schedule asked for most of the budget: {}", answers.len());
    assert_eq!(answers, answers_without_clock(&runs[1]), "comparisons.jsonl apart from time_ms and response_ms");
    let metrics = common::metrics_without_clock(&runs[0]);
    assert_eq!(metrics.len(), 10);
    assert_eq!(metrics, common::metrics_without_clock(&runs[1]), "metrics.csv apart from its wall-clock columns");
    let eval = std::fs::read(runs[0].join("eval.json")).unwrap();
    assert_eq!(eval, std::fs::read(runs[1].join("eval.json")).unwrap(), "eval.json byte for byte");
    // The comparison is not vacuous: another seed gives other answers and another policy.
    assert_ne!(answers, answers_without_clock(&runs[2]));
    assert_ne!(metrics, common::metrics_without_clock(&runs[2]));
}

/// `backflip labelers RUN`: per labeler, answers, seconds, equal and can't-tell shares, undos
/// and agreement with the judge, for a run answered by the scripted teacher and a person.
#[test]
fn the_labeler_report_covers_the_teacher_and_a_person() {
    use backflip::prefs::{Answer, ComparisonStore, Who};
    let run = Scratch::fresh("labelers");
    let out = Command::new(env!("CARGO_BIN_EXE_backflip"))
        .args(["train", "--labeler", "oracle", "--teacher", "rational", "--comparisons", "16", "--steps", "8192", "--out"])
        .arg(&run)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A person answers three pairs of the same clips (the teacher's answer, the other, equal)
    // and takes the last back.
    let (mut store, _) = ComparisonStore::open(&run.join("comparisons.jsonl")).unwrap();
    let teacher: Vec<_> = store.comparisons().to_vec();
    let strict: Vec<_> = teacher.iter().filter(|c| c.answer != Answer::Equal).take(2).collect();
    assert_eq!(strict.len(), 2, "the rational teacher gave strict answers");
    let flip = |a: Answer| if a == Answer::Left { Answer::Right } else { Answer::Left };
    store.record(&strict[0].left, &strict[0].right, strict[0].answer, Who::person("ada"), 2000).unwrap();
    store.record(&strict[1].left, &strict[1].right, flip(strict[1].answer), Who::person("ada"), 4000).unwrap();
    let last = store.record(&strict[1].left, &strict[1].right, Answer::Equal, Who::person("ada"), 9000).unwrap();
    store.withdraw(last.id).unwrap();
    drop(store);
    let out = Command::new(env!("CARGO_BIN_EXE_backflip")).arg("labelers").arg(&run).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    let row = |name: &str| table.lines().find(|l| l.starts_with(&format!("| {name} |"))).unwrap_or_else(|| panic!("{name} in\n{table}")).to_string();
    let ada: Vec<String> = row("ada").split('|').map(|c| c.trim().to_string()).collect();
    // answers, median seconds, equal, can't tell, undos, agreement
    assert_eq!(&ada[2..8], ["2", "3.0", "0%", "0%", "1", "50% of 2"], "{table}");
    let teacher_row: Vec<String> = row("scripted teacher (rational)").split('|').map(|c| c.trim().to_string()).collect();
    assert_eq!(teacher_row[2], teacher.len().to_string());
    assert!(teacher_row[7].starts_with("100% of"), "the rational teacher agrees with the judge: {table}");
}

/// A short oracle run (`args` added) with a `--pref-config` file holding `json`, finished.
fn oracle_run_with_pref_config(name: &str, json: &str, args: &[&str]) -> Scratch {
    let run = Scratch::fresh(name);
    let config = run.with_extension("json");
    std::fs::write(&config, json).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_backflip"))
        .args(["train", "--labeler", "oracle", "--snapshot-every", "0"])
        .args(args)
        .arg("--pref-config")
        .arg(&config)
        .arg("--out")
        .arg(&run)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    run
}

/// `prefs.explore_steps`: PPO first trains on the novelty of the torso's state, without a
/// comparison; the initial comparisons are asked about clips of the explored policy, and the
/// schedule of the rest starts there.
#[test]
fn exploration_comes_before_the_first_comparison() {
    let run = oracle_run_with_pref_config("explore", r#"{"explore_steps": 8192}"#, &["--comparisons", "32", "--steps", "24576"]);
    let (header, rows) = common::metrics_table(&run);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 6, "24576 env steps of 4096");
    for row in &rows[..2] {
        assert_eq!(row[col("comparisons")], "", "no comparison while exploring: {row:?}");
        let reward: f32 = row[col("mean_reward")].parse().unwrap();
        assert!(reward > 0.0, "novelty pays: {row:?}");
    }
    for row in &rows[2..] {
        assert!(row[col("comparisons")].parse::<usize>().unwrap() >= 8, "{row:?}");
    }
    let answers = answers_without_clock(&run);
    assert!(answers.len() >= 24, "the schedule asked for most of the budget after exploring: {}", answers.len());
    // Every clip asked about is counted once in the query columns, none while exploring, and
    // the pool is read at each selection.
    let sum = |name: &str| rows.iter().map(|r| r[col(name)].parse::<u64>().unwrap_or(0)).sum::<u64>();
    assert_eq!(sum("queried_clips"), 2 * answers.len() as u64);
    assert!(sum("queried_successes") <= sum("queried_clips"));
    for row in &rows[..2] {
        assert_eq!((row[col("queried_clips")].as_str(), row[col("query_pool_clips")].as_str()), ("", ""), "{row:?}");
    }
    for row in &rows[2..] {
        let (pool, successes): (u64, u64) = (row[col("query_pool_clips")].parse().unwrap(), row[col("query_pool_successes")].parse().unwrap());
        assert!(pool >= 2 && successes <= pool, "{row:?}");
    }
    for a in &answers {
        for side in ["left", "right"] {
            let iteration: u64 = a[side].as_str().unwrap()[2..8].parse().unwrap();
            assert!(iteration >= 2, "every clip is of the explored policy: {a}");
        }
    }
    // All of a run's steps exploring leaves nothing to learn from comparisons: refused.
    let config = run.with_extension("json");
    std::fs::write(&config, r#"{"explore_steps": 24576}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_backflip"))
        .args(["train", "--labeler", "oracle", "--steps", "24576", "--pref-config"])
        .arg(&config)
        .arg("--out")
        .arg(run.with_extension("refused"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("prefs.explore_steps (24576)"), "{err}");
    assert!(!run.with_extension("refused").exists(), "no folder for a refused run");

    // A run stopped while exploring has no explored policy to ask about yet: `backflip label`
    // refuses it in one line (before any window opens) and leaves it as it was.
    let stopped = run.with_extension("stopped");
    let mut child = Command::new(env!("CARGO_BIN_EXE_backflip"))
        .args(["train", "--labeler", "oracle", "--steps", "40960", "--explore-steps", "36864", "--checkpoint-every", "1", "--out"])
        .arg(&stopped)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !stopped.join("metrics.csv").exists() || std::fs::read_to_string(stopped.join("metrics.csv")).unwrap().lines().count() < 2 {
        assert!(start.elapsed() < Duration::from_secs(120), "no iteration finished");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let metrics = std::fs::read(stopped.join("metrics.csv")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_backflip")).arg("label").arg(&stopped).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("still exploring") && err.contains("of its 36864 env steps") && err.trim().lines().count() == 1, "{err}");
    assert_eq!(std::fs::read(stopped.join("metrics.csv")).unwrap(), metrics, "the run is left as it was");
    assert_eq!(answered(&stopped), 0);
}

/// The backflip's defaults (`PrefConfig::for_run`) are what a new run starts from; a
/// `--pref-config` file changes only the fields it names, nested ones included, and hop
/// forward keeps the plain defaults.
#[test]
fn a_pref_config_file_changes_only_what_it_names() {
    let config = Scratch::fresh("pref-overlay.json");
    std::fs::write(&config, r#"{"teacher": {"eps": 0.2}, "comparisons": 100}"#).unwrap();
    let saved = |scene: &str, file: bool| {
        let run = Scratch::fresh(&format!("pref-overlay-{scene}-{file}"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_backflip"));
        cmd.args(["train", "--labeler", "oracle", "--steps", "8192", "--snapshot-every", "0", "--scene", scene]);
        if file {
            cmd.arg("--pref-config").arg(&config);
        }
        // Killed once run.json is written: the settings are all this test reads.
        let mut child = cmd.arg("--out").arg(&run).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let start = Instant::now();
        while !run.join("run.json").exists() {
            assert!(start.elapsed() < Duration::from_secs(60), "no run.json");
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(100));
        let _ = child.kill();
        child.wait().unwrap();
        let run_json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
        run_json["prefs"].clone()
    };
    let (plain, changed) = (saved("hopper-backflip", false), saved("hopper-backflip", true));
    assert_eq!(plain["teacher"]["tumble_cost"], 0.5);
    assert_eq!(plain["explore_steps"], 819, "a tenth of the run's 8192 steps");
    assert_eq!((changed["teacher"]["eps"].as_f64().unwrap() as f32, changed["comparisons"].as_u64()), (0.2, Some(100)));
    let mut expected = plain.clone();
    expected["teacher"]["eps"] = changed["teacher"]["eps"].clone();
    expected["comparisons"] = 100.into();
    assert_eq!(changed, expected, "nothing else differs from the defaults");
    let hop = saved("hopper-forward", false);
    assert_eq!((hop["teacher"]["tumble_cost"].as_f64(), hop["explore_steps"].as_u64()), (Some(0.0), Some(0)));
    // A value out of range in the file, or of the wrong type, is one line naming the setting
    // (by its path) and the file, and makes no run folder.
    let refused = Scratch::fresh("pref-overlay-refused");
    let bad = [
        (r#"{"teacher": {"near_landing_credit": 0.5}}"#, "teacher.near_landing_credit"),
        (r#"{"teacher": {"eps": "x"}}"#, "teacher.eps: invalid type"),
    ];
    for (json, setting) in bad {
        std::fs::write(&config, json).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_backflip"))
            .args(["train", "--labeler", "oracle", "--steps", "8192", "--pref-config"])
            .arg(&config)
            .arg("--out")
            .arg(&refused)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(setting) && err.contains("pref-overlay") && err.trim().lines().count() == 1, "{err}");
        assert!(!refused.exists());
    }
}

/// A short hop-forward run with the preference share `setting` at 1 (48 comparisons), and the
/// number of its first answers, asked before there is a model.
fn hop_run_with_share(setting: &str) -> (Scratch, usize) {
    let args = ["--scene", "hopper-forward", "--teacher", "rational", "--comparisons", "48", "--steps", "40960"];
    let run = oracle_run_with_pref_config(setting, &format!(r#"{{"{setting}": 1.0}}"#), &args);
    let run_json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(run_json["prefs"][setting], 1.0);
    let initial = (48.0 * run_json["prefs"]["initial_share"].as_f64().unwrap()).round() as usize;
    (run, initial)
}

/// `prefs.champion_share` 1 in a short run: every query asked with a reward model holds the
/// clip the model pays most, and that clip stays the champion across selections (it is asked
/// again after it has left the pool), where by default a clip asked leaves the pool for good.
#[test]
fn champion_queries_ask_the_clip_paid_most_again() {
    let (run, initial) = hop_run_with_share("champion_share");
    let answers = answers_without_clock(&run);
    let modelled = &answers[initial..];
    assert!(modelled.len() >= 10, "the schedule asked for most of the budget: {}", answers.len());
    let mut times: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for a in modelled {
        for side in ["left", "right"] {
            *times.entry(a[side].as_str().unwrap()).or_default() += 1;
        }
    }
    // Each query holds a clip shown in another query too (the champion), and some clip was
    // asked about in at least three.
    assert!(modelled.iter().all(|a| times[a["left"].as_str().unwrap()] > 1 || times[a["right"].as_str().unwrap()] > 1), "{modelled:?}");
    assert!(times.values().any(|&k| k >= 3), "{times:?}");
}

/// `prefs.ladder_share` 1 in a short run: queries asked with a reward model ask again about
/// clips that won an earlier answer (10 of 36 here; the same run at the default share: 1).
#[test]
fn ladder_queries_ask_again_about_the_clips_that_won() {
    let (run, initial) = hop_run_with_share("ladder_share");
    let answers = answers_without_clock(&run);
    let again = holds_an_earlier_winner(&answers)[initial..].iter().filter(|&&w| w).count();
    assert!(again >= 5, "{again} queries asked again about a winner, of {} answers", answers.len());
}

/// For each answer, whether it is about a clip that won an earlier answer.
fn holds_an_earlier_winner(answers: &[serde_json::Value]) -> Vec<bool> {
    let mut won = std::collections::HashSet::new();
    answers
        .iter()
        .map(|a| {
            let holds = ["left", "right"].iter().any(|side| won.contains(a[side].as_str().unwrap()));
            if let Some(side) = a["answer"].as_str().filter(|s| *s == "left" || *s == "right") {
                won.insert(a[side].as_str().unwrap());
            }
            holds
        })
        .collect()
}

/// `prefs.anchor_share` 1 in a short run: nearly every query asked with a reward model holds a
/// clip that won an earlier answer, and one such clip is asked about again and again (the best).
#[test]
fn anchor_queries_set_the_best_winner_against_the_policys_clips() {
    let (run, initial) = hop_run_with_share("anchor_share");
    let answers = answers_without_clock(&run);
    assert!(answers.len() >= initial + 10, "the schedule asked for most of the budget: {}", answers.len());
    let modelled = answers.len() - initial;
    let anchored = holds_an_earlier_winner(&answers)[initial..].iter().filter(|&&w| w).count();
    let mut times: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for a in &answers[initial..] {
        for side in ["left", "right"] {
            *times.entry(a[side].as_str().unwrap()).or_default() += 1;
        }
    }
    assert!(anchored * 10 >= modelled * 9, "{anchored} of {modelled} modelled queries hold an earlier winner");
    assert!(times.values().any(|&k| k >= 4), "no clip asked about four times: {times:?}");
}

/// `prefs.anchor_while_equal` with `prefs.anchor_share` 1, a teacher that says "equal" within 60
/// of a score (5 of the 12 first answers): at 0.3 the gate opens with the first model and every
/// later query holds an earlier winner; at 0.9 it stays shut and the run asks what a run without
/// anchors asks, answer for answer (in which no later query holds one).
#[test]
fn the_anchor_gate_opens_while_the_answers_say_equal() {
    let args = ["--scene", "hopper-forward", "--comparisons", "48", "--steps", "40960"];
    let teacher = r#""teacher": {"kind": "equal", "equal_threshold": 60}"#;
    let run = |name: &str, gate: &str| answers_without_clock(&oracle_run_with_pref_config(name, &format!("{{{gate}{teacher}}}"), &args));
    let plain = run("anchor-gate-none", "");
    let (open, shut) = (run("anchor-gate-open", r#""anchor_share": 1.0, "anchor_while_equal": 0.3, "#), run("anchor-gate-shut", r#""anchor_share": 1.0, "anchor_while_equal": 0.9, "#));
    let initial = 12;
    let equal = plain[..initial].iter().filter(|a| a["answer"] == "equal").count();
    assert!(plain.len() >= 40 && (4..=8).contains(&equal), "{} answers, {equal} of the first {initial} equal", plain.len());
    let anchored = |answers: &[serde_json::Value]| holds_an_earlier_winner(answers)[initial..].iter().filter(|&&w| w).count();
    assert!(anchored(&open) * 10 >= (open.len() - initial) * 9, "gate open: {} of {} later queries hold an earlier winner", anchored(&open), open.len() - initial);
    assert_eq!(plain, shut, "gate shut: the run without anchors");
    assert!(anchored(&plain) * 4 < plain.len() - initial, "without anchors {} of {} later queries hold an earlier winner", anchored(&plain), plain.len() - initial);
}

/// Each saved clip's summed reward under the run's own model, or under one saved apart.
fn clip_returns(run: &Path, model: Option<&Path>) -> std::collections::BTreeMap<String, f64> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backflip"));
    cmd.args(["clip", "rewards"]).arg(run);
    if let Some(m) = model {
        cmd.arg("--model").arg(m);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    printed["clips"].as_object().unwrap().iter().map(|(id, r)| (id.clone(), r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).sum())).collect()
}

/// `backflip reward refit`: a model fitted afresh on a run's first answers, saved apart and read
/// by `clip rewards --model`; it agrees with those answers, the same seed gives the same model
/// and another seed another; settings written over the run's (another input) fit too; bad
/// requests are one line and leave a saved model as it was.
#[test]
fn a_refit_model_is_fitted_afresh_on_the_runs_first_answers() {
    let args = ["--scene", "hopper-forward", "--teacher", "rational", "--comparisons", "32", "--steps", "24576"];
    let run = oracle_run_with_pref_config("refit", "{}", &args);
    let refit = |out: &Path, more: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_backflip")).args(["reward", "refit"]).arg(&run).args(["--comparisons", "24", "--epochs", "40"]).args(more).arg("--out").arg(out).output().unwrap()
    };
    let models = [run.join("refit-a"), run.join("refit-b"), run.join("refit-seed-9"), run.join("refit-obs-action")];
    let input = run.join("obs-action.json");
    std::fs::write(&input, r#"{"reward": {"input": "obs_action"}}"#).unwrap();
    let input_arg = ["--pref-config", input.to_str().unwrap()];
    for (model, more) in models.iter().zip([&[][..], &[], &["--seed", "9"], &input_arg]) {
        let out = refit(model, more);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("fitted on 24 comparisons"), "{}", String::from_utf8_lossy(&out.stdout));
    }
    let returns: Vec<_> = models.iter().map(|m| clip_returns(&run, Some(m))).collect();
    let own = clip_returns(&run, None);
    assert_eq!(returns[0].keys().collect::<Vec<_>>(), own.keys().collect::<Vec<_>>(), "every saved clip");
    assert_eq!(returns[0], returns[1], "the same seed, the same model");
    assert_ne!(returns[0], returns[2], "another seed, another model");
    assert_ne!(returns[0], own, "not the run's own model");
    // Each fitted model prefers the clip the teacher chose in most of the 24 answers.
    let answers = answers_without_clock(&run);
    for (model, r) in models.iter().zip(&returns) {
        let strict: Vec<_> = answers[..24].iter().filter(|a| a["answer"] == "left" || a["answer"] == "right").collect();
        let agree = strict.iter().filter(|a| (r[a["left"].as_str().unwrap()] > r[a["right"].as_str().unwrap()]) == (a["answer"] == "left")).count();
        assert!(agree * 4 >= strict.len() * 3, "{}: agrees with {agree} of {} answers", model.display(), strict.len());
    }

    // Bad requests: one line naming what is wrong; the model saved first is left as it was.
    let saved = std::fs::read(models[0].join("reward.json")).unwrap();
    let one_line = |out: std::process::Output, says: &str| {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.trim().lines().count() == 1 && err.contains(says), "{err}");
    };
    one_line(refit(&models[0], &[]), "holds a reward model already");
    let store = run.join("comparisons.jsonl");
    for n in ["0", "100000"] {
        let out = Command::new(env!("CARGO_BIN_EXE_backflip")).args(["reward", "refit"]).arg(&run).args(["--comparisons", n, "--out"]).arg(run.join("refit-bad")).output().unwrap();
        one_line(out, &format!("--comparisons {n}: {}", store.display()));
    }
    let bad = run.join("hidden-0.json");
    std::fs::write(&bad, r#"{"reward": {"hidden": 0}}"#).unwrap();
    one_line(refit(&run.join("refit-bad"), &["--pref-config", bad.to_str().unwrap()]), "reward.hidden");
    let out = Command::new(env!("CARGO_BIN_EXE_backflip")).args(["clip", "rewards"]).arg(&run).arg("--model").arg(run.join("clips")).output().unwrap();
    one_line(out, "no reward model there");
    assert_eq!(std::fs::read(models[0].join("reward.json")).unwrap(), saved);
    assert!(!run.join("refit-bad").join("reward.json").exists());
}

/// `prefs.refit_every` 16 in a short run of 32 comparisons, rounds taken up an iteration after
/// they are asked: the run's second and last round, asked at 24 answers, is a fit afresh, the
/// very model `backflip reward refit` fits on the same answers with `prefs.pretrain_epochs`; a
/// run without it asks the same and ends on a second round trained on from the first model's
/// weights, another model.
#[test]
fn a_refit_round_fits_a_new_model_on_every_answer() {
    let args = ["--scene", "hopper-forward", "--teacher", "rational", "--comparisons", "32", "--steps", "24576"];
    let quick = r#""round_lag_iterations": 1, "round_pair_epochs_per_iteration": 1000"#;
    let run = oracle_run_with_pref_config("refit-every", &format!(r#"{{"refit_every": 16, {quick}}}"#), &args);
    let plain = oracle_run_with_pref_config("refit-never", &format!("{{{quick}}}"), &args);
    let last_round = |run: &Path| {
        let (header, rows) = common::metrics_table(run);
        let column = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (rounds, comparisons) = (column("reward_rounds"), column("comparisons"));
        let last = rows.iter().find(|r| r[rounds] == rows.last().unwrap()[rounds]).unwrap();
        (last[rounds].clone(), last[comparisons].parse::<usize>().unwrap())
    };
    let (rounds, fitted_on) = last_round(&run);
    assert_eq!(rounds, "2", "one round after the first model");
    assert!((16..32).contains(&fitted_on), "the round came at or past 16 answers: {fitted_on}");
    assert_eq!(last_round(&plain).0, "2", "the run without refits trained a second round too");
    let model = run.join("refit-here");
    let out = Command::new(env!("CARGO_BIN_EXE_backflip")).args(["reward", "refit"]).arg(&run).args(["--comparisons", &fitted_on.to_string()]).arg("--out").arg(&model).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(clip_returns(&run, None), clip_returns(&run, Some(&model)), "the run's last model is a fit afresh on its {fitted_on} answers");
    assert_eq!(answers_without_clock(&run)[..fitted_on], answers_without_clock(&plain)[..fitted_on], "the same run up to the refit");
    assert_ne!(clip_returns(&plain, Some(&model)), clip_returns(&plain, None), "without refit_every the last model is another");
}
