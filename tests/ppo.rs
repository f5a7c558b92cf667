//! PPO: GAE against hand-computed values, learning a tiny task, checkpoints, determinism.

use std::sync::Arc;

use backflip::device::DeviceKind;
use backflip::hopper_env::{EnvReward, EnvSpec, HopperEnv, RewardKind};
use backflip::ppo::gae::gae;
use backflip::ppo::normalize::RunningMeanStd;
use backflip::ppo::{EnvStep, Ppo, PpoConfig, PpoEnv};
use backflip::run::{RunConfig, RunDir};
use backflip::scene::Scene;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod common;
use common::Scratch;

#[test]
fn gae_matches_hand_computed_values() {
    // Two environments, three steps, step-major; environment 1's episode ends at step 1.
    let rewards = [1.0, 0.5, 0.0, 2.0, 1.0, 1.0];
    let values = [0.5, 0.2, 0.3, 0.4, 0.1, 0.6];
    let dones = [false, false, false, true, false, false];
    let next = [0.7, 0.9];
    let (g, l) = (0.9f32, 0.8f32);
    let (adv, ret) = gae(&rewards, &values, &dones, &next, g, l);
    // Environment 0: deltas then the backward recursion.
    let d2 = 1.0 + g * 0.7 - 0.1;
    let d1 = 0.0 + g * 0.1 - 0.3;
    let d0 = 1.0 + g * 0.3 - 0.5;
    let a2 = d2;
    let a1 = d1 + g * l * a2;
    let a0 = d0 + g * l * a1;
    // Environment 1: the end at step 1 cuts the recursion.
    let e2 = 1.0 + g * 0.9 - 0.6;
    let e1 = 2.0 - 0.4;
    let e0 = 0.5 + g * 0.4 - 0.2 + g * l * e1;
    let want = [a0, e0, a1, e1, a2, e2];
    for (got, want) in adv.iter().zip(want) {
        assert!((got - want).abs() < 1e-6, "{adv:?} vs {want}");
    }
    for i in 0..6 {
        assert!((ret[i] - (adv[i] + values[i])).abs() < 1e-6);
    }
}

#[test]
fn running_mean_std_matches_direct_computation() {
    let mut rms = RunningMeanStd::new(2);
    let data: Vec<f32> = (0..200).map(|i| (i as f32 * 0.37).sin() * 3.0 + if i % 2 == 0 { 1.0 } else { -2.0 }).collect();
    for chunk in data.chunks(14) {
        rms.update(chunk);
    }
    for d in 0..2 {
        let col: Vec<f64> = data.iter().skip(d).step_by(2).map(|&x| x as f64).collect();
        let m = col.iter().sum::<f64>() / col.len() as f64;
        let v = col.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / col.len() as f64;
        assert!((rms.mean[d] - m).abs() < 1e-3, "mean {} vs {m}", rms.mean[d]);
        assert!((rms.var[d] - v).abs() < 1e-2, "var {} vs {v}", rms.var[d]);
    }
}

/// A point on a plane that must move to a target: the smallest task PPO must solve.
struct PointMass {
    pos: Vec<[f32; 2]>,
    target: Vec<[f32; 2]>,
    t: Vec<usize>,
    rng: ChaCha8Rng,
}

const HORIZON: usize = 25;

impl PointMass {
    fn new(n: usize, seed: u64) -> Self {
        let mut p = PointMass { pos: vec![[0.0; 2]; n], target: vec![[0.0; 2]; n], t: vec![0; n], rng: ChaCha8Rng::seed_from_u64(seed) };
        for e in 0..n {
            p.reset(e);
        }
        p
    }
    fn reset(&mut self, e: usize) {
        for k in 0..2 {
            self.pos[e][k] = self.rng.random_range(-1.0..1.0);
            self.target[e][k] = self.rng.random_range(-1.0..1.0);
        }
        self.t[e] = 0;
    }
    fn obs(&self, e: usize) -> [f32; 4] {
        [self.pos[e][0], self.pos[e][1], self.target[e][0], self.target[e][1]]
    }
    fn dist(&self, e: usize) -> f32 {
        ((self.pos[e][0] - self.target[e][0]).powi(2) + (self.pos[e][1] - self.target[e][1]).powi(2)).sqrt()
    }
}

