//! `backflip experiment`: the comparison the project exists for, as one command. N seeds of
//! the main job (the reward learned from a scripted teacher's comparisons) and N of the
//! hand-written baseline, at the same env steps, each evaluated with the deterministic policy
//! at its snapshots and at the end; one table (per seed, and median, min and max per arm) and
//! one plot of success against env steps. Every run is deterministic (src/prefs/driver.rs), so an
//! interrupted experiment resumes where it stopped and gives what it would have given.
//!
//! ```text
//! DIR/experiment.json   seeds, episodes, eval_every and each arm's run configuration
//! DIR/ARM-sSEED/        one run folder each (eval.json, eval-STEP.json beside metrics.csv)
//! DIR/results.md        the table
//! DIR/results.json      the same figures, for scripts
//! DIR/success.png       eval success against env steps, median and range over seeds
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::eval::EvalReport;
use crate::run::{RunConfig, RunDir};

/// One arm: a run configuration, trained once per seed.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Arm {
    pub name: String,
    /// The configuration of every run of the arm; its `seed` is replaced by each seed.
    pub run: RunConfig,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ExperimentConfig {
    pub seeds: Vec<u64>,
    /// Episodes of each evaluation.
    pub episodes: usize,
    /// Env steps between the evaluated snapshots (the plot's points).
    pub eval_every: u64,
    pub arms: Vec<Arm>,
}

impl ExperimentConfig {
    pub fn validate(&self) -> anyhow::Result<()> {
        use crate::settings::check::at_least;
        anyhow::ensure!(!self.seeds.is_empty(), "seeds: give at least one");
        let mut seeds = self.seeds.clone();
        seeds.sort_unstable();
        seeds.dedup();
        anyhow::ensure!(seeds.len() == self.seeds.len(), "seeds: each seed once, got {:?}", self.seeds);
        at_least("episodes", self.episodes as u64, 1)?;
        at_least("eval_every", self.eval_every, 1)?;
        anyhow::ensure!(!self.arms.is_empty(), "an experiment needs at least one arm");
        for arm in &self.arms {
            arm.run.validate().with_context(|| format!("arm '{}'", arm.name))?;
        }
        Ok(())
    }

    /// Every run of the experiment: (arm, seed, folder name), seed by seed.
    fn runs(&self) -> Vec<(usize, u64, String)> {
        self.seeds
            .iter()
            .flat_map(|&seed| self.arms.iter().enumerate().map(move |(a, arm)| (a, seed, format!("{}-s{seed}", arm.name))))
            .collect()
    }
}

/// An experiment folder.
pub struct Experiment {
    pub path: PathBuf,
    pub config: ExperimentConfig,
}

impl Experiment {
    /// Creates a new experiment folder (refused where one exists).
    pub fn create(path: &Path, mut config: ExperimentConfig) -> anyhow::Result<Experiment> {
        let file = path.join("experiment.json");
        anyhow::ensure!(!file.exists(), "{}: an experiment already exists here; continue it with --resume {0}", path.display());
        for arm in &mut config.arms {
            // Snapshots where the plot has its points.
            arm.run.snapshot_every = config.eval_every;
        }
        config.validate()?;
        std::fs::create_dir_all(path).with_context(|| format!("{}: cannot create", path.display()))?;
        crate::fsutil::write_atomic(&file, serde_json::to_string_pretty(&config)?.as_bytes())
            .with_context(|| format!("{}: cannot write", file.display()))?;
        Ok(Experiment { path: path.to_owned(), config })
    }

    pub fn open(path: &Path) -> anyhow::Result<Experiment> {
        let file = path.join("experiment.json");
        let text = std::fs::read_to_string(&file).with_context(|| format!("{}: not an experiment folder", path.display()))?;
        let config: ExperimentConfig = serde_json::from_str(&text).with_context(|| format!("{}: malformed", file.display()))?;
        config.validate().with_context(|| format!("{}: invalid", file.display()))?;
        Ok(Experiment { path: path.to_owned(), config })
    }

