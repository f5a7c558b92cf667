//! A labeler slower than training: RL waits when it is ahead of the schedule by its margin,
//! gets every comparison, never stalls, and does not spin a core while it waits.

use std::process::Command;
use std::time::Instant;

use backflip::run::RunDir;

mod common;
use common::Scratch;

/// CPU seconds (user and system) a child used, read from /proc as it exits.
fn run_with_cpu_seconds(cmd: &mut Command) -> (std::process::Output, f64) {
    let child = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let ticks_per_second = 100.0; // USER_HZ on Linux
    let mut cpu = 0.0;
    let out = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            // The last reading before the process is gone.
            let mut last = 0.0;
            while let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
                if fields.len() > 13 && fields[0] != "Z" {
                    last = (fields[11].parse::<f64>().unwrap_or(0.0) + fields[12].parse::<f64>().unwrap_or(0.0)) / ticks_per_second;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            last
        });
        let out = child.wait_with_output().unwrap();
        cpu = watcher.join().unwrap();
        out
    });
    (out, cpu)
}

#[test]
fn a_slow_labeler_gets_every_comparison_and_ppo_waits_without_spinning() {
    let run = Scratch::fresh("paced");
    // 200 comparisons answered at 0.5 s each: 100 s of answers for a run PPO alone would
    // finish in about 10 s. Margin: one iteration (4,096 steps).
    let start = Instant::now();
    let (out, cpu) = run_with_cpu_seconds(
        Command::new(env!("CARGO_BIN_EXE_backflip"))
            .args(["train", "--labeler", "oracle", "--comparisons", "200", "--answer-delay", "0.5", "--pace-margin", "4096"])
            .args(["--steps", "81920", "--snapshot-every", "0", "--out"])
            .arg(&run),
    );
    let wall = start.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (dir, config) = RunDir::open(&run).unwrap();
    let prefs = config.prefs.unwrap();
    let rows = dir.read_metrics().unwrap();
    let last = rows.last().unwrap();
    assert_eq!(last.ppo.global_step, 81920, "trained to the end: it never stalled");
    assert_eq!(last.comparisons, Some(200), "every comparison answered");
    // PPO never ran past the margin: each iteration after exploration ended with at least the
    // comparisons the schedule wants a margin's steps earlier.
    assert!(prefs.explore_steps > 0, "the backflip explores first by default");
    for r in &rows {
        if r.ppo.global_step <= prefs.explore_steps {
            assert_eq!(r.comparisons, None, "no comparison while exploring");
            continue;
        }
        let need = prefs.paced_need(r.ppo.global_step, config.total_steps);
        assert!(r.comparisons.unwrap() >= need, "at {} env steps: {:?} answered, {need} needed", r.ppo.global_step, r.comparisons);
    }
    let waited: f64 = rows.iter().filter_map(|r| r.wait_seconds).sum();
    assert!(waited > 30.0, "PPO waited for answers ({waited:.1} s)");
    // Waiting is sleeping: the process used far less CPU than two busy cores would have.
    assert!(cpu < 0.6 * 2.0 * wall, "{cpu:.1} CPU seconds in {wall:.1} s of wall time");
    assert!(cpu < wall - 0.5 * waited, "{cpu:.1} CPU seconds in {wall:.1} s, {waited:.1} s of it waiting");
}
