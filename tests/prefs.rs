//! Learning from preferences: teachers, the comparison store, the reward ensemble, the stages.

use std::sync::Arc;
use std::time::Duration;

use backflip::clip::Clip;
use backflip::clip::ClipDir;
use backflip::prefs::stages::Backend;
use backflip::prefs::{Answer, ClipScore, ComparisonStore, Labeler, PrefConfig, Refits, StageSetup, Teacher, TeacherConfig, TeacherKind, TrainerEvent, Who, stages};
use backflip::reward::{LabeledPair, RewardConfig, RewardEnsemble, RewardSnapshot};
use backflip::rollout::{self, FixedPolicy};
use backflip::scene::Scene;
use rand::{RngExt, SeedableRng};

mod common;
use common::Scratch;

fn score(total: f32) -> ClipScore {
    ClipScore { total, per_step: vec![total] }
}

#[test]
fn teachers_answer_as_defined_and_are_seeded() {
    let mut rational = Teacher::new(TeacherConfig::default(), 1);
    assert_eq!(rational.answer(&score(2.0), &score(1.0)), Answer::Left);
    assert_eq!(rational.answer(&score(0.0), &score(1.0)), Answer::Right);

    let mistakes = |seed| {
        let mut t = Teacher::new(TeacherConfig { kind: TeacherKind::Mistake, eps: 0.2, ..Default::default() }, seed);
        (0..2000).map(|_| t.answer(&score(1.0), &score(0.0))).collect::<Vec<_>>()
    };
    let a = mistakes(3);
    assert_eq!(a, mistakes(3), "same seed, same answers");
    assert_ne!(a, mistakes(4));
    let wrong = a.iter().filter(|x| **x == Answer::Right).count() as f32 / 2000.0;
    assert!((wrong - 0.2).abs() < 0.03, "mistake rate {wrong}");

    let mut equal = Teacher::new(TeacherConfig { kind: TeacherKind::Equal, equal_threshold: 0.5, ..Default::default() }, 1);
    assert_eq!(equal.answer(&score(1.0), &score(1.3)), Answer::Equal);
    assert_eq!(equal.answer(&score(1.0), &score(1.6)), Answer::Right);

    let mut skip = Teacher::new(TeacherConfig { kind: TeacherKind::Skip, skip_threshold: 0.5, ..Default::default() }, 1);
    assert_eq!(skip.answer(&score(0.1), &score(0.2)), Answer::CantTell);
    assert_eq!(skip.answer(&score(0.1), &score(0.9)), Answer::Right);

    // Myopic: the same total, but the left clip's good part is at the end.
    let mut myopic = Teacher::new(TeacherConfig { kind: TeacherKind::Myopic, gamma: 0.5, ..Default::default() }, 1);
    let late = ClipScore { total: 1.0, per_step: vec![0.0, 0.0, 1.0] };
    let early = ClipScore { total: 1.0, per_step: vec![1.0, 0.0, 0.0] };
    assert_eq!(myopic.answer(&late, &early), Answer::Left);

    let mut boltzmann = Teacher::new(TeacherConfig { kind: TeacherKind::Boltzmann, beta: 1.0, ..Default::default() }, 9);
    let left = (0..4000).filter(|_| boltzmann.answer(&score(1.0), &score(0.0)) == Answer::Left).count() as f32 / 4000.0;
    let want = 1.0 / (1.0 + (-1.0f32).exp());
    assert!((left - want).abs() < 0.03, "boltzmann chose left {left}, expected {want}");

    let mut human = Teacher::new(TeacherConfig::humanlike(), 2);
    assert_eq!(human.answer(&score(1.0), &score(1.01)), Answer::Equal);
}

#[test]
fn the_store_appends_withdraws_and_survives_corrupt_lines() {
    let dir = Scratch::new("store");
    let path = dir.join("comparisons.jsonl");
    {
        let (mut store, corrupt) = ComparisonStore::open(&path).unwrap();
        assert!(corrupt.is_empty() && store.is_empty());
        store.record("a", "b", Answer::Left, Who::person("ada"), 900).unwrap();
        store.record("c", "d", Answer::Equal, Who::person("ada"), 1200).unwrap();
        store.record("e", "f", Answer::Right, Who::person("ada"), 300).unwrap();
        assert_eq!(store.withdraw_last().unwrap().unwrap().left, "e");
    }
    let before = std::fs::read(&path).unwrap();
    assert_eq!(before.iter().filter(|b| **b == b'\n').count(), 4, "three answers and one withdrawal");
    // Damage: a garbage line in the middle and a torn last line, as after a crash.
    let mut damaged = before.clone();
    damaged.extend_from_slice(b"{not json}\n{\"type\":\"comparison\",\"id\":9,\"lef");
    std::fs::write(&path, &damaged).unwrap();
    let (mut store, corrupt) = ComparisonStore::open(&path).unwrap();
    assert_eq!(corrupt.iter().map(|c| c.line).collect::<Vec<_>>(), vec![5, 6]);
    assert_eq!(store.comparisons().iter().map(|c| c.left.as_str()).collect::<Vec<_>>(), vec!["a", "c"]);
    let c = store.record("g", "h", Answer::CantTell, Who::person("ada"), 10).unwrap();
    assert_eq!(c.id, 3, "ids continue after the withdrawn one");
    let after = std::fs::read(&path).unwrap();
    assert_eq!(&after[..damaged.len()], &damaged[..], "nothing already saved is rewritten");
    let (store, corrupt) = ComparisonStore::open(&path).unwrap();
    assert_eq!(corrupt.len(), 2, "the torn line stays torn, the new answer is whole");
    assert_eq!(store.len(), 3);
    assert_eq!(store.comparisons()[2].answer, Answer::CantTell);
}

