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

/// Picks `want` pairs of distinct clips (indices into `clips`, each the rows of one clip of
/// `steps` steps): draws `OVERSAMPLE` times as many random pairs, keeps the first `at_random`
/// of them as drawn, and of the rest those with the highest variance of the members' predicted
/// preference; all as drawn when there is no reward model yet. `at_random` is `want` for
/// `QueryMode::Uniform`. A clip may be in several of the pairs: the initial queries, wanted all
/// at once, are drawn from the 27 to 30 clips then in the pool. Asking each clip once (77d2533)
/// left the backflip's median as it was and lost hop forward's check, so it was dropped
/// (docs/notebook/2026-12-07-first-answers.md). With no reward model and `per_clip` above 0,
/// no clip is in more than `per_clip` pairs and no two pairs show the same two clips, so fewer
/// than `want` may come back and the caller asks for the rest when more clips have come
/// (`prefs.initial_pairs_per_clip`).
pub fn select_pairs(
    snapshot: Option<&RewardSnapshot>,
    clips: &[&[f32]],
    steps: usize,
    want: usize,
    at_random: usize,
    per_clip: usize,
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
    if snapshot.is_none() && per_clip > 0 {
        return spread(pairs, n, per_clip, want);
    }
    let Some(snapshot) = snapshot.filter(|_| at_random < want) else {
        pairs.truncate(want);
        return pairs;
    };
    let candidates = pairs.split_off(at_random.min(pairs.len()));
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
    pairs.extend(scored.into_iter().take(want - pairs.len()).map(|(_, p)| p));
    pairs
}

/// The first `want` of `pairs`, in order, passing over a pair whose two clips are already shown
/// together (either way round) or that shows a clip already in `per_clip` pairs.
fn spread(pairs: Vec<(usize, usize)>, n: usize, per_clip: usize, want: usize) -> Vec<(usize, usize)> {
    let mut shown = vec![0usize; n];
    let mut kept = Vec::new();
    for (a, b) in pairs {
        if kept.len() == want {
            break;
        }
        if shown[a] < per_clip && shown[b] < per_clip && !kept.contains(&(b, a)) {
            shown[a] += 1;
            shown[b] += 1;
            kept.push((a, b));
        }
    }
    kept
}