impl PpoEnv for PointMass {
    fn num_envs(&self) -> usize {
        self.pos.len()
    }
    fn obs_dim(&self) -> usize {
        4
    }
    fn action_dim(&self) -> usize {
        2
    }
    fn observations(&self) -> Vec<f32> {
        (0..self.num_envs()).flat_map(|e| self.obs(e)).collect()
    }
    fn step(&mut self, actions: &[f32]) -> anyhow::Result<EnvStep> {
        let n = self.num_envs();
        let (mut rewards, mut done, mut final_obs) = (vec![], vec![], vec![]);
        for e in 0..n {
            for k in 0..2 {
                self.pos[e][k] += 0.1 * actions[e * 2 + k].clamp(-1.0, 1.0);
            }
            rewards.push(-self.dist(e));
            self.t[e] += 1;
            let end = self.t[e] == HORIZON;
            done.push(end);
            final_obs.push(end.then(|| self.obs(e).to_vec()));
            if end {
                self.reset(e);
            }
        }
        Ok(EnvStep { obs: self.observations(), rewards, done, final_obs })
    }
}

fn mean_final_distance(ppo: &Ppo, seed: u64) -> f32 {
    let mut env = PointMass::new(64, seed);
    let policy = ppo.policy();
    for _ in 0..HORIZON - 1 {
        let a = ppo.act_deterministic(&policy, &env.observations());
        env.step(&a).unwrap();
    }
    (0..64).map(|e| env.dist(e)).sum::<f32>() / 64.0
}

#[test]
fn ppo_learns_to_reach_a_target() {
    let config = PpoConfig { num_envs: 8, num_steps: 128, num_minibatches: 4, learning_rate: 1e-3, ..Default::default() };
    let device = DeviceKind::Flex.device().unwrap();
    let mut ppo = Ppo::new(config, 4, 2, &device, 0);
    let before = mean_final_distance(&ppo, 99);
    let mut env = PointMass::new(8, 1);
    let iterations = 40;
    for _ in 0..iterations {
        ppo.iterate(&mut env, iterations).unwrap();
    }
    let after = mean_final_distance(&ppo, 99);
    // Random targets in a 2x2 square are about 1.04 apart; a good policy ends within 0.15.
    assert!(before > 0.7, "untrained policy already good? {before}");
    assert!(after < 0.15, "PPO did not learn: final distance {after} (from {before})");
}

/// The entropy tests' PPO on the point mass: small rollouts, a constant learning rate.
fn point_mass_config() -> PpoConfig {
    PpoConfig { num_envs: 8, num_steps: 64, num_minibatches: 4, learning_rate: 1e-3, anneal_lr: false, ..Default::default() }
}

/// The policy's entropy at each of `iterations` updates of `config` on the point mass (seed 5).
fn entropy_per_update(config: PpoConfig, iterations: usize) -> Vec<f32> {
    let mut ppo = Ppo::new(config, 4, 2, &DeviceKind::Flex.device().unwrap(), 5);
    let mut env = PointMass::new(8, 5);
    (0..iterations).map(|_| ppo.iterate(&mut env, iterations as u64).unwrap().entropy).collect()
}

#[test]
fn an_annealed_entropy_bonus_lets_the_noise_shrink_as_the_run_ends() {
    // A bonus that holds the noise up against the task's pull on it while it lasts.
    let iterations = 24usize;
    let entropies = |anneal_ent_coef: bool, ent_anneal_from: f32| {
        entropy_per_update(PpoConfig { ent_coef: 0.05, anneal_ent_coef, ent_anneal_from, ..point_mass_config() }, iterations)
    };
    let (constant, annealed) = (entropies(false, 0.0), entropies(true, 0.0));
    // The first update has the whole bonus either way; by the end the annealed one has none.
    assert_eq!(constant[0], annealed[0]);
    let last = iterations - 1;
    assert!(annealed[last] < constant[last] - 0.1, "constant {constant:?}, annealed {annealed:?}");
    // Held for the first half, the bonus gives the constant run's iterations up to there, byte
    // for byte, and still ends with the noise down.
    let held = entropies(true, 0.5);
    assert_eq!(held[..=iterations / 2], constant[..=iterations / 2]);
    assert_ne!(held[iterations / 2 + 1], constant[iterations / 2 + 1]);
    assert!(held[last] < constant[last] - 0.1, "constant {constant:?}, held then annealed {held:?}");
}