/// Synthetic clips of 10 steps of 3 features, whose true reward per step is feature 0.
fn synthetic(n: usize, seed: u64) -> Vec<LabeledPair> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut clip = || Arc::new((0..30).map(|_| rng.random_range(-1.0f32..1.0)).collect::<Vec<f32>>());
    (0..n)
        .map(|i| {
            let (l, r) = (clip(), clip());
            let ret = |c: &[f32]| c.chunks(3).map(|s| s[0]).sum::<f32>();
            LabeledPair { target: if ret(&l) > ret(&r) { 1.0 } else { 0.0 }, left: l, right: r, validation: i % 3 == 0 }
        })
        .collect()
}

#[test]
fn the_ensemble_learns_an_easy_reward_from_comparisons() {
    let device = backflip::device::DeviceKind::Flex.device().unwrap();
    let pairs = synthetic(300, 1);
    let recent: Vec<f32> = pairs.iter().flat_map(|p| p.left.iter().copied()).collect();
    let mut ensemble = RewardEnsemble::new(RewardConfig { learning_rate: 3e-3, ..Default::default() }, 3, &device, 0);
    let stats = ensemble.train(&pairs, 30, &recent);
    assert_eq!(stats.val_pairs, 100);
    assert!(stats.val_accuracy > 0.9, "held-out agreement {}", stats.val_accuracy);
    // Normalised: the ensemble's rewards on recent data have mean ~0 and std ~1.
    let r = ensemble.snapshot(1).rewards(&recent);
    let mean = r.iter().sum::<f32>() / r.len() as f32;
    let std = (r.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / r.len() as f32).sqrt();
    assert!(mean.abs() < 0.05 && (std - 1.0).abs() < 0.35, "mean {mean} std {std}");
    // And it ranks steps by the true reward: feature 0.
    let lo = ensemble.snapshot(1).rewards(&[-0.9, 0.0, 0.0])[0];
    let hi = ensemble.snapshot(1).rewards(&[0.9, 0.0, 0.0])[0];
    assert!(hi > lo);
}

/// A snapshot of the learned reward, saved as checkpoints and snapshots keep it, loads back to
/// the same rewards bit for bit; a folder without one loads as none; a damaged reward.json or
/// member is a one-line error naming the file.
#[test]
fn a_saved_reward_model_loads_back_to_the_same_rewards() {
    let device = backflip::device::DeviceKind::Flex.device().unwrap();
    let dir = Scratch::new("saved-reward");
    std::fs::create_dir_all(&dir).unwrap();
    let pairs = synthetic(60, 2);
    let recent: Vec<f32> = pairs.iter().flat_map(|p| p.left.iter().copied()).collect();
    let mut ensemble = RewardEnsemble::new(RewardConfig { bounded: true, ..Default::default() }, 3, &device, 5);
    ensemble.train(&pairs, 3, &recent);
    let snapshot = ensemble.snapshot(7);
    assert!(RewardSnapshot::load(&dir, &device).unwrap().is_none(), "nothing saved yet");
    snapshot.save(&dir).unwrap();
    let loaded = RewardSnapshot::load(&dir, &device).unwrap().expect("saved");
    assert_eq!(loaded.version, 7);
    assert_eq!(loaded.rewards(&recent), snapshot.rewards(&recent));
    // Not the same as an untrained ensemble: the weights, not only the shape, came back.
    assert_ne!(RewardEnsemble::new(RewardConfig { bounded: true, ..Default::default() }, 3, &device, 6).snapshot(0).rewards(&recent), loaded.rewards(&recent));
    let member = dir.join("reward-member-1.bpk");
    std::fs::write(&member, b"not a burn record").unwrap();
    let Err(err) = RewardSnapshot::load(&dir, &device) else { panic!("a damaged member loaded") };
    let err = err.to_string();
    assert!(err.contains("reward-member-1.bpk") && err.lines().count() == 1, "{err}");
    std::fs::write(dir.join("reward.json"), "{\"version\": 1").unwrap();
    let Err(err) = RewardSnapshot::load(&dir, &device) else { panic!("a damaged reward.json loaded") };
    let err = err.to_string();
    assert!(err.contains("reward.json") && err.lines().count() == 1, "{err}");
}

#[test]
fn asked_by_follows_the_schedule() {
    let c = PrefConfig { comparisons: 1000, ..Default::default() };
    assert_eq!(c.asked_by(0, 10_000_000), 250);
    assert_eq!(c.asked_by(10_000_000, 10_000_000), 1000);
    let mid = c.asked_by(5_000_000, 10_000_000);
    assert!(mid > 625, "front-loaded: {mid} by half way");
    assert!(c.asked_by(20_000_000, 10_000_000) == 1000, "never past the budget");
}

