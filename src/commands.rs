//! What each command does: main.rs parses the command line (cli.rs) and calls `run`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::cli::*;
use crate::clip::ClipDir;
use crate::prefs::pg::{PgLink, PgTarget};
use crate::device::DeviceKind;
use crate::experiment::{Arm, Experiment, ExperimentConfig};
use crate::hopper_env::RewardKind;
use crate::ppo::PpoConfig;
use crate::rollout;
use crate::run::RunDir;
use crate::scene::Scene;
use crate::settings::{self, RewardSource, RunArgs};
use crate::train::Start;

/// Runs one parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Rollout { scene, policy, steps, seed, out } => {
            let scene = Arc::new(Scene::resolve(&scene)?);
            let clips = rollout::record(scene.clone(), policy, steps, seed)?;
            rollout::save(&out, &scene, &clips)?;
            crate::say!("saved {} clips to {}", clips.len(), out.join("clips").display());
        }
        Command::Train(args) => train(args)?,
        Command::Experiment(args) => experiment(args)?,
        Command::Eval { run, episodes, export, at_step } => {
            let (dir, config) = RunDir::open(&run)?;
            let device = config.device.device()?;
            let (ppo, file) = match at_step {
                None => (dir.load_checkpoint(&device, config.seed)?, "eval.json".to_string()),
                Some(step) => {
                    let (at, ppo) = dir.load_snapshot(step, &device, config.seed)?;
                    (ppo, format!("eval-{at}.json"))
                }
            };
            let scene = Arc::new(config.scene.clone());
            let (report, clips) = crate::eval::evaluate(&ppo, scene, episodes, config.seed, export.is_some())?;
            report.save(&dir.path.join(file))?;
            crate::output::write(format_args!("{}", report.table()))?;
            if let Some(out) = export {
                std::fs::create_dir_all(&out).with_context(|| format!("{}: cannot create", out.display()))?;
                for c in &clips {
                    let p = out.join(format!("{}.json", c.id));
                    std::fs::write(&p, c.to_json()).with_context(|| format!("{}: cannot write", p.display()))?;
                }
                // The judge the eval counted by (its foot-down rule is the scene's), beside the
                // episodes, so that a reader counts them by the same rule (scripts/turn_report.py).
                let p = out.join("judge.json");
                let judge = serde_json::to_string_pretty(&crate::task::BackflipJudge::for_scene(&config.scene))?;
                std::fs::write(&p, judge).with_context(|| format!("{}: cannot write", p.display()))?;
                crate::say!("exported {} episodes and their judge to {}", clips.len(), out.display());
                if let Some(reward) = dir.load_reward_model(at_step, &device)? {
                    let p = out.join("learned-reward.json");
                    let json = crate::eval::learned_rewards_json(&reward, &config.scene, &clips, "episodes")?;
                    std::fs::write(&p, json).with_context(|| format!("{}: cannot write", p.display()))?;
                    crate::say!("wrote the learned reward of every step (model version {}) to {}", reward.version, p.display());
                }
            }
        }
        Command::Label { run, store, run_name, name, scripted, answer_delay } => {
            let name = name.unwrap_or_else(crate::prefs::answer::default_labeler_name);
            match (run, store, run_name) {
                (Some(run), _, _) => label(run, &name)?,
                (None, Some(url), Some(run)) => label_remote(PgTarget { url, run }, &name, scripted.then_some(answer_delay.unwrap_or(0.0)))?,
                _ => anyhow::bail!("give a run folder, or --store URL --run NAME"),
            }
        }
        Command::Labelers { run } => {
            let (dir, config) = RunDir::open(&run)?;
            let reports = crate::prefs::report::labelers(&dir.pref_backend(config.prefs.as_ref()), &config.scene)?;
            crate::output::write(format_args!("{}", crate::prefs::report::table(&reports)))?;
        }
        Command::Compare { runs, plot } => {
            let summaries = runs.iter().map(|r| crate::compare::summarize(r)).collect::<anyhow::Result<Vec<_>>>()?;
            crate::output::write(format_args!("{}", crate::compare::table(&summaries)))?;
            crate::compare::plot(&plot, &summaries)?;
            crate::say!("plot: {}", plot.display());
        }
        Command::View { run, clip, screenshot, exit_after, fps } => view(run, clip, screenshot, exit_after, fps)?,
        Command::Clip { command: ClipCommand::Export { clip, dir, json: _ } } => {
            let clip = ClipDir::new(dir.join("clips")).resolve(&clip).with_context(|| format!("clip '{clip}'"))?;
            crate::say!("{}", clip.to_json());
        }
        Command::Clip { command: ClipCommand::Rewards { run, at_step, model } } => {
            let (dir, config) = RunDir::open(&run)?;
            let device = config.device.device()?;
            let reward = match model {
                Some(model) => crate::reward::RewardSnapshot::load(&model, &device)?
                    .with_context(|| format!("{}: no reward model there (no reward.json)", model.display()))?,
                None => {
                    let which = at_step.map_or_else(|| "its checkpoint".to_string(), |s| format!("a snapshot at or before step {s}"));
                    dir.load_reward_model(at_step, &device)?
                        .with_context(|| format!("{}: no reward model kept in {which} (a run on a known reward, or one made before reward models were kept)", run.display()))?
                }
            };
            let clips = ClipDir::new(dir.path.join("clips")).load_every()?;
            crate::output::write(format_args!("{}\n", crate::eval::learned_rewards_json(&reward, &config.scene, &clips, "clips")?))?;
        }
        Command::Reward { command: RewardCommand::Refit { run, comparisons, epochs, seed, pref_config, out } } => refit(run, comparisons, epochs, seed, pref_config, out)?,
        Command::Bench { command: BenchCommand::Sim { scene, steps, envs, json } } => {
            let scene = Arc::new(Scene::resolve(&scene)?);
            let b = crate::bench::bench_sim(scene, steps, envs)?;
            if json {
                crate::say!("{}", serde_json::to_string(&b)?);
            } else {
                crate::say!(
                    "{}: {:.0} steps/s on one thread, {:.0} steps/s with {} envs on {} threads ({:.2}x)",
                    b.scene,
                    b.steps_per_sec_single,
                    b.steps_per_sec_vec,
                    b.vec_envs,
                    b.threads,
                    b.steps_per_sec_vec / b.steps_per_sec_single
                );
            }
        }
        Command::Bench { command: BenchCommand::Reward { scene, device, comparisons, json } } => {
            let scene = Scene::resolve(&scene)?;
            for d in device.map(|d| vec![d]).unwrap_or_else(|| vec![DeviceKind::Flex, DeviceKind::Ndarray]) {
                let b = crate::bench::bench_reward(&scene, d, comparisons)?;
                if json {
                    crate::say!("{}", serde_json::to_string(&b)?);
                } else {
                    crate::say!("{}: one epoch on {} comparisons in {:.2} s", b.device, b.comparisons, b.epoch_seconds);
                }
            }
        }
        Command::Bench { command: BenchCommand::Agree { scene, device, iterations, envs, json } } => {
            anyhow::ensure!(iterations > 0, "--iterations must be at least 1");
            let scene = Arc::new(Scene::resolve(&scene)?);
            let mut config = PpoConfig::default();
            config.num_envs = envs.unwrap_or(config.num_envs);
            config.validate()?;
            let a = crate::bench::ppo_agreement(scene, device, config, iterations)?;
            if json {
                crate::say!("{}", serde_json::to_string(&a)?);
            } else {
                for r in &a.iterations {
                    crate::say!(
                        "iteration {}: mean actions differ by at most {:.2e}; policy loss {:.5} on {}, {:.5} on {}; value loss {:.4}, {:.4}",
                        r.iteration, r.max_action_diff, r.policy_loss[0], a.reference, r.policy_loss[1], a.device, r.value_loss[0], r.value_loss[1]
                    );
                }
            }
            let first = a.iterations[0].max_action_diff;
            anyhow::ensure!(a.agrees, "PPO on {} differs from {}: mean actions apart by {first:.2e} after one iteration (tolerance {:.0e})", a.device, a.reference, a.tolerance);
        }
        Command::Bench { command: BenchCommand::Ppo { scene, device, iterations, envs, activation, json } } => {
            let scene = Arc::new(Scene::resolve(&scene)?);
            let mut config = PpoConfig::default();
            config.num_envs = envs.unwrap_or(config.num_envs);
            config.activation = activation.unwrap_or(config.activation);
            let devices = match device {
                Some(d) => vec![d],
                None => vec![DeviceKind::Flex, DeviceKind::Ndarray],
            };
            for d in devices {
                let b = crate::bench::bench_ppo(scene.clone(), d, config.clone(), iterations)?;
                if json {
                    crate::say!("{}", serde_json::to_string(&b)?);
                } else {
                    crate::say!("{}: {:.0} env steps/s, {:.0}% of the time in updates", b.device, b.env_steps_per_sec, 100.0 * b.update_fraction);
                }
            }
        }
    }
    Ok(())
}