#[test]
fn a_capped_entropy_bonus_holds_the_noise_at_the_cap() {
    // A bonus strong enough to outweigh the task: without a cap it drives the noise up without
    // end; with one it pays nothing above the cap, so the entropy rises to it and stays there.
    let iterations = 30usize;
    let entropies = |ent_cap: Option<f32>| {
        let config = PpoConfig { ent_coef: 0.5, ent_cap, ..point_mass_config() };
        config.validate().unwrap();
        entropy_per_update(config, iterations)
    };
    let (free, capped) = (entropies(None), entropies(Some(1.2)));
    // Two dimensions at log std -1 start at 0.84 nats, below the cap: the first update is the same.
    assert_eq!(free[0], capped[0]);
    let last = iterations - 1;
    assert!(free[last] > 1.2 + 0.5, "uncapped {free:?}");
    let above = capped.iter().cloned().fold(f32::MIN, f32::max);
    assert!(above < 1.2 + 0.15, "capped at 1.2 but reached {above}: {capped:?}");
    assert!(capped[last] > 1.2 - 0.15, "capped at 1.2 but fell to {}: {capped:?}", capped[last]);
}

#[test]
fn the_entropy_cap_is_checked_and_written_only_when_set() {
    for bad in [f32::NAN, f32::INFINITY, 1000.0] {
        let err = PpoConfig { ent_cap: Some(bad), ..Default::default() }.validate().unwrap_err().to_string();
        assert!(err.contains("ppo.ent_cap"), "{err}");
    }
    assert!(!serde_json::to_string(&PpoConfig::default()).unwrap().contains("ent_cap"));
    let capped = PpoConfig { ent_cap: Some(1.5), ..Default::default() };
    let json = serde_json::to_string(&capped).unwrap();
    assert!(json.contains("\"ent_cap\":1.5"), "{json}");
    assert_eq!(serde_json::from_str::<PpoConfig>(&json).unwrap(), capped);
}

#[test]
fn the_entropy_bonus_schedule_holds_then_decays_to_zero() {
    let config = PpoConfig { ent_coef: 0.01, anneal_ent_coef: true, ent_anneal_from: 0.6, ..Default::default() };
    assert_eq!(config.ent_coef_at(0.0), 0.01);
    assert_eq!(config.ent_coef_at(0.59), 0.01);
    assert!((config.ent_coef_at(0.8) - 0.005).abs() < 1e-7, "{}", config.ent_coef_at(0.8));
    assert_eq!(config.ent_coef_at(1.0), 0.0);
    // From the start (0) it is the linear decay it always was.
    let from_start = PpoConfig { ent_anneal_from: 0.0, ..config.clone() };
    assert!((from_start.ent_coef_at(0.25) - 0.0075).abs() < 1e-7);
    assert_eq!(PpoConfig { anneal_ent_coef: false, ..config.clone() }.ent_coef_at(0.9), 0.01);
    // Checked by name: within [0, 1), and only with the anneal on.
    for bad in [-0.1, 1.0, f32::NAN] {
        let err = PpoConfig { ent_anneal_from: bad, ..config.clone() }.validate().unwrap_err().to_string();
        assert!(err.contains("ppo.ent_anneal_from"), "{err}");
    }
    let err = PpoConfig { anneal_ent_coef: false, ..config.clone() }.validate().unwrap_err().to_string();
    assert!(err.contains("ppo.ent_anneal_from") && err.contains("anneal_ent_coef"), "{err}");
    assert!(config.validate().is_ok());
    // The default is not written to run.json, so runs made before the field keep theirs.
    assert!(!serde_json::to_string(&PpoConfig::default()).unwrap().contains("ent_anneal_from"));
    assert!(serde_json::to_string(&config).unwrap().contains("\"ent_anneal_from\":0.6"));
}

