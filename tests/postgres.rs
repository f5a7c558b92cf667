//! Several labelers on one run kept in PostgreSQL (`--store`): two answering at once lose
//! nothing and count nothing twice; a labeler killed mid-answer leaves its query for another;
//! a server restart mid-run makes the run wait and go on. Skips, saying so, where
//! BACKFLIP_TEST_POSTGRES (a libpq URL) is unset or its server cannot be reached; the restart
//! test also needs BACKFLIP_TEST_POSTGRES_RESTART, a shell command that restarts the server
//! (.ci/run sets both).

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use backflip::prefs::pg::{PgLink, PgTarget};
use backflip::prefs::store::StoreLine;
use backflip::prefs::{Comparison, ComparisonStore};

mod common;
use common::Scratch;

/// The restart test runs alone (the write side); the others may run together (the read side).
/// A restart under another test's start would meet its first connection, which is a one-line
/// error by design (a wrong URL must not look like a wait); only the links opened once a run is
/// going wait for the server.
static SERVER: RwLock<()> = RwLock::new(());

fn server() -> Option<String> {
    let Ok(url) = std::env::var("BACKFLIP_TEST_POSTGRES") else {
        eprintln!("postgres test skipped: BACKFLIP_TEST_POSTGRES is not set");
        return None;
    };
    match PgLink::connect(&PgTarget { url: url.clone(), run: String::new() }) {
        Ok(_) => Some(url),
        Err(e) => {
            eprintln!("postgres test skipped: {e:#}");
            None
        }
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_backflip"))
}

fn trainer(url: &str, run: &Path, comparisons: &str) -> Child {
    bin()
        .args(["train", "--labeler", "remote", "--store", url, "--comparisons", comparisons, "--pace-margin", "4096", "--steps", "16384", "--out"])
        .arg(run)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Starts a scripted labeler once the trainer has put the run in the store.
fn labeler(url: &str, run: &Path, name: &str, delay: &str) -> Child {
    let target = PgTarget { url: url.into(), run: run.file_name().unwrap().to_str().unwrap().into() };
    let mut link = PgLink::connect(&target).unwrap();
    let start = Instant::now();
    while link.run_config().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(120), "the trainer never put the run in the store");
        std::thread::sleep(Duration::from_millis(100));
    }
    let run_name = run.file_name().unwrap().to_str().unwrap();
    bin()
        .args(["label", "--store", url, "--run", run_name, "--name", name, "--scripted", "--answer-delay", delay])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The run's answers in PostgreSQL, in force.
fn answers(url: &str, run: &Path) -> Vec<Comparison> {
    let target = PgTarget { url: url.into(), run: run.file_name().unwrap().to_str().unwrap().into() };
    let (lines, corrupt) = PgLink::connect(&target).unwrap().lines_after(0).unwrap();
    assert!(corrupt.is_empty());
    let lines: Vec<StoreLine> = lines.into_iter().map(|(_, l)| l).collect();
    ComparisonStore::in_force(&lines).1
}

fn wait_ok(child: Child, what: &str, limit: Duration) {
    let start = Instant::now();
    let mut child = child;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            assert!(status.success(), "{what} failed: {err}");
            return;
        }
        assert!(start.elapsed() < limit, "{what} did not finish in {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every answer once: distinct pairs, each labeler named, the budget exactly.
fn check_once(all: &[Comparison], budget: usize) {
    assert_eq!(all.len(), budget, "every comparison answered, none twice");
    let pairs: HashSet<(&str, &str)> = all.iter().map(|c| (c.left.as_str(), c.right.as_str())).collect();
    assert_eq!(pairs.len(), all.len(), "no pair answered twice");
}

fn trained_with(run: &Path, budget: usize) {
    let (dir, _) = backflip::run::RunDir::open(run).unwrap();
    let last = dir.read_metrics().unwrap().pop().unwrap();
    assert_eq!(last.comparisons, Some(budget), "the trainer counted every answer once");
}

#[test]
fn two_labelers_answer_at_once_and_nothing_is_lost_or_counted_twice() {
    let Some(url) = server() else { return };
    let _shared = SERVER.read().unwrap_or_else(|e| e.into_inner());
    let run = Scratch::unique("pg-two");
    let t = trainer(&url, &run, "40");
    let (a, b) = (labeler(&url, &run, "ada", "0.05"), labeler(&url, &run, "bob", "0.05"));
    wait_ok(t, "the trainer", Duration::from_secs(300));
    wait_ok(a, "labeler ada", Duration::from_secs(60));
    wait_ok(b, "labeler bob", Duration::from_secs(60));
    let all = answers(&url, &run);
    check_once(&all, 40);
    let by = |name: &str| all.iter().filter(|c| c.labeler.label().starts_with(name)).count();
    assert!(by("ada") > 0 && by("bob") > 0, "both answered: ada {}, bob {}, others {}", by("ada"), by("bob"), all.len() - by("ada") - by("bob"));
    trained_with(&run, 40);
    let out = bin().arg("labelers").arg(&run).output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("| ada (scripted humanlike) |") && table.contains("| bob (scripted humanlike) |"), "{table}");
}

#[test]
fn a_labeler_killed_mid_answer_leaves_its_query_to_another() {
    let Some(url) = server() else { return };
    let _shared = SERVER.read().unwrap_or_else(|e| e.into_inner());
    let run = Scratch::unique("pg-kill");
    let t = trainer(&url, &run, "24");
    // A slow labeler holds a query for 3 s per answer: killed while it holds one.
    let mut slow = labeler(&url, &run, "slow", "3");
    std::thread::sleep(Duration::from_secs(6));
    slow.kill().unwrap(); // SIGKILL: its transaction dies with its connection
    slow.wait().unwrap();
    let by_slow = |all: &[Comparison]| all.iter().filter(|c| c.labeler.label().starts_with("slow")).count();
    let held_by_slow = by_slow(&answers(&url, &run));
    let fast = labeler(&url, &run, "fast", "0.05");
    wait_ok(t, "the trainer", Duration::from_secs(300));
    wait_ok(fast, "labeler fast", Duration::from_secs(60));
    let all = answers(&url, &run);
    check_once(&all, 24);
    assert_eq!(by_slow(&all), held_by_slow, "the killed answer was not written");
    assert!(all.iter().any(|c| c.labeler.label().starts_with("fast")), "the other labeler answered");
    trained_with(&run, 24);
}

#[test]
fn a_server_restart_mid_run_makes_the_run_wait_and_go_on() {
    let Some(url) = server() else { return };
    let Ok(restart) = std::env::var("BACKFLIP_TEST_POSTGRES_RESTART") else {
        eprintln!("postgres restart test skipped: BACKFLIP_TEST_POSTGRES_RESTART is not set");
        return;
    };
    let _alone = SERVER.write().unwrap_or_else(|e| e.into_inner());
    let run = Scratch::unique("pg-restart");
    let t = trainer(&url, &run, "40");
    let l = labeler(&url, &run, "ada", "0.1");
    let start = Instant::now();
    while answers(&url, &run).len() < 10 {
        assert!(start.elapsed() < Duration::from_secs(120), "no answers arrived");
        std::thread::sleep(Duration::from_millis(200));
    }
    let status = Command::new("sh").args(["-c", &restart]).status().unwrap();
    assert!(status.success(), "restart command failed: {restart}");
    wait_ok(t, "the trainer", Duration::from_secs(300));
    wait_ok(l, "the labeler", Duration::from_secs(60));
    let all = answers(&url, &run);
    check_once(&all, 40);
    assert!(all.iter().all(|c| c.labeler.label().starts_with("ada")), "only the remote labeler answers");
    trained_with(&run, 40);
}

#[test]
fn a_new_run_named_as_one_in_the_store_is_refused_and_leaves_no_folder() {
    let Some(url) = server() else { return };
    let _shared = SERVER.read().unwrap_or_else(|e| e.into_inner());
    let first = Scratch::unique("pg-taken");
    let target = PgTarget { url: url.clone(), run: first.file_name().unwrap().to_str().unwrap().into() };
    PgLink::connect(&target).unwrap().publish_run("{}").unwrap();
    // Another folder, the same name.
    let other = Scratch::new("pg-taken-again");
    let again = other.join(first.file_name().unwrap());
    let out = bin().args(["train", "--labeler", "remote", "--store", &url, "--steps", "4096", "--out"]).arg(&again).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a second run took the name: {err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(last.starts_with("error:") && last.contains("is already there") && last.contains(&target.run), "{err}");
    assert!(!again.exists(), "the refused run left its folder");
}
