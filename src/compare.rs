//! `backflip compare`: runs side by side, judged by the same evaluation.

use std::path::{Path, PathBuf};

use anyhow::Context;
use plotters::prelude::*;

use crate::eval::EvalReport;
use crate::metrics::MetricsRow;
use crate::run::RunDir;
use crate::scene::TaskKind;

pub struct RunSummary {
    pub name: String,
    pub reward: String,
    pub eval: EvalReport,
    pub env_steps: u64,
    pub comparisons: Option<usize>,
    pub wall_seconds: f64,
    pub history: Vec<MetricsRow>,
    pub task: TaskKind,
}

/// Reads a run's configuration, metrics and eval.json (run `backflip eval` first).
pub fn summarize(path: &Path) -> anyhow::Result<RunSummary> {
    let (run, config) = RunDir::open(path)?;
    let eval_path = run.path.join("eval.json");
    anyhow::ensure!(eval_path.exists(), "{}: no evaluation; run `backflip eval {}` first", eval_path.display(), path.display());
    let eval = EvalReport::load(&eval_path)?;
    let history = run.read_metrics()?;
    let last = history.last();
    Ok(RunSummary {
        name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string()),
        reward: match &config.prefs {
            Some(p) => format!("learned ({:?} teacher)", p.teacher.kind).to_lowercase(),
            None => format!("{:?}", config.reward).to_lowercase(),
        },
        env_steps: last.map(|r| r.ppo.global_step).unwrap_or(0),
        comparisons: last.and_then(|r| r.comparisons),
        wall_seconds: last.map(|r| r.wall_seconds).unwrap_or(0.0),
        eval,
        history,
        task: config.scene.task,
    })
}

pub fn table(runs: &[RunSummary]) -> String {
    let mut s = String::from(
        "| run | reward | success rate | backflips / episode | judge score | true return | env steps | comparisons | wall time |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in runs {
        let f = |v: Option<f32>, digits: usize| v.map(|x| format!("{x:.digits$}")).unwrap_or_else(|| "n/a".into());
        let m = &r.eval.summary;
        let c = r.comparisons.map(|c| c.to_string()).unwrap_or_else(|| "-".into());
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.0} s |\n",
            r.name,
            r.reward,
            f(m.success_rate, 2),
            f(m.backflips_per_episode, 2),
            f(m.judge_score, 3),
            f(m.true_return, 1),
            r.env_steps,
            c,
            r.wall_seconds
        );
    }
    s
}

/// One plot of the task metric (success rate, or true return) against env steps, a line a run.
pub fn plot(path: &PathBuf, runs: &[RunSummary]) -> anyhow::Result<()> {
    crate::plot::register_font();
    let task = runs.first().map(|r| r.task).unwrap_or(TaskKind::Backflip);
    let get = |m: &MetricsRow| match task {
        TaskKind::Backflip => m.episodes.success_rate,
        TaskKind::HopForward => m.episodes.true_return,
    };
    let series: Vec<Vec<(f64, f64)>> =
        runs.iter().map(|r| r.history.iter().filter_map(|m| get(m).map(|v| (m.ppo.global_step as f64, v as f64))).collect()).collect();
    let x_max = series.iter().flatten().map(|p| p.0).fold(1.0, f64::max);
    let (lo, hi) = series.iter().flatten().fold((0.0f64, 1e-3f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let root = BitMapBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let caption = match task {
        TaskKind::Backflip => "success rate (episodes with a clean backflip)",
        TaskKind::HopForward => "true return per episode",
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 22))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max, lo..hi * 1.05)?;
    chart.configure_mesh().x_desc("environment steps").draw()?;
    for (i, (r, points)) in runs.iter().zip(series).enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart.draw_series(LineSeries::new(points, color))?.label(r.name.clone()).legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 20, y)], color)
        });
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present().with_context(|| format!("{}: cannot write plot", path.display()))?;
    Ok(())
}
