//! The comparison store: runs/NAME/comparisons.jsonl, append-only, one JSON object a line.
//! An answer counts once its line is written and fsynced. At start, a corrupt line is reported
//! with its number and skipped; the file is never rewritten or truncated.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::answer::{Answer, Who};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Sequence number in the store, from 0.
    pub id: u64,
    pub left: String,
    pub right: String,
    pub answer: Answer,
    pub labeler: Who,
    /// Unix time of the answer, milliseconds.
    pub time_ms: u64,
    /// How long the labeler took to answer, milliseconds.
    pub response_ms: u64,
}

/// One line of the store: an answer, or the withdrawal of an earlier one (undo).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum StoreLine {
    Comparison(Comparison),
    Withdrawal { id: u64, time_ms: u64 },
}

pub struct ComparisonStore {
    path: PathBuf,
    file: File,
    /// Answers in force (withdrawn ones removed), in order.
    comparisons: Vec<Comparison>,
    next_id: u64,
}

/// A line that could not be read, with its number (from 1) and why.
#[derive(Clone, Debug, PartialEq)]
pub struct CorruptLine {
    pub line: usize,
    pub reason: String,
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl ComparisonStore {
    /// Opens (or creates) the store, reading every line. Corrupt lines are returned, not fatal.
    pub fn open(path: &Path) -> anyhow::Result<(ComparisonStore, Vec<CorruptLine>)> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .with_context(|| format!("{}: cannot open the comparison store", path.display()))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).with_context(|| format!("{}: cannot read", path.display()))?;
        let (lines, corrupt) = ComparisonStore::parse_lines(&bytes);
        let (next_id, comparisons) = ComparisonStore::in_force(&lines);
        // A crash mid-write can leave a last line without its newline: end it, so the next
        // answer starts on a line of its own (the torn line stays, reported as corrupt).
        if !bytes.is_empty() && bytes.last() != Some(&b'\n') {
            file.seek(SeekFrom::End(0))?;
            file.write_all(b"\n")?;
            file.sync_data()?;
        }
        Ok((ComparisonStore { path: path.to_owned(), file, comparisons, next_id }, corrupt))
    }

    /// Every line of a store's text that reads, and those that do not (with their numbers).
    pub fn parse_lines(bytes: &[u8]) -> (Vec<StoreLine>, Vec<CorruptLine>) {
        let text = String::from_utf8_lossy(bytes);
        let (mut lines, mut corrupt) = (Vec::new(), Vec::new());
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<StoreLine>(line) {
                Ok(l) => lines.push(l),
                Err(e) => corrupt.push(CorruptLine { line: i + 1, reason: e.to_string() }),
            }
        }
        (lines, corrupt)
    }

    /// Reads a store without opening it for writing (reports).
    pub fn read_lines(path: &Path) -> anyhow::Result<(Vec<StoreLine>, Vec<CorruptLine>)> {
        let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read the comparison store", path.display()))?;
        Ok(ComparisonStore::parse_lines(&bytes))
    }

    /// The next free id and the answers in force (withdrawn ones removed), in order.
    pub fn in_force(lines: &[StoreLine]) -> (u64, Vec<Comparison>) {
        let mut comparisons: Vec<Comparison> = Vec::new();
        let mut next_id = 0;
        for line in lines {
            match line {
                StoreLine::Comparison(c) => {
                    next_id = next_id.max(c.id + 1);
                    comparisons.push(c.clone());
                }
                StoreLine::Withdrawal { id, .. } => comparisons.retain(|c| c.id != *id),
            }
        }
        (next_id, comparisons)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Answers in force, oldest first.
    pub fn comparisons(&self) -> &[Comparison] {
        &self.comparisons
    }

    pub fn len(&self) -> usize {
        self.comparisons.len()
    }

    pub fn is_empty(&self) -> bool {
        self.comparisons.is_empty()
    }

    fn append(&mut self, line: &StoreLine) -> anyhow::Result<()> {
        let mut text = serde_json::to_string(line)?;
        text.push('\n');
        self.file
            .write_all(text.as_bytes())
            .and_then(|_| self.file.sync_data())
            .with_context(|| format!("{}: cannot append", self.path.display()))
    }

    /// Records an answer; it counts once this returns.
    pub fn record(&mut self, left: &str, right: &str, answer: Answer, labeler: Who, response_ms: u64) -> anyhow::Result<Comparison> {
        let c = Comparison {
            id: self.next_id,
            left: left.to_owned(),
            right: right.to_owned(),
            answer,
            labeler,
            time_ms: now_ms(),
            response_ms,
        };
        self.append(&StoreLine::Comparison(c.clone()))?;
        self.next_id += 1;
        self.comparisons.push(c.clone());
        Ok(c)
    }

    /// Withdraws the latest answer in force (undo): appends a withdrawal, deletes nothing.
    pub fn withdraw_last(&mut self) -> anyhow::Result<Option<Comparison>> {
        match self.comparisons.last().map(|c| c.id) {
            Some(id) => self.withdraw(id),
            None => Ok(None),
        }
    }

    /// Withdraws the answer with this id, if it is in force.
    pub fn withdraw(&mut self, id: u64) -> anyhow::Result<Option<Comparison>> {
        let Some(i) = self.comparisons.iter().position(|c| c.id == id) else { return Ok(None) };
        self.append(&StoreLine::Withdrawal { id, time_ms: now_ms() })?;
        Ok(Some(self.comparisons.remove(i)))
    }
}