fn small_config() -> PpoConfig {
    PpoConfig { num_envs: 2, num_steps: 64, num_minibatches: 2, update_epochs: 2, ..Default::default() }
}

fn hopper_run(seed: u64, device: DeviceKind) -> (Ppo, Vec<String>) {
    let scene = Arc::new(Scene::builtin("hopper-backflip").unwrap());
    let config = small_config();
    let mut ppo = Ppo::new(config.clone(), scene.obs_dim(), scene.action_dim(), &device.device().unwrap(), seed);
    let mut env = HopperEnv::new(scene, EnvSpec::reward(EnvReward::Handwritten(Default::default())), config.num_envs, seed).unwrap();
    let log = (0..2).map(|_| format!("{:?}", ppo.iterate(&mut env, 10).unwrap()).split(", rollout_seconds").next().unwrap().to_string()).collect();
    (ppo, log)
}

#[test]
fn same_seed_same_first_iterations_on_each_cpu_device() {
    for device in [DeviceKind::Flex, DeviceKind::Ndarray] {
        let (a, log_a) = hopper_run(5, device);
        let (b, log_b) = hopper_run(5, device);
        assert_eq!(log_a, log_b, "{device:?}");
        // Two observations.
        let obs: Vec<f32> = (0..2 * Scene::builtin("hopper-backflip").unwrap().obs_dim()).map(|i| (i as f32 * 0.3).sin()).collect();
        assert_eq!(a.act_deterministic(&a.policy(), &obs), b.act_deterministic(&b.policy(), &obs));
        let (_, log_c) = hopper_run(6, device);
        assert_ne!(log_a, log_c, "another seed differs");
    }
}

/// `backflip bench agree`: PPO on another device starts from flex's networks and stays within
/// the stated tolerance of it after an iteration. ndarray here; cuda where a GPU is.
#[test]
fn ppo_on_another_device_agrees_with_flex() {
    let scene = Arc::new(Scene::builtin("hopper-backflip").unwrap());
    #[cfg(feature = "cuda")]
    let cuda = backflip::device::usable_gpu().map(|()| DeviceKind::Cuda).map_err(|e| eprintln!("skipped cuda: {e}")).ok();
    #[cfg(not(feature = "cuda"))]
    let cuda = None;
    for device in std::iter::once(DeviceKind::Ndarray).chain(cuda) {
        let a = backflip::bench::ppo_agreement(scene.clone(), device, small_config(), 2).unwrap();
        assert_eq!(a.iterations.len(), 2);
        let first = &a.iterations[0];
        assert!(a.agrees && first.max_action_diff <= a.tolerance, "{device:?}: {a:?}");
        assert!((first.policy_loss[0] - first.policy_loss[1]).abs() < 1e-3, "{device:?}: {a:?}");
    }
}

fn small_run_config(seed: u64, total_steps: u64) -> RunConfig {
    RunConfig {
        scene: Scene::builtin("hopper-backflip").unwrap(),
        reward: RewardKind::Handwritten,
        seed,
        total_steps,
        device: DeviceKind::Flex,
        ppo: small_config(),
        checkpoint_every: 1,
        prefs: None,
        handwritten: Default::default(),
        terminate_when_unhealthy: false,
        snapshot_every: 0,
    }
}

#[test]
fn checkpoint_round_trip_gives_identical_actions() {
    let dir = Scratch::fresh("ckpt");
    let (ppo, _) = hopper_run(3, DeviceKind::Flex);
    let config = small_run_config(3, 1000);
    let run = RunDir::create(&dir, &config).unwrap();
    run.save_checkpoint(&ppo, None).unwrap();
    let loaded = run.load_checkpoint(&DeviceKind::Flex.device().unwrap(), 3).unwrap();
    // Three observations.
    let obs: Vec<f32> = (0..3 * Scene::builtin("hopper-backflip").unwrap().obs_dim()).map(|i| (i as f32 * 0.7).cos() * 2.0).collect();
    assert_eq!(ppo.act_deterministic(&ppo.policy(), &obs), loaded.act_deterministic(&loaded.policy(), &obs));
    assert_eq!(loaded.global_step, ppo.global_step);
    assert_eq!(loaded.obs_rms, ppo.obs_rms);
    // A second run may not be created over the first.
    assert!(RunDir::create(&dir, &config).unwrap_err().to_string().contains("--resume"));
}