#[cfg(feature = "viewer")]
fn window_options(screenshot: Option<Vec<String>>, exit_after: Option<f32>, fps: bool) -> anyhow::Result<crate::viewer::WindowOptions> {
    let screenshot = match screenshot {
        Some(v) => Some((PathBuf::from(&v[0]), v[1].parse::<f32>().with_context(|| format!("--screenshot: '{}' is not a number of seconds", v[1]))?)),
        None => None,
    };
    Ok(crate::viewer::WindowOptions { screenshot, exit_after, print_fps: fps, watch: false })
}

#[cfg(not(feature = "viewer"))]
const NO_VIEWER: &str = "this binary was built without the viewer (cargo feature `viewer`)";

#[cfg(feature = "viewer")]
fn view(run: PathBuf, clip: Option<String>, screenshot: Option<Vec<String>>, exit_after: Option<f32>, fps: bool) -> anyhow::Result<()> {
    let (dir, config) = RunDir::open(&run)?;
    let (episode, flips) = match clip {
        Some(id) => {
            let clip = dir.clips().resolve(&id)?;
            let flips = crate::task::Task::for_scene(&config.scene).judge.evaluate(&clip.infos()).clean_flips;
            (clip, flips)
        }
        None => {
            let ppo = dir.load_checkpoint(&config.device.device()?, config.seed)?;
            let (report, clips) = crate::eval::evaluate(&ppo, Arc::new(config.scene.clone()), 1, config.seed, true)?;
            (clips.into_iter().next().context("no episode")?, report.summary.backflips_per_episode.unwrap_or(0.0) as usize)
        }
    };
    let (link, trainer) = crate::prefs::person::link("");
    let mut status = crate::train::run_status(&dir, &config)?;
    status.policy_episode = Some(Arc::new(episode));
    status.policy_flips = flips;
    let _ = trainer.status.send(status);
    let mut options = window_options(screenshot, exit_after, fps)?;
    options.watch = true;
    crate::viewer::run_window(config.scene, link, options);
    Ok(())
}