/// `query_decay_steps` spreads the queries after the initial ones: the default asks most of
/// them early, the most (1e12) at a constant rate, and both spend the budget by the end.
#[test]
fn a_slower_query_decay_spreads_the_queries_over_the_run() {
    let total = 10_000_000;
    let front = PrefConfig { comparisons: 1000, ..Default::default() };
    let flat = PrefConfig { query_decay_steps: 1e12, ..front.clone() };
    for c in [&front, &flat] {
        assert_eq!(c.asked_by(0, total), 250);
        assert_eq!(c.asked_by(total, total), 1000);
    }
    // Constant rate: each tenth of the run asks a tenth of the 750 after the initial ones.
    for k in 0..10u64 {
        let asked = flat.asked_by((k + 1) * total / 10, total) - flat.asked_by(k * total / 10, total);
        assert!((74..=76).contains(&asked), "tenth {k}: {asked}");
    }
    let first_half = |c: &PrefConfig| c.asked_by(total / 2, total);
    assert!(first_half(&front) > first_half(&flat) + 100, "{} against {}", first_half(&front), first_half(&flat));
}

#[test]
fn the_query_decay_is_checked() {
    for bad in [0.5, -1.0, 2e12, f64::NAN, f64::INFINITY] {
        let err = PrefConfig { query_decay_steps: bad, ..PrefConfig::default() }.validate().unwrap_err().to_string();
        assert!(err.contains("prefs.query_decay_steps") && err.lines().count() == 1, "{err}");
    }
    // Left at its default it is not written, and a run.json without it reads back as the default.
    let json = serde_json::to_string(&PrefConfig::default()).unwrap();
    assert!(!json.contains("query_decay_steps"), "{json}");
    let read: PrefConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(read.query_decay_steps, 2e6);
    let flat = PrefConfig { query_decay_steps: 1e12, ..PrefConfig::default() };
    let back: PrefConfig = serde_json::from_str(&serde_json::to_string(&flat).unwrap()).unwrap();
    assert_eq!(back, flat);
}

/// A labeler that waits `delay` before each answer, or never answers.
struct SlowLabeler {
    delay: Option<Duration>,
}

impl Labeler for SlowLabeler {
    fn answer(&mut self, _: &Clip, _: &Clip) -> Option<Answer> {
        match self.delay {
            Some(d) => {
                std::thread::sleep(d);
                Some(Answer::Left)
            }
            None => loop {
                std::thread::sleep(Duration::from_secs(3600));
            },
        }
    }
    fn who(&self) -> Who {
        Who::person("slow")
    }
}

fn stages(dir: &std::path::Path, delay: Option<Duration>) -> stages::Stages {
    let scene = Scene::builtin("hopper-backflip").unwrap();
    let setup = StageSetup {
        backend: Backend::Folder { store: dir.join("comparisons.jsonl"), clips: ClipDir::new(dir.join("clips")) },
        config: PrefConfig { comparisons: 8, pretrain_epochs: 2, ..Default::default() },
        scene: scene.clone(),
        device: backflip::device::DeviceKind::Flex.device().unwrap(),
        seed: 0,
        withdraw: None,
    };
    let s = stages::start(setup, Some(Box::new(SlowLabeler { delay }))).unwrap();
    let clips = rollout::record(Arc::new(scene), FixedPolicy::Random, 188 * 6, 1).unwrap();
    s.offer_clips(clips);
    s.want(2);
    s
}

#[test]
fn a_slow_labeler_gets_its_answers_stored_and_trained_on() {
    let dir = Scratch::new("slow-labeler");
    let s = stages(&dir, Some(Duration::from_millis(300)));
    let mut answered = 0;
    let mut snapshot = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !snapshot && std::time::Instant::now() < deadline {
        match s.from_trainer.recv_timeout(Duration::from_secs(5)) {
            Ok(TrainerEvent::Answered(n)) => answered = n,
            Ok(TrainerEvent::Snapshot(..)) => snapshot = true,
            Ok(TrainerEvent::Error(e)) => panic!("{e}"),
            Err(_) => {}
        }
    }
    assert_eq!(answered, 2);
    assert!(snapshot, "the reward model was trained on the initial answers");
    let (store, _) = ComparisonStore::open(&dir.join("comparisons.jsonl")).unwrap();
    for c in store.comparisons() {
        for id in [&c.left, &c.right] {
            assert!(dir.join("clips").join(format!("{id}.clip")).exists(), "clip {id} saved before it was asked");
        }
    }
}

#[test]
fn a_silent_labeler_blocks_nothing() {
    let dir = Scratch::new("silent-labeler");
    let s = stages(&dir, None);
    // Nothing arrives, and nothing waits on it: offering more clips and wanting more queries
    // return at once, and dropping the stages does not hang.
    let start = std::time::Instant::now();
    assert!(s.from_trainer.recv_timeout(Duration::from_millis(800)).is_err());
    s.want(5);
    s.offer_clips(Vec::new());
    drop(s);
    assert!(start.elapsed() < Duration::from_secs(3));
    let (store, _) = ComparisonStore::open(&dir.join("comparisons.jsonl")).unwrap();
    assert!(store.is_empty());
}

/// Synthetic pairs, and a reward model trained a little on them: what the selector tests pick from.
fn selection_model() -> (Vec<LabeledPair>, backflip::reward::RewardSnapshot) {
    let device = backflip::device::DeviceKind::Flex.device().unwrap();
    let pairs = synthetic(60, 4);
    let mut ensemble = RewardEnsemble::new(RewardConfig::default(), 3, &device, 0);
    ensemble.train(&pairs, 2, &[]);
    (pairs, ensemble.snapshot(1))
}