/// A run resumed from its checkpoint goes on exactly as the run would have without the stop:
/// Adam's moments and the sampling stream are saved with the weights. Without the optimizer's
/// file (checkpoints older than it) the next update differs.
#[test]
fn resuming_from_a_checkpoint_continues_the_same_updates() {
    let dir = Scratch::fresh("resume");
    let device = DeviceKind::Flex.device().unwrap();
    let config = PpoConfig { num_envs: 4, num_steps: 32, num_minibatches: 2, update_epochs: 2, ..Default::default() };
    let mut ppo = Ppo::new(config.clone(), 4, 2, &device, 9);
    let mut env = PointMass::new(4, 1);
    for _ in 0..2 {
        ppo.iterate(&mut env, 10).unwrap();
    }
    let run = RunDir::create(&dir, &RunConfig { ppo: config, ..small_run_config(9, 1000) }).unwrap();
    run.save_checkpoint(&ppo, None).unwrap();
    let next = |ppo: &mut Ppo| {
        ppo.iterate(&mut PointMass::new(4, 77), 10).unwrap();
        let obs: Vec<f32> = (0..40).map(|i| (i as f32 * 0.7).cos()).collect();
        ppo.act_deterministic(&ppo.policy(), &obs)
    };
    let mut resumed = run.load_checkpoint(&device, 9).unwrap();
    let (want, got) = (next(&mut ppo), next(&mut resumed));
    assert_eq!(want, got);
    std::fs::write(dir.join("checkpoint/optimizer.bpk"), b"not a burnpack").unwrap();
    let err = run.load_checkpoint(&device, 9).err().expect("a corrupt optimizer file is an error").to_string();
    assert!(err.contains("optimizer.bpk") && !err.contains('\n'), "{err}");
    std::fs::remove_file(dir.join("checkpoint/optimizer.bpk")).unwrap();
    let mut fresh_adam = run.load_checkpoint(&device, 9).unwrap();
    assert_ne!(next(&mut fresh_adam), got, "the test would notice Adam starting afresh");
}

#[test]
fn metrics_of_runs_older_than_the_preference_columns_still_read() {
    let dir = Scratch::fresh("oldmetrics");
    let config = small_run_config(0, 1);
    let run = RunDir::create(&dir, &config).unwrap();
    let old_header = "iteration,global_step,wall_seconds,steps_per_sec,episodes,episodic_return,true_return,backflips_per_episode,success_rate,judge_score,learning_rate,policy_loss,value_loss,entropy,approx_kl,clipfrac,explained_variance,update_fraction";
    std::fs::write(run.metrics_path(), format!("{old_header}\n1,4096,1.0,4096.0,16,5.5,,0,0,0.1,3e-4,0.1,0.2,4.2,0.01,0.02,0.3,0.6\n2,8192,2.0\n")).unwrap();
    let err = run.read_metrics().unwrap_err();
    assert!(format!("{err:#}").contains("metrics.csv:3"), "names the bad line: {err:#}");
    std::fs::write(run.metrics_path(), format!("{old_header}\n1,4096,1.0,4096.0,16,5.5,,0,0,0.1,3e-4,0.1,0.2,4.2,0.01,0.02,0.3,0.6\n")).unwrap();
    let rows = run.read_metrics().unwrap();
    assert_eq!(rows[0].ppo.global_step, 4096);
    assert_eq!(rows[0].episodes.episodic_return, Some(5.5));
    assert_eq!(rows[0].comparisons, None);
    // A row appended to an older file goes under that file's own columns, by name.
    let mut row = rows[0].clone();
    row.ppo.global_step = 8192;
    row.comparisons = Some(7);
    run.append_metrics(&row).unwrap();
    let text = std::fs::read_to_string(run.metrics_path()).unwrap();
    assert_eq!(text.lines().next(), Some(old_header), "the header is kept");
    let rows = run.read_metrics().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].ppo.global_step, 8192);
    assert_eq!(rows[1].comparisons, None, "the old file has no such column");
}