    /// Trains and evaluates every run not yet done, `jobs` at a time, then writes the table
    /// and the plot. Returns false when stopped by Ctrl-C (then resume it later).
    pub fn run(&self, jobs: usize) -> anyhow::Result<bool> {
        let runs = self.config.runs();
        let next = AtomicUsize::new(0);
        let results: Vec<anyhow::Result<()>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..jobs.clamp(1, runs.len()))
                .map(|_| {
                    scope.spawn(|| -> anyhow::Result<()> {
                        loop {
                            let k = next.fetch_add(1, Ordering::SeqCst);
                            if k >= runs.len() || crate::stop::stopped() {
                                return Ok(());
                            }
                            let (arm, seed, name) = &runs[k];
                            eprintln!("[{}/{}] {name}", k + 1, runs.len());
                            self.run_one(&self.config.arms[*arm], *seed, &self.path.join(name), jobs <= 1)
                                .with_context(|| format!("run {name}"))?;
                        }
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a worker panicked")))).collect()
        });
        for r in results {
            r?;
        }
        if crate::stop::stopped() {
            return Ok(false);
        }
        let rows = self.collect()?;
        let table = table(&rows);
        let md = self.path.join("results.md");
        crate::fsutil::write_atomic(&md, table.as_bytes()).with_context(|| format!("{}: cannot write", md.display()))?;
        let json = self.path.join("results.json");
        crate::fsutil::write_atomic(&json, serde_json::to_string_pretty(&rows)?.as_bytes())
            .with_context(|| format!("{}: cannot write", json.display()))?;
        plot(&self.path.join("success.png"), &rows)?;
        Ok(true)
    }

    /// Trains one run to its end (resuming it where it stopped) and evaluates it.
    /// With `progress`, the run reports it (several runs at once only say when each starts).
    fn run_one(&self, arm: &Arm, seed: u64, path: &Path, progress: bool) -> anyhow::Result<()> {
        let opts = || crate::train::TrainOptions { progress, human: None };
        if !path.join("run.json").exists() {
            let mut config = arm.run.clone();
            config.seed = seed;
            crate::train::train(path.to_owned(), crate::train::Start::New(config), opts())?;
        } else if let (run, config) = RunDir::open(path)?
            && run.trained_steps()? < config.total_steps
        {
            crate::train::train(path.to_owned(), crate::train::Start::Resume { steps: None }, opts())?;
        }
        if crate::stop::stopped() {
            return Ok(());
        }
        let (run, config) = RunDir::open(path)?;
        let episodes = self.config.episodes;
        let scene = Arc::new(config.scene.clone());
        let device = config.device.device()?;
        for step in run.snapshots() {
            let file = run.path.join(format!("eval-{step}.json"));
            if !evaluated(&file, episodes) {
                let (_, ppo) = run.load_snapshot(step, &device, config.seed)?;
                crate::eval::evaluate(&ppo, scene.clone(), episodes, config.seed, false)?.0.save(&file)?;
            }
        }
        let file = run.path.join("eval.json");
        if !evaluated(&file, episodes) {
            let ppo = run.load_checkpoint(&device, config.seed)?;
            crate::eval::evaluate(&ppo, scene, episodes, config.seed, false)?.0.save(&file)?;
        }
        Ok(())
    }

    /// Each run's final evaluation, its evaluations along the way, and its counts.
    fn collect(&self) -> anyhow::Result<Vec<RunResult>> {
        let mut rows = Vec::new();
        for (arm, seed, name) in self.config.runs() {
            let path = self.path.join(&name);
            let summary = crate::compare::summarize(&path)?;
            let mut curve = Vec::new();
            for step in RunDir::open(&path)?.0.snapshots() {
                curve.push(EvalReport::load(&path.join(format!("eval-{step}.json")))?);
            }
            curve.push(summary.eval.clone());
            rows.push(RunResult {
                arm: self.config.arms[arm].name.clone(),
                seed,
                eval: summary.eval,
                comparisons: summary.comparisons,
                wall_seconds: summary.wall_seconds,
                curve,
            });
        }
        Ok(rows)
    }
}

/// Whether `file` holds an evaluation of `episodes` episodes.
fn evaluated(file: &Path, episodes: usize) -> bool {
    EvalReport::load(file).is_ok_and(|e| e.summary.episodes == episodes)
}

/// One run's figures.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RunResult {
    pub arm: String,
    pub seed: u64,
    /// The final policy's evaluation.
    pub eval: EvalReport,
    pub comparisons: Option<usize>,
    pub wall_seconds: f64,
    /// Evaluations of the snapshots and the final policy, by env steps.
    pub curve: Vec<EvalReport>,
}

