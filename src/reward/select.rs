//! Query selection: which pairs of clips to ask about.

use rand::{RngExt, seq::SliceRandom};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::ensemble::RewardSnapshot;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum QueryMode {
    /// Ask the pairs on which the ensemble's members disagree most.
    Disagreement,
    /// Ask random pairs (the paper found active selection sometimes hurts).
    Uniform,
}

/// Candidate pairs drawn per pair asked.
pub const OVERSAMPLE: usize = 10;

/// Picks up to `want` pairs of distinct clips (indices into `clips`, each the rows of one clip of
/// `steps` steps), no clip in two of them: draws `OVERSAMPLE` times as many random pairs, keeps
/// the first `at_random` of them as drawn, and of the rest those with the highest variance of
/// the members' predicted preference; all as drawn when there is no reward model yet. A pair
/// that would show a clip already picked is passed over, so a pool of n clips gives at most
/// n / 2 pairs and the caller asks for the rest when more clips have come: a clip is asked about
/// once (before 2026-12-07 the 250 initial queries were drawn from the first 27 or so clips,
/// docs/notebook/2026-12-07-first-answers.md). `at_random` is `want` for `QueryMode::Uniform`.
pub fn select_pairs(
    snapshot: Option<&RewardSnapshot>,
    clips: &[&[f32]],
    steps: usize,
    want: usize,
    at_random: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<(usize, usize)> {
    let n = clips.len();
    if n < 2 || want == 0 {
        return Vec::new();
    }
    let mut pairs: Vec<(usize, usize)> = (0..want * OVERSAMPLE)
        .map(|_| {
            let a = rng.random_range(0..n);
            let b = (a + rng.random_range(1..n)) % n;
            (a, b)
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs.shuffle(rng);
    let mut shown = vec![false; n];
    let mut draw = pairs.into_iter();
    let Some(snapshot) = snapshot.filter(|_| at_random < want) else {
        return disjoint(&mut draw, &mut shown, want);
    };
    // The random part is what uniform queries would ask; the candidates are the draw after it.
    let mut pairs = disjoint(&mut draw, &mut shown, at_random);
    let candidates: Vec<(usize, usize)> = draw.collect();
    let rows: Vec<f32> = clips.iter().flat_map(|c| c.iter().copied()).collect();
    let returns = snapshot.clip_returns(&rows, steps);
    let mut scored: Vec<(f32, (usize, usize))> = candidates
        .into_iter()
        .map(|(a, b)| {
            let p: Vec<f32> = returns.iter().map(|r| 1.0 / (1.0 + (r[b] - r[a]).exp())).collect();
            let mean = p.iter().sum::<f32>() / p.len() as f32;
            (p.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / p.len() as f32, (a, b))
        })
        .collect();
    scored.sort_by(|x, y| y.0.total_cmp(&x.0));
    let left = want - pairs.len();
    pairs.extend(disjoint(&mut scored.into_iter().map(|(_, p)| p), &mut shown, left));
    pairs
}

/// The first `limit` of `pairs`, in order, that show no clip already `shown` (marking theirs);
/// takes from `pairs` no further than the last one kept.
fn disjoint(pairs: &mut impl Iterator<Item = (usize, usize)>, shown: &mut [bool], limit: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    while out.len() < limit {
        let Some((a, b)) = pairs.next() else { break };
        if !shown[a] && !shown[b] {
            shown[a] = true;
            shown[b] = true;
            out.push((a, b));
        }
    }
    out
}
