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

/// Candidate pairs drawn per pair asked, by default (`prefs.candidate_pairs`).
pub const OVERSAMPLE: usize = 10;

/// How the selector draws its pairs, beside how many it wants (run.json's prefs settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelectRule {
    /// Before there is a reward model, the most pairs a clip is in (0: any number;
    /// `prefs.initial_pairs_per_clip`).
    pub initial_pairs_per_clip: usize,
    /// With a reward model, the random candidate pairs drawn per pair asked; 0: every pair of
    /// the pool is a candidate (`prefs.candidate_pairs`).
    pub candidate_pairs: usize,
}

impl Default for SelectRule {
    fn default() -> Self {
        SelectRule { initial_pairs_per_clip: 0, candidate_pairs: OVERSAMPLE }
    }
}

/// Picks `want` pairs of distinct clips (indices into `clips`, each the rows of one clip of
/// `steps` steps): draws `rule.candidate_pairs` times as many random pairs (`OVERSAMPLE`
/// times before there is a reward model, or with `rule.candidate_pairs` 0), keeps the first
/// `at_random` of them as drawn, and of the rest those with the highest variance of the
/// members' predicted preference; all as drawn when there is no reward model yet. `at_random`
/// is `want` for `QueryMode::Uniform`. A clip may be in several of the pairs: the initial
/// queries, wanted all at once, are drawn from the 27 to 30 clips then in the pool. Asking each
/// clip once (77d2533) left the backflip's median as it was and lost hop forward's check, so it
/// was dropped (docs/notebook/2026-12-07-first-answers.md). With no reward model and
/// `rule.initial_pairs_per_clip` above 0, no clip is in more than that many pairs and no two
/// pairs show the same two clips, so fewer than `want` may come back and the caller asks for
/// the rest when more clips have come. With `rule.candidate_pairs` 0 and a reward model, the
/// modelled pairs are the most disputed of every pair of the pool, no clip in two pairs of
/// the selection (`most_disputed`), so that a rare clip the members disagree on is asked about
/// wherever it is in the pool; measured on the backflip, it asked about flips no more often
/// than the pool held them (E38, docs/notebook/2026-12-07-cross-scores.md).
pub fn select_pairs(
    snapshot: Option<&RewardSnapshot>,
    clips: &[&[f32]],
    steps: usize,
    want: usize,
    at_random: usize,
    rule: SelectRule,
    rng: &mut ChaCha8Rng,
) -> Vec<(usize, usize)> {
    let n = clips.len();
    if n < 2 || want == 0 {
        return Vec::new();
    }
    // The setting counts only once there is a reward model; every pair of the pool as
    // candidates still draws the random share from the default draw.
    let draw = match (snapshot, rule.candidate_pairs) {
        (Some(_), k) if k > 0 => k,
        _ => OVERSAMPLE,
    };
    let mut pairs: Vec<(usize, usize)> = (0..want * draw)
        .map(|_| {
            let a = rng.random_range(0..n);
            let b = (a + rng.random_range(1..n)) % n;
            (a, b)
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs.shuffle(rng);
    if snapshot.is_none() && rule.initial_pairs_per_clip > 0 {
        return spread(pairs, n, rule.initial_pairs_per_clip, want);
    }
    let Some(snapshot) = snapshot.filter(|_| at_random < want) else {
        pairs.truncate(want);
        return pairs;
    };
    let drawn = pairs.split_off(at_random.min(pairs.len()));
    let rows: Vec<f32> = clips.iter().flat_map(|c| c.iter().copied()).collect();
    let returns = snapshot.clip_returns(&rows, steps);
    let disputed = |(a, b): (usize, usize)| dispute(&returns, a, b);
    let wanted = want - pairs.len();
    if rule.candidate_pairs == 0 {
        let disputed_pairs = most_disputed(n, &pairs, wanted, disputed, rng);
        pairs.extend(disputed_pairs);
        return pairs;
    }
    let mut scored: Vec<(f32, (usize, usize))> = drawn.into_iter().map(|p| (disputed(p), p)).collect();
    scored.sort_by(|x, y| y.0.total_cmp(&x.0));
    pairs.extend(scored.into_iter().take(wanted).map(|(_, p)| p));
    pairs
}

/// How disputed the pair (a, b) is: the variance over the members (each a row of clip returns)
/// of their probability that clip `a` is better.
fn dispute(returns: &[Vec<f32>], a: usize, b: usize) -> f32 {
    let p: Vec<f32> = returns.iter().map(|r| 1.0 / (1.0 + (r[b] - r[a]).exp())).collect();
    let mean = p.iter().sum::<f32>() / p.len() as f32;
    p.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / p.len() as f32
}

/// Which of the first `n` clips the members (each a row of clip returns) pay most on average;
/// the first of equals.
fn paid_most(returns: &[Vec<f32>], n: usize) -> usize {
    let mean = |i: usize| returns.iter().map(|r| r[i]).sum::<f32>() / returns.len() as f32;
    (0..n).fold(0, |best, i| if mean(i) > mean(best) { i } else { best })
}

/// The `want` most disputed pairs of `n` clips, greedily, no clip in two of them nor in one of
/// the pairs `taken` already (the most disputed pairs of a pool tend to share the one clip the
/// members disagree on most); each pair shown either way round at random.
fn most_disputed(n: usize, taken: &[(usize, usize)], want: usize, disputed: impl Fn((usize, usize)) -> f32, rng: &mut ChaCha8Rng) -> Vec<(usize, usize)> {
    let mut scored: Vec<(f32, (usize, usize))> = (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b))).map(|p| (disputed(p), p)).collect();
    scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    let mut used = vec![false; n];
    for &(a, b) in taken {
        used[a] = true;
        used[b] = true;
    }
    let mut kept = Vec::new();
    for (_, (a, b)) in scored {
        if kept.len() == want {
            break;
        }
        if !used[a] && !used[b] {
            used[a] = true;
            used[b] = true;
            kept.push(either_way_round(a, b, rng));
        }
    }
    kept
}