/// metrics.csv is written and read by column name: a new file round-trips every field.
#[test]
fn metrics_round_trip_by_name() {
    let dir = Scratch::fresh("metrics");
    let run = RunDir::create(&dir, &small_run_config(0, 1)).unwrap();
    let mut row = backflip::metrics::MetricsRow::default();
    row.ppo.global_step = 4096;
    row.ppo.learning_rate = 3e-4;
    row.episodes.success_rate = Some(0.25);
    row.comparisons = Some(12);
    row.wait_seconds = Some(0.5);
    run.append_metrics(&row).unwrap();
    run.append_metrics(&row).unwrap();
    assert_eq!(run.read_metrics().unwrap(), vec![row.clone(), row]);
    let header = std::fs::read_to_string(run.metrics_path()).unwrap();
    let header = header.lines().next().unwrap();
    for col in ["global_step", "success_rate", "comparisons", "wait_seconds", "landings_per_turn"] {
        assert!(header.split(',').any(|c| c == col), "{col} in {header}");
    }
}

/// With `terminate_when_unhealthy` a hop-forward episode ends at a fall: done, with no final
/// observation (PPO must not bootstrap past a failure), and the next observation starts a new
/// episode standing. Without it the same fall plays on to the time limit.
#[test]
fn a_fall_ends_the_episode_only_when_asked() {
    let scene = Arc::new(Scene::builtin("hopper-forward").unwrap());
    let ends_at = |terminate: bool| {
        let spec = EnvSpec { terminate_when_unhealthy: terminate, ..EnvSpec::reward(EnvReward::True) };
        let mut env = HopperEnv::new(scene.clone(), spec, 2, 5).unwrap();
        // Full hip torque throws the torso back: unhealthy within a second.
        for t in 0..scene.timing.episode_steps {
            let step = env.step(&[-1.0, 0.0, 0.0, -1.0, 0.0, 0.0]).unwrap();
            if step.done[0] {
                assert!(step.final_obs[0].is_none() || t + 1 == scene.timing.episode_steps);
                return (t + 1, step.final_obs[0].is_some(), step.obs[0]);
            }
        }
        (usize::MAX, false, 0.0)
    };
    let (t, bootstrapped, z) = ends_at(true);
    assert!(t < 200, "ended at step {t}");
    assert!(!bootstrapped, "a fall must not be bootstrapped");
    assert!((z - 1.25).abs() < 0.02, "next episode starts standing, z {z}");
    let (t, bootstrapped, _) = ends_at(false);
    assert_eq!(t, scene.timing.episode_steps);
    assert!(bootstrapped, "the time limit is bootstrapped");
}

/// The hopper gets each action clamped to [-1, 1]; its rewards and clips take the action it
/// got, so a policy's number beyond the limit is worth no more than the limit (the learned
/// reward reads the clips' actions and the same rows as these).
#[test]
fn rewards_and_clips_take_the_action_applied() {
    use backflip::clip::{ClipIds, ClipRecorder};
    let scene = Arc::new(Scene::builtin("hopper-forward").unwrap());
    let play = |action: [f32; 3]| {
        let clips = ClipRecorder::new(1, 20, &scene, ClipIds::PerEnv("a".into()), false);
        let mut env = HopperEnv::new(scene.clone(), EnvSpec { clips: Some(clips), ..EnvSpec::reward(EnvReward::True) }, 1, 3).unwrap();
        let rewards: Vec<f32> = (0..40).map(|_| env.step(&action).unwrap().rewards[0]).collect();
        (rewards, env.take_clips())
    };
    let (beyond, beyond_clips) = play([5.0, -7.0, 0.3]);
    let (limit, limit_clips) = play([1.0, -1.0, 0.3]);
    assert_eq!(beyond, limit, "the control cost is of the applied action");
    assert!(!beyond_clips.is_empty());
    for (a, b) in beyond_clips.iter().zip(&limit_clips) {
        assert!(a.steps.iter().all(|s| s.action == [1.0, -1.0, 0.3]), "a clip records the applied action");
        assert_eq!(a.steps, b.steps);
    }
}