/// Which of `clips` (10 steps each) the members pay most on average.
fn paid_most(snap: &backflip::reward::RewardSnapshot, clips: &[&[f32]]) -> usize {
    let rows: Vec<f32> = clips.iter().flat_map(|c| c.iter().copied()).collect();
    let returns = snap.clip_returns(&rows, 10);
    let mean = |i: usize| returns.iter().map(|r| r[i]).sum::<f32>() / returns.len() as f32;
    (0..clips.len()).max_by(|&a, &b| mean(a).total_cmp(&mean(b))).unwrap()
}

/// The variance of the members' preference on a pair: what disagreement selection ranks by.
fn disputed(snap: &backflip::reward::RewardSnapshot, clips: &[&[f32]], (a, b): (usize, usize)) -> f32 {
    let p = snap.preference(clips[a], clips[b]);
    let m = p.iter().sum::<f32>() / p.len() as f32;
    p.iter().map(|x| (x - m) * (x - m)).sum::<f32>()
}

#[test]
fn query_selection_picks_distinct_clips_and_prefers_disagreement() {
    use backflip::reward::{SelectRule, select_pairs};
    let (pairs, snap) = selection_model();
    let clips: Vec<&[f32]> = pairs.iter().map(|p| p.left.as_slice()).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    for snapshot in [None, Some(&snap)] {
        let picked = select_pairs(snapshot, &clips, 10, 5, 0, SelectRule::default(), &mut rng);
        assert_eq!(picked.len(), 5);
        assert!(picked.iter().all(|(a, b)| a != b && *a < 60 && *b < 60));
    }
    // Disagreement: the chosen pairs have at least the variance of uniformly chosen ones.
    let variance = |p: (usize, usize)| disputed(&snap, &clips, p);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
    let active: f32 = select_pairs(Some(&snap), &clips, 10, 10, 0, SelectRule::default(), &mut rng).into_iter().map(variance).sum();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
    let uniform: f32 = select_pairs(Some(&snap), &clips, 10, 10, 10, SelectRule::default(), &mut rng).into_iter().map(variance).sum();
    assert!(active >= uniform, "disagreement {active} < uniform {uniform}");
}

/// `prefs.initial_pairs_per_clip`: before a reward model, no clip in more pairs than allowed and
/// no pair twice, either way round; fewer pairs than wanted where the pool runs short; with a
/// model, as without the setting.
#[test]
fn before_a_reward_model_a_clip_is_in_at_most_so_many_pairs() {
    use backflip::reward::{SelectRule, select_pairs};
    let (pairs, snap) = selection_model();
    let all: Vec<&[f32]> = pairs.iter().map(|p| p.left.as_slice()).collect();
    let few = &all[..10];
    let pick = |clips: &[&[f32]], want: usize, per_clip: usize, snapshot| select_pairs(snapshot, clips, 10, want, 0, SelectRule { initial_pairs_per_clip: per_clip, ..SelectRule::default() }, &mut rand_chacha::ChaCha8Rng::seed_from_u64(3));
    for per_clip in [1, 3] {
        let picked = pick(few, 250, per_clip, None);
        let mut shown = [0usize; 10];
        for &(a, b) in &picked {
            shown[a] += 1;
            shown[b] += 1;
        }
        assert!(shown.iter().all(|&k| k <= per_clip), "{per_clip}: {shown:?}");
        let unordered: std::collections::HashSet<_> = picked.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
        assert_eq!(unordered.len(), picked.len(), "a pair twice: {picked:?}");
        // The draw of 2,500 pairs among 10 clips holds every pair, so the pool is used up: no
        // pair not asked could still be.
        for a in 0..10 {
            for b in a + 1..10 {
                assert!(unordered.contains(&(a, b)) || shown[a] == per_clip || shown[b] == per_clip, "{per_clip}: ({a}, {b}) left out: {picked:?}");
            }
        }
        assert!(picked.len() >= 10 * per_clip / 2 - per_clip, "{per_clip}: {} pairs", picked.len());
    }
    // Without the setting the 250 wanted come from the 10 clips (some pairs both ways round).
    assert_eq!(pick(few, 250, 0, None).len(), 90);
    assert_eq!(pick(&all, 10, 1, Some(&snap)), pick(&all, 10, 0, Some(&snap)), "with a model the setting does nothing");
}

/// `prefs.uniform_share`: the first `at_random` pairs are the random draw itself (what uniform
/// queries would ask), the rest are picked by disagreement from the candidates after them.
#[test]
fn a_share_of_the_queries_is_drawn_at_random() {
    use backflip::reward::{SelectRule, select_pairs};
    let (pairs, snap) = selection_model();
    let clips: Vec<&[f32]> = pairs.iter().map(|p| p.left.as_slice()).collect();
    let pick = |at_random: usize| select_pairs(Some(&snap), &clips, 10, 10, at_random, SelectRule::default(), &mut rand_chacha::ChaCha8Rng::seed_from_u64(9));
    let (uniform, active, mixed) = (pick(10), pick(0), pick(4));
    assert_eq!(mixed.len(), 10);
    assert_eq!(mixed[..4], uniform[..4], "the random part is the draw");
    let distinct: std::collections::HashSet<_> = mixed.iter().collect();
    assert_eq!(distinct.len(), 10, "no pair twice: {mixed:?}");
    let variance = |&p: &(usize, usize)| disputed(&snap, &clips, p);
    // The modelled part is the most disputed of what is left: none of the random pairs after
    // the first four is more disputed than the least disputed pick.
    let least = mixed[4..].iter().map(variance).fold(f32::INFINITY, f32::min);
    assert!(uniform[4..].iter().filter(|p| !mixed.contains(p)).all(|p| variance(p) <= least));
    assert!(active.iter().map(variance).sum::<f32>() >= mixed.iter().map(variance).sum::<f32>());
}