/// The table's columns: a name and how to read it from a run.
type Column = (&'static str, fn(&RunResult) -> Option<f64>, usize);

const COLUMNS: [Column; 7] = [
    ("success rate", |r| r.eval.summary.success_rate.map(f64::from), 2),
    ("clean flips / episode", |r| r.eval.summary.backflips_per_episode.map(f64::from), 2),
    ("clean landings / full backward turn", |r| r.eval.summary.landings_per_turn.map(f64::from), 2),
    ("judge score", |r| r.eval.summary.judge_score.map(f64::from), 3),
    ("comparisons", |r| r.comparisons.map(|c| c as f64), 0),
    ("env steps", |r| Some(r.eval.env_steps as f64), 0),
    ("wall time (min)", |r| Some(r.wall_seconds / 60.0), 1),
];

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// A statistic of an arm's seeds.
type Statistic = fn(Vec<f64>) -> Option<f64>;

/// A markdown table: one row per run, then median, min and max of each arm.
pub fn table(rows: &[RunResult]) -> String {
    let cell = |v: Option<f64>, digits: usize| v.map(|x| format!("{x:.digits$}")).unwrap_or_else(|| "-".into());
    let mut s = String::from("| arm | seed |");
    for (name, _, _) in COLUMNS {
        s += &format!(" {name} |");
    }
    s += "\n|---|---|";
    s += &"---|".repeat(COLUMNS.len());
    s += "\n";
    let mut arms: Vec<&str> = Vec::new();
    for r in rows {
        if !arms.contains(&r.arm.as_str()) {
            arms.push(&r.arm);
        }
        s += &format!("| {} | {} |", r.arm, r.seed);
        for (_, get, digits) in COLUMNS {
            s += &format!(" {} |", cell(get(r), digits));
        }
        s += "\n";
    }
    for arm in arms {
        let of_arm: Vec<&RunResult> = rows.iter().filter(|r| r.arm == arm).collect();
        let stats: [(&str, Statistic); 3] = [
            ("median", median),
            ("min", |v| v.into_iter().min_by(f64::total_cmp)),
            ("max", |v| v.into_iter().max_by(f64::total_cmp)),
        ];
        for (label, stat) in stats {
            s += &format!("| **{arm}** | {label} |");
            for (_, get, digits) in COLUMNS {
                s += &format!(" {} |", cell(stat(of_arm.iter().filter_map(|r| get(r)).collect()), digits));
            }
            s += "\n";
        }
    }
    s
}

/// Eval success against env steps: each arm's median over seeds as a line, its range as a band.
pub fn plot(path: &Path, rows: &[RunResult]) -> anyhow::Result<()> {
    crate::plot::register_font();
    let mut arms: Vec<&str> = Vec::new();
    for r in rows {
        if !arms.contains(&r.arm.as_str()) {
            arms.push(&r.arm);
        }
    }
    let x_max = rows.iter().flat_map(|r| r.curve.iter().map(|e| e.env_steps as f64)).fold(1.0, f64::max);
    let root = BitMapBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("eval success rate (deterministic policy): median and range over seeds", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..x_max, 0.0..1.0)?;
    chart.configure_mesh().x_desc("environment steps").y_desc("success rate").draw()?;
    for (i, arm) in arms.iter().enumerate() {
        let runs: Vec<&RunResult> = rows.iter().filter(|r| r.arm == *arm).collect();
        // The points every seed of the arm was evaluated at (runs of one arm share a schedule).
        let steps: Vec<u64> = runs[0].curve.iter().map(|e| e.env_steps).collect();
        let at = |step: u64| -> Vec<f64> {
            runs.iter()
                .filter_map(|r| r.curve.iter().find(|e| e.env_steps == step).and_then(|e| e.summary.success_rate).map(f64::from))
                .collect()
        };
        let (mut mid, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new());
        for &step in &steps {
            let v = at(step);
            let Some(m) = median(v.clone()) else { continue };
            let x = step as f64;
            mid.push((x, m));
            lo.push((x, v.iter().copied().fold(f64::MAX, f64::min)));
            hi.push((x, v.iter().copied().fold(f64::MIN, f64::max)));
        }
        let color = Palette99::pick(i).to_rgba();
        let band: Vec<(f64, f64)> = hi.iter().copied().chain(lo.iter().rev().copied()).collect();
        chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.2).filled())))?;
        chart
            .draw_series(LineSeries::new(mid, color.stroke_width(2)))?
            .label(format!("{arm} ({} seeds)", runs.len()))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present().with_context(|| format!("{}: cannot write plot", path.display()))?;
    Ok(())
}
