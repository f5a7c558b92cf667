//! Helpers shared by the integration tests.

use std::path::Path;

/// A run's metrics.csv without its wall-clock columns: what two runs of one seed share.
pub fn metrics_without_clock(run: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let clock = backflip::metrics::WALL_CLOCK_COLUMNS;
    let keep: Vec<usize> = (0..header.len()).filter(|&i| !clock.contains(&header[i])).collect();
    assert_eq!(keep.len() + clock.len(), header.len(), "every wall-clock column is in the header");
    lines
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            keep.iter().map(|&i| cols[i].to_string()).collect()
        })
        .collect()
}