/// `prefs.candidate_pairs` 0: with a reward model the modelled pairs are the most disputed of
/// every pair of the pool, greedily, no clip in two of them; the random share is the default
/// rule's draw; before a model nothing changes.
#[test]
fn every_pair_of_the_pool_can_be_a_candidate() {
    use backflip::reward::{SelectRule, select_pairs};
    let (pairs, snap) = selection_model();
    let clips: Vec<&[f32]> = pairs.iter().map(|p| p.left.as_slice()).collect();
    let every = SelectRule { candidate_pairs: 0, ..SelectRule::default() };
    let pick = |rule, at_random, snapshot| select_pairs(snapshot, &clips, 10, 10, at_random, rule, &mut rand_chacha::ChaCha8Rng::seed_from_u64(4));
    let picked = pick(every, 0, Some(&snap));
    assert_eq!(picked.len(), 10);
    let shown: std::collections::HashSet<usize> = picked.iter().flat_map(|&(a, b)| [a, b]).collect();
    assert_eq!(shown.len(), 20, "a clip in two pairs: {picked:?}");
    // The first pick is the most disputed pair of all, and each later one the most disputed of
    // the pairs whose clips are not yet picked.
    let variance = |a: usize, b: usize| disputed(&snap, &clips, (a, b));
    let mut used = std::collections::HashSet::new();
    for &(a, b) in &picked {
        let best = (0..60).flat_map(|x| (x + 1..60).map(move |y| (x, y))).filter(|(x, y)| !used.contains(x) && !used.contains(y)).map(|(x, y)| variance(x, y)).fold(f32::MIN, f32::max);
        assert!(variance(a, b) >= best * (1.0 - 1e-5), "({a}, {b}): {} below {best}", variance(a, b));
        used.extend([a, b]);
    }
    // Either way round, at random.
    assert!(picked.iter().any(|(a, b)| a < b) && picked.iter().any(|(a, b)| a > b), "{picked:?}");
    let mixed = pick(every, 4, Some(&snap));
    assert_eq!(mixed[..4], pick(SelectRule::default(), 10, Some(&snap))[..4], "the random part is the default draw");
    let shown: std::collections::HashSet<usize> = mixed.iter().flat_map(|&(a, b)| [a, b]).collect();
    assert_eq!(shown.len(), 20, "a clip in two pairs, random ones included: {mixed:?}");
    for candidate_pairs in [0, 3] {
        let rule = SelectRule { candidate_pairs, ..SelectRule::default() };
        assert_eq!(pick(rule, 0, None), pick(SelectRule::default(), 0, None), "{candidate_pairs}: before a model the setting does nothing");
    }
}

#[test]
fn the_candidate_pairs_are_checked() {
    let with = |candidate_pairs: usize| PrefConfig { candidate_pairs, ..PrefConfig::default() }.validate();
    assert!(with(0).is_ok() && with(10).is_ok() && with(1000).is_ok());
    let err = with(1001).unwrap_err().to_string();
    assert!(err.contains("prefs.candidate_pairs") && err.lines().count() == 1, "{err}");
    // Left at its default it is not written, and a run.json without it reads back as the default.
    let json = serde_json::to_string(&PrefConfig::default()).unwrap();
    assert!(!json.contains("candidate_pairs"), "{json}");
    assert_eq!(serde_json::from_str::<PrefConfig>(&json).unwrap().candidate_pairs, 10);
    let every = PrefConfig { candidate_pairs: 0, ..PrefConfig::default() };
    assert_eq!(serde_json::from_str::<PrefConfig>(&serde_json::to_string(&every).unwrap()).unwrap(), every);
}

#[test]
fn the_uniform_share_is_checked() {
    let with = |uniform_share: f32| PrefConfig { uniform_share, ..PrefConfig::default() }.validate();
    assert!(with(0.0).is_ok() && with(0.5).is_ok() && with(1.0).is_ok());
    for bad in [1.5, -0.1, f32::NAN, f32::INFINITY] {
        let err = with(bad).unwrap_err().to_string();
        assert!(err.contains("prefs.uniform_share") && err.lines().count() == 1, "{err}");
    }
    let uniform = PrefConfig { uniform_share: 0.5, queries: backflip::reward::QueryMode::Uniform, ..PrefConfig::default() }.validate();
    assert!(uniform.unwrap_err().to_string().contains("prefs.uniform_share (0.5)"));
}

/// Answers stored before labelers had names still read, as an unnamed person.
#[test]
fn answers_from_before_names_read_as_a_person() {
    let line = r#"{"type":"comparison","id":0,"left":"a","right":"b","answer":"left","labeler":{"who":"human"},"time_ms":1,"response_ms":2}"#;
    let (lines, corrupt) = ComparisonStore::parse_lines(line.as_bytes());
    assert!(corrupt.is_empty());
    let (_, in_force) = ComparisonStore::in_force(&lines);
    assert_eq!(in_force[0].labeler, Who::person(""));
    assert_eq!(in_force[0].labeler.label(), "person");
}