#[cfg(not(feature = "viewer"))]
fn view(_: PathBuf, _: Option<String>, _: Option<Vec<String>>, _: Option<f32>, _: bool) -> anyhow::Result<()> {
    anyhow::bail!(NO_VIEWER)
}

/// Runs `job` on a worker thread, with the person's end of the labeler link, while the
/// window owns the main thread; closing the window stops the job cleanly (training saves a
/// checkpoint). What every labelling window of the app shares.
#[cfg(feature = "viewer")]
fn with_window<T: Send + 'static>(
    scene: Scene,
    name: &str,
    job: impl FnOnce(crate::prefs::person::TrainerLink) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let (link, trainer) = crate::prefs::person::link(name);
    let worker = std::thread::spawn(move || job(trainer));
    crate::viewer::run_window(scene, link, window_options(None, None, false)?);
    crate::stop::request_stop();
    worker.join().map_err(|_| anyhow::anyhow!("the worker thread beside the window panicked"))?
}

#[cfg(not(feature = "viewer"))]
fn with_window<T: Send + 'static>(
    _: Scene,
    _: &str,
    _: impl FnOnce(crate::prefs::person::TrainerLink) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    anyhow::bail!(NO_VIEWER)
}

/// `backflip label RUN`: a person answers the run's waiting queries, without training.
fn label(run: PathBuf, name: &str) -> anyhow::Result<()> {
    let (dir, config) = RunDir::open(&run)?;
    // The first comparisons are about the explored policy, so none are asked before it is.
    let (trained, exploring) = (dir.trained_steps()?, config.prefs.as_ref().map_or(0, |p| p.explore_steps));
    anyhow::ensure!(
        trained >= exploring,
        "{}: still exploring ({trained} of its {exploring} env steps of exploration); its first comparisons come after: backflip train --resume {0}",
        run.display()
    );
    let answered = with_window(config.scene, name, move |trainer| crate::train::label(run, trainer))?;
    crate::say!("{answered} comparisons in the store");
    Ok(())
}

