//! metrics.csv: one named record per PPO iteration, written and read by column name, so that
//! adding a metric is adding a field, and files written before it still read (its column is
//! empty there).

use std::fs::OpenOptions;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::episode::EpisodeSummary;
use crate::ppo::IterationStats;

/// One PPO iteration's numbers. Episode figures are over the episodes that ended in this
/// iteration (empty when none did).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default)]
pub struct MetricsRow {
    /// PPO's own figures (CleanRL's names; see `IterationStats`).
    #[serde(flatten)]
    pub ppo: IterationStats,
    /// Seconds since the run started, across resumes.
    pub wall_seconds: f64,
    /// Environment steps per second of this iteration, rollout and update together.
    pub steps_per_sec: f64,
    #[serde(flatten)]
    pub episodes: EpisodeSummary,
    /// Comparisons answered so far (learning from preferences).
    pub comparisons: Option<usize>,
    /// The reward model's agreement with held-out answers, and its held-out loss.
    pub reward_val_accuracy: Option<f32>,
    pub reward_val_loss: Option<f32>,
    /// Held-out comparisons (strict answers) behind that accuracy.
    pub reward_val_pairs: Option<usize>,
    /// Reward-training rounds PPO has trained on so far...
    pub reward_rounds: Option<u64>,
    /// ...and the seconds the latest of them took to train.
    pub reward_round_seconds: Option<f64>,
    /// Seconds this iteration waited for answers or a reward round (a scripted labeler).
    pub wait_seconds: Option<f64>,
    /// Clips asked about since the previous row (the first row after the initial comparisons
    /// counts them too), and those among them that show the task's success within the clip
    /// (`Task::clip_shows_success`: a clean flip; healthy throughout for hop forward)...
    pub queried_clips: Option<u64>,
    pub queried_successes: Option<u64>,
    /// ...and the selector's pool of candidates at its latest selection since the previous row
    /// (empty without one): whether the queries ask about successes as often as the policy
    /// shows them (docs/notebook/2026-12-06-queries.md).
    pub query_pool_clips: Option<u64>,
    pub query_pool_successes: Option<u64>,
}

/// Columns whose values depend on the machine's speed, not on the run's seed and settings.
pub const WALL_CLOCK_COLUMNS: [&str; 6] =
    ["wall_seconds", "steps_per_sec", "rollout_seconds", "update_seconds", "wait_seconds", "reward_round_seconds"];

fn cells(row: &MetricsRow) -> Map<String, Value> {
    match serde_json::to_value(row).expect("a metrics row always serialises") {
        Value::Object(map) => map,
        _ => unreachable!("a struct serialises to an object"),
    }
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A cell read back: empty is missing, integers stay integers.
fn cell_value(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else if let Ok(i) = text.parse::<u64>() {
        Value::from(i)
    } else if let Ok(i) = text.parse::<i64>() {
        Value::from(i)
    } else if let Ok(x) = text.parse::<f64>() {
        serde_json::Number::from_f64(x).map(Value::Number).unwrap_or(Value::Null)
    } else {
        Value::String(text.to_owned())
    }
}

/// Appends one row; a new file gets the header first. A file that exists keeps its own
/// header: the row's values go under its columns (an older run's file stays aligned).
pub fn append(path: &Path, row: &MetricsRow) -> anyhow::Result<()> {
    let map = cells(row);
    let header: Vec<String> = if path.exists() {
        let mut reader = csv::Reader::from_path(path).with_context(|| format!("{}: cannot read", path.display()))?;
        reader.headers().with_context(|| format!("{}: unreadable header", path.display()))?.iter().map(str::to_owned).collect()
    } else {
        Vec::new()
    };
    let file = OpenOptions::new().create(true).append(true).open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut writer = csv::Writer::from_writer(file);
    let header = if header.is_empty() {
        let names: Vec<String> = map.keys().cloned().collect();
        writer.write_record(&names)?;
        names
    } else {
        header
    };
    writer.write_record(header.iter().map(|h| map.get(h).map(cell_text).unwrap_or_default()))?;
    writer.flush().with_context(|| format!("{}: cannot append", path.display()))?;
    Ok(())
}

/// Every row, by column name; a malformed line is an error naming the file and line.
pub fn read(path: &Path) -> anyhow::Result<Vec<MetricsRow>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let header: Vec<String> = reader.headers().with_context(|| format!("{}: unreadable header", path.display()))?.iter().map(str::to_owned).collect();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.with_context(|| format!("{}:{line}: malformed row", path.display()))?;
        let map: Map<String, Value> = header.iter().cloned().zip(record.iter().map(cell_value)).collect();
        let row = serde_json::from_value(Value::Object(map)).with_context(|| format!("{}:{line}: malformed row", path.display()))?;
        rows.push(row);
    }
    Ok(rows)
}

impl MetricsRow {
    /// The row of one PPO iteration and the episodes that ended in it.
    pub fn new(stats: IterationStats, batch: usize, episodes: EpisodeSummary, wall_seconds: f64) -> MetricsRow {
        let seconds = stats.rollout_seconds + stats.update_seconds;
        MetricsRow {
            steps_per_sec: if seconds > 0.0 { batch as f64 / seconds } else { 0.0 },
            ppo: stats,
            wall_seconds,
            episodes,
            ..Default::default()
        }
    }
}
