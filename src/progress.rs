//! Progress of a long run: a bar on a terminal, and where stderr is not a terminal (a log
//! file) one line every 30 seconds, so that a headless run is never silent for long.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Seconds between progress lines when stderr is not a terminal.
pub const LINE_EVERY: Duration = Duration::from_secs(30);

pub struct Progress {
    bar: ProgressBar,
    /// Print lines (stderr is not a terminal).
    lines: bool,
    label: String,
    total: u64,
    last: (Instant, u64),
    message: String,
}

impl Progress {
    /// Reports `total` env steps from `position`; `report` false is silent (tests).
    pub fn new(report: bool, label: &str, total: u64, position: u64) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = if report && terminal {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {human_pos}/{human_len} steps, {per_sec} | {msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_position(position);
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress { bar, lines: report && !terminal, label: label.to_owned(), total, last: (Instant::now(), position), message: String::new() }
    }

    /// What the run is doing now, shown beside the steps.
    pub fn set_message(&mut self, message: String) {
        self.bar.set_message(message.clone());
        self.message = message;
    }

    /// The run is at `position` env steps; a line is printed if one is due.
    pub fn set_position(&mut self, position: u64) {
        self.bar.set_position(position);
        let (at, from) = self.last;
        if self.lines && at.elapsed() >= LINE_EVERY {
            let rate = (position.saturating_sub(from)) as f64 / at.elapsed().as_secs_f64();
            let share = 100.0 * position as f64 / self.total.max(1) as f64;
            eprintln!("{}: {position}/{} env steps ({share:.0}%), {rate:.0} steps/s | {}", self.label, self.total, self.message);
            self.last = (Instant::now(), position);
        }
    }

    pub fn finish(&self) {
        self.bar.finish();
    }
}