/// Labels a run kept in PostgreSQL, from any machine: in the window, or (`scripted`, with its
/// delay in seconds) with the run's scripted teacher, until its training is over.
fn label_remote(target: PgTarget, name: &str, scripted: Option<f64>) -> anyhow::Result<()> {
    crate::stop::install_ctrlc();
    let mut link = PgLink::connect(&target)?;
    let text = link.run_config()?.with_context(|| format!("{}: no run named '{}' there", crate::prefs::pg::redact(&target.url), target.run))?;
    let config: crate::run::RunConfig = serde_json::from_str(&text).with_context(|| format!("run '{}': malformed configuration in the store", target.run))?;
    let pc = config.prefs.clone().with_context(|| format!("run '{}' does not learn from preferences", target.run))?;
    let given = match scripted {
        Some(delay) => {
            crate::settings::check::within("--answer-delay", delay, 0.0, 3600.0, false)?;
            let seed = config.seed ^ crate::sim::episode_seed(0, 0, name.len() as u64);
            let labeler = crate::prefs::OracleLabeler::new(&pc.teacher, &config.scene, seed, delay, name);
            crate::prefs::pg::serve(&target, Box::new(labeler), None)?
        }
        None => with_window(config.scene, name, move |trainer| {
            let status = crate::prefs::person::TrainingStatus { budget: pc.comparisons, ..Default::default() };
            let _ = trainer.status.send(status);
            crate::prefs::pg::serve(&target, Box::new(trainer.labeler), Some(trainer.withdraw))
        })?,
    };
    crate::say!("{given} answers given");
    Ok(())
}

/// Trains beside the window (a person labels).
fn train_with_window(
    scene: Scene,
    name: &str,
    job: impl FnOnce(crate::train::TrainOptions) -> anyhow::Result<RunDir> + Send + 'static,
) -> anyhow::Result<RunDir> {
    with_window(scene, name, move |trainer| job(crate::train::TrainOptions { progress: true, human: Some(trainer) }))
}

fn train(args: TrainArgs) -> anyhow::Result<()> {
    crate::stop::install_ctrlc();
    let human = args.labeler == Some(LabelerKind::Human);
    let name = args.name.clone().unwrap_or_else(crate::prefs::answer::default_labeler_name);
    let opts = crate::train::TrainOptions { progress: true, human: None };
    let run = if let Some(path) = args.resume {
        let start = Start::Resume { steps: args.run.steps };
        if human {
            let (_, config) = RunDir::open(&path)?;
            anyhow::ensure!(config.prefs.is_some(), "{}: this run does not learn from preferences", path.display());
            train_with_window(config.scene, &name, move |opts| crate::train::train(path, start, opts))?
        } else {
            crate::train::train(path, start, opts)?
        }
    } else {
        let source = if args.labeler.is_some() { RewardSource::Learned } else { RewardSource::Known(args.reward) };
        let mut config = settings::run_config(&args.run, &args.prefs, source, args.seed, args.terminate_when_unhealthy)?;
        let label = match args.labeler {
            Some(LabelerKind::Oracle) => "oracle".to_string(),
            Some(LabelerKind::Human) => "human".to_string(),
            Some(LabelerKind::Remote) => "remote".to_string(),
            None => format!("{:?}", args.reward),
        };
        if let Some(p) = config.prefs.as_mut() {
            p.scripted_labeler = args.labeler == Some(LabelerKind::Oracle);
            anyhow::ensure!(args.labeler != Some(LabelerKind::Remote) || p.store.is_some(), "--labeler remote needs --store postgres://...");
        }
        anyhow::ensure!(args.prefs.store.is_none() || config.prefs.is_some(), "--store is for runs that learn from preferences (--labeler)");
        let out = args.out.unwrap_or_else(|| settings::default_run_folder(&config.scene.name, &label, args.seed));
        settings::name_store(&mut config, &out);
        if human {
            let scene = config.scene.clone();
            train_with_window(scene, &name, move |opts| crate::train::train(out, Start::New(config), opts))?
        } else {
            crate::train::train(out, Start::New(config), opts)?
        }
    };
    crate::say!("run saved in {}", run.path.display());
    Ok(())
}

