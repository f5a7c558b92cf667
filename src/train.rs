//! `backflip train` on a known per-step reward: PPO, metrics, checkpoints, plots, Ctrl-C.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use crate::hopper_env::{EpisodeStats, HopperEnv};
use crate::ppo::Ppo;
use crate::run::{MetricsRow, RunConfig, RunDir};
use crate::scene::TaskKind;

/// Set by the Ctrl-C handler; the loop saves and stops at the end of the iteration.
pub static STOP: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler once.
pub fn install_ctrlc() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst));
    });
}

pub struct TrainOptions {
    /// Draw a progress bar (off in tests).
    pub progress: bool,
}

/// Trains a new run (`resume == false`) or continues one, until `config.total_steps`.
pub fn train(path: PathBuf, config: Option<RunConfig>, opts: &TrainOptions) -> anyhow::Result<RunDir> {
    let (run, config, mut ppo) = match config {
        Some(config) => {
            crate::hopper_env::check_reward(&config.scene, config.reward)?;
            let run = RunDir::create(&path, &config)?;
            let device = config.device.device()?;
            let ppo = Ppo::new(config.ppo.clone(), config.scene.obs_dim(), config.scene.action_dim(), &device, config.seed);
            (run, config, ppo)
        }
        None => {
            let (run, config) = RunDir::open(&path)?;
            let device = config.device.device()?;
            let ppo = if run.has_checkpoint() {
                run.load_checkpoint(&device, config.seed)?
            } else {
                Ppo::new(config.ppo.clone(), config.scene.obs_dim(), config.scene.action_dim(), &device, config.seed)
            };
            (run, config, ppo)
        }
    };
    let scene = Arc::new(config.scene.clone());
    // A resumed run starts fresh episodes, seeded by where it resumes.
    let env_seed = config.seed.wrapping_add(ppo.iteration.wrapping_mul(0x9E37_79B9));
    let mut env = HopperEnv::new(scene, config.reward, config.ppo.num_envs, env_seed)?;
    let batch = config.ppo.batch_size() as u64;
    let total_iterations = config.total_steps.div_ceil(batch);
    let mut history = run.read_metrics()?;
    let wall_offset = history.last().map(|r| r.wall_seconds).unwrap_or(0.0);
    let bar = progress_bar(opts.progress, config.total_steps, ppo.global_step);
    let started = Instant::now();
    while ppo.iteration < total_iterations && !STOP.load(Ordering::SeqCst) {
        let stats = ppo.iterate(&mut env, total_iterations)?;
        let episodes = env.drain_finished();
        let seconds = stats.rollout_seconds + stats.update_seconds;
        let row = metrics_row(&stats, &episodes, wall_offset + started.elapsed().as_secs_f64(), batch as f64 / seconds);
        run.append_metrics(&row)?;
        bar.set_position(ppo.global_step);
        bar.set_message(describe(&row, config.scene.task));
        history.push(row);
        if ppo.iteration % config.checkpoint_every == 0 {
            run.save_checkpoint(&ppo)?;
            crate::plot::learning_curve(&run.path.join("plots/learning.png"), &history, config.scene.task)?;
        }
    }
    run.save_checkpoint(&ppo)?;
    crate::plot::learning_curve(&run.path.join("plots/learning.png"), &history, config.scene.task)?;
    bar.finish();
    if STOP.load(Ordering::SeqCst) {
        eprintln!("stopped at {} env steps; continue with --resume {}", ppo.global_step, run.path.display());
    }
    Ok(run)
}

fn progress_bar(visible: bool, total: u64, position: u64) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {human_pos}/{human_len} steps, {per_sec} | {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_position(position);
    bar
}

fn describe(row: &MetricsRow, task: TaskKind) -> String {
    let f = |v: Option<f32>| v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into());
    match task {
        TaskKind::Backflip => format!(
            "return {} success {} flips/ep {}",
            f(row.episodic_return),
            f(row.success_rate),
            f(row.backflips_per_episode)
        ),
        TaskKind::HopForward => format!("return {} true return {}", f(row.episodic_return), f(row.true_return)),
    }
}

fn mean(v: impl Iterator<Item = f32>) -> Option<f32> {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| s / n as f32)
}

pub fn metrics_row(stats: &crate::ppo::IterationStats, eps: &[EpisodeStats], wall: f64, sps: f64) -> MetricsRow {
    MetricsRow {
        iteration: stats.iteration,
        global_step: stats.global_step,
        wall_seconds: wall,
        steps_per_sec: sps,
        episodes: eps.len(),
        episodic_return: mean(eps.iter().map(|e| e.train_return)),
        true_return: mean(eps.iter().filter_map(|e| e.true_return)),
        backflips_per_episode: mean(eps.iter().map(|e| e.clean_flips as f32)),
        success_rate: mean(eps.iter().map(|e| if e.clean_flips > 0 { 1.0 } else { 0.0 })),
        judge_score: mean(eps.iter().map(|e| e.judge_score)),
        learning_rate: stats.learning_rate,
        policy_loss: stats.policy_loss,
        value_loss: stats.value_loss,
        entropy: stats.entropy,
        approx_kl: stats.approx_kl,
        clipfrac: stats.clipfrac,
        explained_variance: stats.explained_variance,
        update_fraction: stats.update_seconds / (stats.rollout_seconds + stats.update_seconds),
    }
}