/// The ensemble's members start from different weights: disagreement-based queries and the
/// bootstrap need members that differ (one seed draws all of them, one after another).
#[test]
fn the_ensembles_members_start_different() {
    let device = backflip::device::DeviceKind::Flex.device().unwrap();
    let pairs = synthetic(4, 7);
    let input_size = 3;
    let snap = RewardEnsemble::new(RewardConfig { members: 3, ..Default::default() }, input_size, &device, 0).snapshot(0);
    for p in &pairs {
        let prefs = snap.preference(&p.left, &p.right);
        assert_eq!(prefs.len(), 3);
        assert!(prefs.iter().any(|&x| (x - prefs[0]).abs() > 1e-6), "members agree exactly: {prefs:?}");
    }
}

/// The landing credit is refused outside [0, 0.4), by name: at 0.4 a crashed turn that came
/// down upright would score as a clean flip.
#[test]
fn the_landing_credit_is_checked() {
    let with = |landing_credit: f32| TeacherConfig { landing_credit, ..TeacherConfig::humanlike() }.validate();
    assert!(with(0.0).is_ok() && with(0.3).is_ok());
    let both = TeacherConfig { landing_credit: 0.3, near_landing_credit: 0.2, ..TeacherConfig::humanlike() }.validate();
    assert!(both.unwrap_err().to_string().contains("teacher.near_landing_credit + teacher.landing_credit"));
    for bad in [0.4, -0.1, f32::NAN] {
        let err = with(bad).unwrap_err().to_string();
        assert!(err.contains("teacher.landing_credit"), "{err}");
    }
}

#[test]
fn the_clip_overlap_is_checked() {
    for bad in [1.0_f32, -0.1, f32::NAN] {
        let err = PrefConfig { clip_overlap: bad, ..PrefConfig::default() }.validate().unwrap_err().to_string();
        assert!(err.contains("prefs.clip_overlap") && err.lines().count() == 1, "{err}");
    }
    assert!(PrefConfig { clip_overlap: 0.5, ..PrefConfig::default() }.validate().is_ok());
    // Left at 0 it is not written, so run.json of a run with the defaults does not change.
    assert!(!serde_json::to_string(&PrefConfig::default()).unwrap().contains("clip_overlap"));
}

/// `prefs.champion_share`: the champion is the clip the model pays most of the pool and the
/// hall (clips asked before, kept aside); every pair holds it and a pool clip, no partner twice;
/// with every free clip a candidate the partner is the most disputed against the champion;
/// fewer pairs where the pool runs out.
#[test]
fn the_champion_is_the_clip_the_model_pays_most_and_meets_each_partner_once() {
    use backflip::reward::champion_pairs;
    let (pairs, snap) = selection_model();
    let clips: Vec<&[f32]> = pairs.iter().map(|p| p.left.as_slice()).collect();
    let best = |range: std::ops::Range<usize>| paid_most(&snap, &clips[range]);
    let (pool, hall) = (&clips[..50], &clips[50..]);
    let pick = |pool: &[&[f32]], hall: &[&[f32]], want, draw| champion_pairs(&snap, pool, hall, 10, want, draw, &mut rand_chacha::ChaCha8Rng::seed_from_u64(8));
    for (hall, expected) in [(hall, best(0..60)), (&hall[..0], best(0..50))] {
        let (champion, picked) = pick(pool, hall, 20, 10);
        assert_eq!(champion, expected, "the clip paid most");
        assert_eq!(picked.len(), 20);
        let partners: Vec<usize> = picked.iter().map(|&(a, b)| if a == champion { b } else { a }).collect();
        assert!(picked.iter().all(|&(a, b)| (a == champion) != (b == champion)), "{picked:?}");
        assert!(partners.iter().all(|&p| p < 50), "partners come from the pool: {partners:?}");
        let distinct: std::collections::HashSet<_> = partners.iter().collect();
        assert_eq!(distinct.len(), 20, "a partner twice: {partners:?}");
        assert!(picked.iter().any(|&(a, _)| a == champion) && picked.iter().any(|&(_, b)| b == champion), "either way round");
    }
    // Every free pool clip a candidate: each partner is the most disputed of those left.
    let (champion, picked) = pick(pool, hall, 3, 0);
    let mut left: Vec<usize> = (0..50).filter(|&i| i != champion).collect();
    for &(a, b) in &picked {
        let partner = if a == champion { b } else { a };
        let dispute = |c: usize| disputed(&snap, &clips, (champion, c));
        let most = left.iter().map(|&c| dispute(c)).fold(f32::MIN, f32::max);
        assert!(dispute(partner) >= most * (1.0 - 1e-5), "{partner}: {} below {most}", dispute(partner));
        left.retain(|&c| c != partner);
    }
    // A pool of three: two partners if the champion is one of them, three if it is in the hall.
    let small = &clips[..3];
    let (champion, picked) = pick(small, &[], 5, 10);
    assert!(champion < 3 && picked.len() == 2, "{champion} {picked:?}");
    let top = [clips[best(0..60)]];
    if best(0..60) >= 3 {
        let (champion, picked) = pick(small, &top, 5, 10);
        assert!(champion == 3 && picked.len() == 3, "{champion} {picked:?}");
    }
}