fn experiment(args: ExperimentArgs) -> anyhow::Result<()> {
    crate::stop::install_ctrlc();
    let experiment = match &args.resume {
        Some(path) => Experiment::open(path)?,
        None => {
            let learned = RunArgs { reward_weights: None, ..args.run.clone() };
            let learned = settings::run_config(&learned, &args.prefs, RewardSource::Learned, 0, false)?;
            let (baseline, name) = match learned.scene.task {
                crate::scene::TaskKind::Backflip => (RewardKind::Handwritten, "handwritten"),
                crate::scene::TaskKind::HopForward => (RewardKind::True, "true"),
            };
            let baseline = settings::run_config(&args.run, &args.prefs, RewardSource::Known(baseline), 0, false)?;
            let out = args.out.clone().unwrap_or_else(|| {
                let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
                PathBuf::from(format!("experiments/{}-{secs}", learned.scene.name))
            });
            let mut arms = Vec::new();
            if args.arms.contains(&ArmKind::Learned) {
                arms.push(Arm { name: "learned".into(), run: learned });
            }
            if args.arms.contains(&ArmKind::Baseline) {
                arms.push(Arm { name: name.into(), run: baseline });
            }
            let config = ExperimentConfig { seeds: args.seeds.clone(), episodes: args.episodes, eval_every: args.eval_every, arms };
            Experiment::create(&out, config)?
        }
    };
    if !experiment.run(args.jobs)? {
        eprintln!("stopped; continue with: backflip experiment --resume {}", experiment.path.display());
        return Ok(());
    }
    crate::output::write(format_args!("{}", std::fs::read_to_string(experiment.path.join("results.md"))?))?;
    crate::say!("plot: {}", experiment.path.join("success.png").display());
    Ok(())
}

/// `backflip reward refit`: a reward model fitted afresh on a run's first comparisons.
fn refit(run: PathBuf, comparisons: Option<usize>, epochs: Option<usize>, seed: Option<u64>, pref_config: Option<PathBuf>, out: PathBuf) -> anyhow::Result<()> {
    let (dir, config) = RunDir::open(&run)?;
    let prefs = config.prefs.as_ref().with_context(|| format!("{}: a run on a known reward has no comparisons to fit", run.display()))?;
    let prefs = match &pref_config {
        Some(p) => &settings::overlay_pref_file(prefs, p)?,
        None => prefs,
    };
    let store = dir.store_path();
    anyhow::ensure!(store.exists(), "{}: no comparison store (a run kept in PostgreSQL cannot be refitted yet)", store.display());
    let (lines, _) = crate::prefs::ComparisonStore::read_lines(&store)?;
    let (_, in_force) = crate::prefs::ComparisonStore::in_force(&lines);
    let n = comparisons.unwrap_or(in_force.len());
    anyhow::ensure!(n >= 1 && n <= in_force.len(), "--comparisons {n}: {} holds {} comparisons in force", store.display(), in_force.len());
    let epochs = epochs.unwrap_or(prefs.pretrain_epochs);
    anyhow::ensure!(epochs >= 1, "--epochs must be at least 1");
    anyhow::ensure!(!out.join("reward.json").exists(), "{}: holds a reward model already; choose another --out", out.display());
    std::fs::create_dir_all(&out).with_context(|| format!("{}: cannot create", out.display()))?;
    let clips = dir.clips();
    let device = config.device.device()?;
    let (model, stats) = crate::prefs::trainer::refit(&in_force[..n], |id| Ok(clips.load(id)?), prefs, &config.scene, &device, seed.unwrap_or(config.seed), epochs)?;
    model.save(&out)?;
    crate::say!(
        "fitted on {} comparisons ({} trained on, {} held out) for {epochs} epochs: held-out agreement {:.3}; saved in {}",
        n,
        stats.train_pairs,
        stats.val_pairs,
        stats.val_accuracy,
        out.display()
    );
    Ok(())
}