/// The pair (a, b), or (b, a) with probability one half: which side a clip is shown on says
/// nothing of it.
fn either_way_round(a: usize, b: usize, rng: &mut ChaCha8Rng) -> (usize, usize) {
    if rng.random_bool(0.5) { (b, a) } else { (a, b) }
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

/// The clip the reward model pays most, among the pool's `clips` and `hall` (clips asked
/// before, kept aside), and `want` partners for it from the pool: for each, the most disputed
/// against it of `draw` random pool clips not yet taken (`prefs.champion_share`). Indices below
/// `clips.len()` are the pool's, the others the hall's (minus `clips.len()`). Returns the
/// champion's index and the pairs, each either way round at random; fewer pairs where the
/// pool runs out of clips. `draw` 0: every free pool clip is a candidate.
///
/// Why: a rare clip asked about against a random partner teaches only that it beats that clip,
/// and a tumbling run's model later ranked its asked flips below most of its tumbles
/// (docs/notebook/2026-12-07-novelty-champion.md); against the clip the model pays most,
/// the same answer says it beats the best the model knows.
pub fn champion_pairs(
    snapshot: &RewardSnapshot,
    clips: &[&[f32]],
    hall: &[&[f32]],
    steps: usize,
    want: usize,
    draw: usize,
    rng: &mut ChaCha8Rng,
) -> (usize, Vec<(usize, usize)>) {
    let n = clips.len();
    let rows: Vec<f32> = clips.iter().chain(hall).flat_map(|c| c.iter().copied()).collect();
    let returns = snapshot.clip_returns(&rows, steps);
    let champion = paid_most(&returns, n + hall.len());
    let disputed = |c: usize| dispute(&returns, champion, c);
    let mut taken = vec![false; n];
    if champion < n {
        taken[champion] = true;
    }
    let mut pairs = Vec::new();
    for _ in 0..want {
        let free: Vec<usize> = (0..n).filter(|&i| !taken[i]).collect();
        if free.is_empty() {
            break;
        }
        // 0 draws: every free pool clip is a candidate, as `candidate_pairs` 0 means.
        let candidates: Vec<usize> = if draw == 0 { free } else { (0..draw).map(|_| free[rng.random_range(0..free.len())]).collect() };
        let partner = candidates
            .into_iter()
            .fold(None, |best: Option<usize>, c| match best {
                Some(b) if disputed(b) >= disputed(c) => Some(b),
                _ => Some(c),
            })
            .expect("at least one candidate");
        taken[partner] = true;
        pairs.push(either_way_round(champion, partner, rng));
    }
    (champion, pairs)
}

/// Ladder queries: each of `rungs` clips (a clip that won an answer, asked about again) against
/// the pool clip the model pays most. Indices as `champion_pairs`'s: below `clips.len()` the
/// pool's; the rungs follow `skip` indices after it (the hall's). Each pair either way round at
/// random; none where the pool is empty.
///
/// Why: a tumbling run's flips won their first answer nearly always, yet its model paid most a
/// clip its teacher scored far below them, no answer having set the two side by side
/// (docs/notebook/2026-12-07-refit.md); a clip that won is asked again against that clip.
pub fn ladder_pairs(snapshot: &RewardSnapshot, clips: &[&[f32]], skip: usize, rungs: usize, steps: usize, rng: &mut ChaCha8Rng) -> Vec<(usize, usize)> {
    let n = clips.len();
    if n == 0 {
        return Vec::new();
    }
    let rows: Vec<f32> = clips.iter().flat_map(|c| c.iter().copied()).collect();
    let top = paid_most(&snapshot.clip_returns(&rows, steps), n);
    (0..rungs).map(|k| n + skip + k).map(|rung| either_way_round(top, rung, rng)).collect()
}

/// The best clip answered so far: of `winners` (clips that won an answer), the one the model
/// pays most; None without any. What anchor queries set against the policy's clips
/// (`prefs.anchor_share`); it changes only with a new model, so it is found once per snapshot.
pub fn best_answered(snapshot: &RewardSnapshot, winners: &[&[f32]], steps: usize) -> Option<usize> {
    if winners.is_empty() {
        return None;
    }
    let rows: Vec<f32> = winners.iter().flat_map(|c| c.iter().copied()).collect();
    Some(paid_most(&snapshot.clip_returns(&rows, steps), winners.len()))
}

/// Anchor queries: clip `best` (the best answered, `best_answered`) against `want` distinct clips
/// drawn at random of the selector's pool (indices below `pool_len`: the latest policies' clips).
/// Each pair either way round at random; fewer where the pool runs out.
///
/// Why: a policy that falls and lies is asked only about clips on the ground, which its teacher
/// scores alike; set against the best clip answered, a fallen clip loses, and the answer says
/// the fall is worse than what came before (docs/notebook/2026-12-07-collapse.md).
pub fn anchor_pairs(pool_len: usize, best: usize, want: usize, rng: &mut ChaCha8Rng) -> Vec<(usize, usize)> {
    let mut partners: Vec<usize> = (0..pool_len).collect();
    partners.shuffle(rng);
    partners.into_iter().take(want).map(|c| either_way_round(best, c, rng)).collect()
}

/// How many anchor queries a selection owes (`prefs.anchor_share`, `prefs.anchor_while_equal`):
/// their share of the modelled queries asked while the gate was open (the latest answers said
/// "equal" at least `while_equal` of the time), so when it opens the rounds it was shut are not
/// paid for at once. Anchors owed but not picked (no winner yet, a small pool) stay owed.
/// `while_equal` 0: always open, a plain share of the modelled queries.
#[derive(Clone, Debug)]
pub struct AnchorShare {
    share: f64,
    while_equal: f32,
    /// Modelled queries asked while the gate was open, and anchors asked.
    open_modelled: usize,
    anchors_asked: usize,
}

impl AnchorShare {
    pub fn new(share: f64, while_equal: f32) -> AnchorShare {
        AnchorShare { share, while_equal, open_modelled: 0, anchors_asked: 0 }
    }

    /// Whether anchor queries are asked at all (`prefs.anchor_share` above 0).
    pub fn in_use(&self) -> bool {
        self.share > 0.0
    }

    /// Whether anchors are owed while the latest answers say "equal" to `recent_equal` of them.
    pub fn open(&self, recent_equal: f32) -> bool {
        self.in_use() && recent_equal >= self.while_equal
    }

    /// The anchors owed in a selection of `want` modelled queries.
    pub fn owed(&self, recent_equal: f32, want: usize) -> usize {
        match self.open(recent_equal) {
            true => (((self.open_modelled + want) as f64 * self.share).floor() as usize).saturating_sub(self.anchors_asked),
            false => 0,
        }
    }

    /// Counts a selection's `picked` modelled queries, `anchors` of them anchors.
    pub fn record(&mut self, recent_equal: f32, picked: usize, anchors: usize) {
        if self.open(recent_equal) {
            self.open_modelled += picked;
        }
        self.anchors_asked += anchors;
    }
}