/// Ladder queries: each rung (a clip that won, asked about again; indices after the pool's and
/// the hall's) meets the pool clip the model pays most, either way round; none without a pool.
#[test]
fn a_ladder_rung_meets_the_pool_clip_the_model_pays_most() {
    use backflip::reward::ladder_pairs;
    let (pairs, snap) = selection_model();
    let clips: Vec<&[f32]> = pairs.iter().map(|p| p.left.as_slice()).collect();
    let top = paid_most(&snap, &clips[..50]);
    let picked = ladder_pairs(&snap, &clips[..50], 4, 6, 10, &mut rand_chacha::ChaCha8Rng::seed_from_u64(3));
    let rungs: Vec<usize> = picked.iter().map(|&(a, b)| if a == top { b } else { a }).collect();
    assert_eq!(rungs, (54..60).collect::<Vec<_>>(), "{picked:?}");
    assert!(picked.iter().all(|&(a, b)| (a == top) != (b == top)), "{picked:?}");
    assert!(picked.iter().any(|&(a, _)| a == top) && picked.iter().any(|&(_, b)| b == top), "either way round: {picked:?}");
    assert!(ladder_pairs(&snap, &[], 0, 3, 10, &mut rand_chacha::ChaCha8Rng::seed_from_u64(3)).is_empty());
}

/// Anchor queries: the best answered is the winner the model pays most (none without winners),
/// and it meets distinct pool clips, either way round; fewer where the pool runs out.
#[test]
fn an_anchor_meets_random_pool_clips_with_the_best_winner() {
    use backflip::reward::{anchor_pairs, best_answered};
    let (pairs, snap) = selection_model();
    let clips: Vec<&[f32]> = pairs.iter().map(|p| p.left.as_slice()).collect();
    let winners = &clips[40..];
    assert_eq!(best_answered(&snap, winners, 10), Some(paid_most(&snap, winners)));
    assert_eq!(best_answered(&snap, &[], 10), None);
    // Any index past the pool's: in the selector, past the hall's and the rungs'.
    let best = 43;
    let rng = |seed| rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let picked = anchor_pairs(40, best, 12, &mut rng(4));
    assert_eq!(picked.len(), 12, "{picked:?}");
    assert!(picked.iter().all(|&(a, b)| (a == best) != (b == best)), "every pair holds the best winner {best}: {picked:?}");
    let partners: std::collections::HashSet<usize> = picked.iter().map(|&(a, b)| if a == best { b } else { a }).collect();
    assert!(partners.len() == 12 && partners.iter().all(|&p| p < 40), "distinct pool clips: {partners:?}");
    assert!(picked.iter().any(|&(a, _)| a == best) && picked.iter().any(|&(_, b)| b == best), "either way round: {picked:?}");
    // Another draw picks other partners; a pool of 5 gives 5 pairs.
    assert_ne!(anchor_pairs(40, best, 12, &mut rng(5)), picked);
    assert_eq!(anchor_pairs(5, best, 12, &mut rng(4)).len(), 5);
}

/// The latest answers' "equal" share reads the latest 64 answers in force, and the winners keep
/// every strict answer's clip in order.
#[test]
fn the_recent_equal_share_reads_the_latest_answers() {
    use backflip::prefs::Choices;
    use backflip::prefs::trainer::RECENT_ANSWERS;
    assert_eq!(RECENT_ANSWERS, 64);
    let none = Choices::of(&[]);
    assert!(none.winners.is_empty() && none.recent_equal == 0.0);
    // 16 strict answers, then 64 of which every other one says "equal".
    let answers: Vec<Option<String>> = (0..16).map(|i| Some(format!("w{i}"))).chain((0..64).map(|i| (i % 2 == 0).then(|| format!("v{i}")))).collect();
    let read = Choices::of(&answers);
    assert_eq!(read.recent_equal, 0.5);
    assert_eq!(read.winners.len(), 48);
    assert_eq!((read.winners[0].as_str(), read.winners[16].as_str(), read.winners[47].as_str()), ("w0", "v0", "v62"));
    // Fewer than 64 answers: the share of all of them.
    assert_eq!(Choices::of(&answers[..20]).recent_equal, 0.1);
}

/// Anchors are owed their share only while the latest answers say "equal" often enough, and a
/// run that stood meanwhile is not paid arrears when they do; at 0 the share is a plain one.
#[test]
fn anchors_are_owed_only_while_the_answers_say_equal() {
    use backflip::reward::AnchorShare;
    let mut always = AnchorShare::new(0.25, 0.0);
    let mut gated = AnchorShare::new(0.25, 0.5);
    assert!(always.open(0.0) && !gated.open(0.49) && gated.open(0.5));
    assert!(!AnchorShare::new(0.0, 0.0).open(1.0) && !AnchorShare::new(0.0, 0.0).in_use());
    // 10 selections of 4 modelled queries while the answers say "equal" to 10%.
    for _ in 0..10 {
        for (share, anchors) in [(&mut always, 1), (&mut gated, 0)] {
            assert_eq!(share.owed(0.1, 4), anchors);
            share.record(0.1, 4, anchors);
        }
    }
    // Then the answers say "equal" to 90%: the gated share owes a quarter of what comes, not 10.
    assert_eq!(gated.owed(0.9, 4), 1);
    gated.record(0.9, 4, 1);
    assert_eq!(gated.owed(0.9, 2), 0);
    gated.record(0.9, 2, 0);
    assert_eq!(gated.owed(0.9, 2), 1);
    // A selection that picked fewer anchors than owed is owed them at the next one.
    assert_eq!(always.owed(0.9, 8), 2);
    always.record(0.9, 8, 0);
    assert_eq!(always.owed(0.9, 4), 3);
}

