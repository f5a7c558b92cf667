//! Learning curves with plotters: return and the task's metric against environment steps.

use std::path::Path;

use anyhow::Context;
use plotters::prelude::*;

use crate::metrics::MetricsRow;
use crate::scene::TaskKind;

/// plotters draws text with ab_glyph from a font it is given: DejaVu Sans, embedded by the
/// `dejavu` crate, so that plotting needs no system font library.
pub fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| panic!("the embedded DejaVu font is valid"));
    });
}

/// Two panels: the training return, and the task's metric (success rate for the backflip,
/// true return for hop forward), both against environment steps.
pub fn learning_curve(path: &Path, rows: &[MetricsRow], task: TaskKind) -> anyhow::Result<()> {
    register_font();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    let metric: (&str, fn(&MetricsRow) -> Option<f32>) = match task {
        TaskKind::Backflip => ("success rate (episodes with a clean backflip)", |r| r.episodes.success_rate),
        TaskKind::HopForward => ("true return", |r| r.episodes.true_return),
    };
    let series = [("episode return (training reward)", (|r: &MetricsRow| r.episodes.episodic_return) as fn(&MetricsRow) -> Option<f32>), metric];
    let root = BitMapBackend::new(path, (1000, 700)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((2, 1));
    for (area, (name, get)) in panels.iter().zip(series) {
        let points: Vec<(f64, f64)> =
            rows.iter().filter_map(|r| get(r).map(|v| (r.ppo.global_step as f64, v as f64))).collect();
        let x_max = rows.last().map(|r| r.ppo.global_step as f64).unwrap_or(1.0).max(1.0);
        let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
        let (lo, hi) = if points.is_empty() { (0.0, 1.0) } else { (lo.min(0.0), hi.max(lo + 1e-3)) };
        let mut chart = ChartBuilder::on(area)
            .caption(name, ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, lo..hi + (hi - lo) * 0.05)?;
        chart.configure_mesh().x_desc("environment steps").draw()?;
        chart.draw_series(LineSeries::new(points, &BLUE))?;
    }
    root.present().with_context(|| format!("{}: cannot write plot", path.display()))?;
    Ok(())
}
