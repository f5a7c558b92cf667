//! Who labelled a run, and how (`backflip labelers RUN`): per labeler, answers in force,
//! median seconds per answer, shares of "equal" and "can't tell", undos, and agreement with
//! the scripted judge (a rational teacher on the task's score) on the same pairs.

use serde::Serialize;

use super::answer::{Answer, Who};
use super::store::{ComparisonStore, StoreLine};
use super::pg::PgLink;
use super::stages::Backend;
use crate::clip::Clip;
use crate::scene::Scene;
use crate::task::Task;

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct LabelerReport {
    pub labeler: String,
    /// Answers in force (withdrawn ones not counted).
    pub answers: usize,
    pub median_seconds: Option<f64>,
    pub equal_share: f32,
    pub cant_tell_share: f32,
    /// Answers this labeler withdrew.
    pub undos: usize,
    /// Share of its strict answers (left or right) that the judge gives the same way, over
    /// the pairs the judge does not score equal...
    pub judge_agreement: Option<f32>,
    /// ...and how many pairs that is.
    pub judged: usize,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    (n > 0).then(|| if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// The report of every labeler of a run, in order of first answer. Clips that cannot be read
/// leave their pairs out of the agreement.
pub fn labelers(source: &Backend, scene: &Scene) -> anyhow::Result<Vec<LabelerReport>> {
    type Load = Box<dyn FnMut(&str) -> Option<Clip>>;
    let (lines, corrupt, mut load): (_, _, Load) = match source {
        Backend::Folder { store, clips } => {
            let (lines, corrupt) = ComparisonStore::read_lines(store)?;
            let clips = clips.clone();
            (lines, corrupt, Box::new(move |id| clips.load(id).ok()))
        }
        Backend::Postgres(target) => {
            let mut link = PgLink::connect(target)?;
            let (lines, corrupt) = link.lines()?;
            (lines, corrupt, Box::new(move |id| link.load_clip(id).ok()))
        }
    };
    for c in &corrupt {
        eprintln!("warning: comparison store line {}: skipped: {}", c.line, c.reason);
    }
    let (_, in_force) = ComparisonStore::in_force(&lines);
    let task = Task::for_scene(scene);
    let mut score = |id: &str| load(id).map(|c| task.judge.score(&c.infos()));
    let mut order: Vec<Who> = Vec::new();
    for line in &lines {
        if let StoreLine::Comparison(c) = line
            && !order.contains(&c.labeler)
        {
            order.push(c.labeler.clone());
        }
    }
    let mut reports = Vec::new();
    for who in order {
        let mine: Vec<_> = in_force.iter().filter(|c| c.labeler == who).collect();
        let ids: Vec<u64> = lines.iter().filter_map(|l| if let StoreLine::Comparison(c) = l && c.labeler == who { Some(c.id) } else { None }).collect();
        let undos = lines.iter().filter(|l| matches!(l, StoreLine::Withdrawal { id, .. } if ids.contains(id))).count();
        let n = mine.len().max(1) as f32;
        let (mut agree, mut judged) = (0usize, 0usize);
        for c in &mine {
            if !matches!(c.answer, Answer::Left | Answer::Right) {
                continue; // no clip to load for an answer that compares nothing
            }
            if let (Some(l), Some(r)) = (score(&c.left), score(&c.right))
                && let Some(agrees) = c.answer.agrees_with_scores(l, r)
            {
                judged += 1;
                agree += usize::from(agrees);
            }
        }
        reports.push(LabelerReport {
            labeler: who.label(),
            answers: mine.len(),
            median_seconds: median(mine.iter().map(|c| c.response_ms as f64 / 1000.0).collect()),
            equal_share: mine.iter().filter(|c| c.answer == Answer::Equal).count() as f32 / n,
            cant_tell_share: mine.iter().filter(|c| c.answer == Answer::CantTell).count() as f32 / n,
            undos,
            judge_agreement: (judged > 0).then(|| agree as f32 / judged as f32),
            judged,
        });
    }
    Ok(reports)
}

/// A markdown table of the reports.
pub fn table(reports: &[LabelerReport]) -> String {
    let mut s = String::from(
        "| labeler | answers | median s / answer | equal | can't tell | undos | agreement with the judge |\n|---|---|---|---|---|---|---|\n",
    );
    for r in reports {
        let secs = r.median_seconds.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
        let agree = r.judge_agreement.map(|a| format!("{:.0}% of {}", 100.0 * a, r.judged)).unwrap_or_else(|| "-".into());
        s += &format!(
            "| {} | {} | {} | {:.0}% | {:.0}% | {} | {} |\n",
            r.labeler,
            r.answers,
            secs,
            100.0 * r.equal_share,
            100.0 * r.cant_tell_share,
            r.undos,
            agree
        );
    }
    if reports.is_empty() {
        s += "| (no answers yet) | | | | | | |\n";
    }
    s
}