#[test]
fn the_champion_ladder_and_anchor_shares_are_checked() {
    use backflip::reward::QueryMode;
    for name in ["champion_share", "ladder_share", "anchor_share"] {
        let with = |share: f32, uniform_share: f32, queries| {
            let mut c = PrefConfig { uniform_share, queries, ..PrefConfig::default() };
            match name {
                "champion_share" => c.champion_share = share,
                "ladder_share" => c.ladder_share = share,
                _ => c.anchor_share = share,
            }
            c.validate()
        };
        assert!(with(0.0, 0.0, QueryMode::Disagreement).is_ok() && with(0.5, 0.5, QueryMode::Disagreement).is_ok() && with(1.0, 0.0, QueryMode::Disagreement).is_ok());
        for (share, uniform, queries, says) in [
            (1.5, 0.0, QueryMode::Disagreement, format!("prefs.{name} must be in")),
            (-0.1, 0.0, QueryMode::Disagreement, format!("prefs.{name} must be in")),
            (0.6, 0.5, QueryMode::Disagreement, "add up to more than every query".to_string()),
            (0.5, 0.0, QueryMode::Uniform, format!("prefs.{name}")),
        ] {
            let err = with(share, uniform, queries).unwrap_err().to_string();
            assert!(err.contains(&says) && err.lines().count() == 1, "{name} {share} {uniform}: {err}");
        }
    }
    let both = PrefConfig { champion_share: 0.5, ladder_share: 0.6, ..PrefConfig::default() };
    assert!(both.validate().unwrap_err().to_string().contains("add up to more than every query"));
    // The anchors' gate: a share of answers, and only with anchors.
    let gate = |anchor_share, anchor_while_equal| PrefConfig { anchor_share, anchor_while_equal, ..PrefConfig::default() }.validate();
    assert!(gate(0.25, 0.5).is_ok() && gate(0.25, 0.0).is_ok() && gate(0.25, 1.0).is_ok());
    for (share, when, says) in [(0.25, 1.5, "prefs.anchor_while_equal must be in"), (0.25, -0.5, "prefs.anchor_while_equal must be in"), (0.25, f32::NAN, "prefs.anchor_while_equal must be in"), (0.0, 0.5, "prefs.anchor_while_equal (0.5) says when anchor queries are asked; set prefs.anchor_share too")] {
        let err = gate(share, when).unwrap_err().to_string();
        assert!(err.contains(says) && err.lines().count() == 1, "{share} {when}: {err}");
    }
    let three = PrefConfig { champion_share: 0.25, ladder_share: 0.5, anchor_share: 0.5, ..PrefConfig::default() };
    assert!(three.validate().unwrap_err().to_string().contains("prefs.anchor_share (0.5) add up to more than every query"));
    // Left at 0 they are not written, and a run.json without them reads back as 0.
    let json = serde_json::to_string(&PrefConfig::default()).unwrap();
    assert!(!json.contains("champion_share") && !json.contains("ladder_share") && !json.contains("anchor_"), "{json}");
    let read = serde_json::from_str::<PrefConfig>(&json).unwrap();
    assert_eq!((read.champion_share, read.ladder_share, read.anchor_share, read.anchor_while_equal), (0.0, 0.0, 0.0, 0.0));
    let set = PrefConfig { champion_share: 0.5, ladder_share: 0.25, anchor_share: 0.25, anchor_while_equal: 0.5, ..PrefConfig::default() };
    assert_eq!(serde_json::from_str::<PrefConfig>(&serde_json::to_string(&set).unwrap()).unwrap(), set);
}

/// `prefs.refit_every`: after a fit afresh, the next comes with the first round at or past the
/// next multiple (none at 0, none past the budget); the backflip's default is 250, hop
/// forward's 0; left at 0 it is not written, and a run.json made before it reads back as 0.
#[test]
fn fits_afresh_come_at_multiples_of_refit_every() {
    let every = |refit_every| PrefConfig { refit_every, ..PrefConfig::default() };
    let rounds = |refits: &mut Refits, answered: &[usize]| answered.iter().map(|&n| refits.take(n)).collect::<Vec<_>>();
    assert_eq!(rounds(&mut every(0).refits(250), &[266, 500, 1000]), [false; 3]);
    let mut refits = every(250).refits(250);
    assert_eq!(rounds(&mut refits, &[266, 499, 500, 516, 749, 761, 777, 1000]), [false, false, true, false, false, true, false, true]);
    // A resumed run's first model is a fit afresh: the count starts there.
    assert_eq!(rounds(&mut every(250).refits(499), &[499, 515, 750]), [false, true, true]);
    assert!(every(250).validate().is_ok() && every(0).validate().is_ok() && every(5000).validate().is_ok());
    assert_eq!(rounds(&mut every(5000).refits(250), &[500, 1000]), [false; 2]);
    use backflip::scene::TaskKind;
    assert_eq!((PrefConfig::for_run(TaskKind::Backflip, 10_000_000).refit_every, PrefConfig::for_run(TaskKind::HopForward, 2_000_000).refit_every), (250, 0));
    let json = serde_json::to_string(&PrefConfig::default()).unwrap();
    assert!(!json.contains("refit_every"), "{json}");
    assert_eq!(serde_json::from_str::<PrefConfig>(&json).unwrap().refit_every, 0);
    let set = every(250);
    assert_eq!(serde_json::from_str::<PrefConfig>(&serde_json::to_string(&set).unwrap()).unwrap(), set);
}
