//! Helpers shared by the integration tests.
// Each test binary compiles this module and uses some of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::ops::Deref;
use std::path::{Path, PathBuf};

/// A test's scratch space under the system's temp folder, in a folder of its own with a unique
/// name: removed when the test ends, kept (its path printed) when the test fails, so the failure
/// can be read. Tests that ran at once, or a run killed before, do not meet each other's files.
pub struct Scratch {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl Scratch {
    /// An empty folder.
    pub fn new(name: &str) -> Scratch {
        let dir = tempfile::Builder::new().prefix(&format!("backflip-{name}-")).tempdir().expect("a scratch folder");
        let path = dir.path().to_path_buf();
        Scratch { dir: Some(dir), path }
    }

    /// A path named `name` that does not exist yet: for a command that creates its own folder
    /// (a run, an experiment) or a file.
    pub fn fresh(name: &str) -> Scratch {
        let mut scratch = Scratch::new(name);
        scratch.path = scratch.path.join(name);
        scratch
    }

    /// Like `fresh`, but the path takes the scratch folder's own unique name: for a run named in
    /// a PostgreSQL store, which outlives the tests, so that no two test runs share a name.
    pub fn unique(name: &str) -> Scratch {
        let mut scratch = Scratch::new(name);
        let own = scratch.path.file_name().expect("a named folder").to_owned();
        scratch.path = scratch.path.join(own);
        scratch
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(dir) = self.dir.take()
        {
            eprintln!("kept the failed test's scratch folder {}", dir.keep().display());
        }
    }
}

impl Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<OsStr> for Scratch {
    fn as_ref(&self) -> &OsStr {
        self.path.as_os_str()
    }
}

/// A run's metrics.csv: its header and its rows, split at commas (it quotes nothing).
pub fn metrics_table(run: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let mut rows = text.lines().map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>());
    let header = rows.next().unwrap();
    (header, rows.collect())
}

/// A run's metrics.csv without its wall-clock columns: what two runs of one seed share.
pub fn metrics_without_clock(run: &Path) -> Vec<Vec<String>> {
    let (header, rows) = metrics_table(run);
    let clock = backflip::metrics::WALL_CLOCK_COLUMNS;
    let keep: Vec<usize> = (0..header.len()).filter(|&i| !clock.contains(&header[i].as_str())).collect();
    assert_eq!(keep.len() + clock.len(), header.len(), "every wall-clock column is in the header");
    rows.iter().map(|cols| keep.iter().map(|&i| cols[i].clone()).collect()).collect()
}
