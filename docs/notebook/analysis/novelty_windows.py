#!/usr/bin/env python3
"""Would a query rule that asks about what the teacher has not seen yet (BPref's k-center idea:
novelty against the clips already asked) pick a tumbling run's rare flips? A run's policy at one
of its snapshots, its evaluation episodes cut into clip-long windows (half-overlapping), each
window scored by how far its steps lie from the steps of every clip the run had asked about by
then; printed: the share of windows holding a clean flip among the most novel 5, 10 and 20%, and
among all. Written for docs/notebook/2026-12-07-novelty-champion.md.

    BACKFLIP=BINARY python3 docs/notebook/analysis/novelty_windows.py EXPERIMENT SEED STEP [WORK]

STEP is one of the run's snapshot steps; its policy plays the episodes (cross_scores.py's
export, 20 episodes, deterministic). A step is what the reward model sees of it (the observation
and which bodies touch the ground; the action left out, as novelty is about states). The asked
clips are those of the comparisons answered by STEP (metrics.csv's `comparisons`), exported
with `backflip clip export` (kept under WORK). Features are standardised by the asked steps'
mean and spread; a step's novelty is its distance to the 5th nearest of 20,000 asked steps drawn
at random (PEBBLE's k); a window's is the mean (or the max) over its steps. A window holds a
flip when the judge's count on it alone (scripts/turn_report.py) finds one.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cross_scores as cs  # noqa: E402  (export: a run's episodes at a snapshot; tr: turn_report)

K = 5
REFERENCE_STEPS = 20000
TOPS = (0.05, 0.1, 0.2)


def features(clip):
    """Each step's observation and contact bits (one per body), as the reward model sees it."""
    n = len(clip["steps"][0]["poses"])
    return np.array([s["obs"] + [(s["info"]["contacts"] >> b) & 1 for b in range(n)] for s in clip["steps"]], dtype=np.float32)


def asked_steps(run, step, work):
    """The steps of every clip asked about by `step`."""
    rows = list(csv.DictReader(open(os.path.join(run, "metrics.csv"))))
    answered = max(int(r["comparisons"] or 0) for r in rows if int(r["global_step"]) <= step)
    comps = [c for c in map(json.loads, open(os.path.join(run, "comparisons.jsonl"))) if c["type"] == "comparison"][:answered]
    ids = sorted({c[side] for c in comps for side in ("left", "right")})
    cache = os.path.join(work, "asked-" + os.path.abspath(run).strip(os.sep).replace(os.sep, "_"))
    os.makedirs(cache, exist_ok=True)
    steps = []
    for cid in ids:
        path = os.path.join(cache, cid + ".npy")
        if not os.path.exists(path):
            out = subprocess.run([cs.BF, "clip", "export", cid, "--dir", run, "--json"], check=True, capture_output=True, text=True).stdout
            np.save(path, features(json.loads(out)))
        steps.append(np.load(path))
    return answered, len(ids), np.concatenate(steps)


def kth_distance(x, reference):
    d = (x ** 2).sum(1)[:, None] + (reference ** 2).sum(1)[None, :] - 2 * x @ reference.T
    return np.sqrt(np.maximum(np.partition(d, K, axis=1)[:, K], 0))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    exp, seed, step = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    work = sys.argv[4] if len(sys.argv) > 4 else os.path.join(tempfile.gettempdir(), "backflip-novelty")
    os.makedirs(work, exist_ok=True)
    run = os.path.join(exp, f"learned-s{seed}")
    answered, n_clips, seen = asked_steps(run, step, work)
    mean, spread = seen.mean(0), seen.std(0) + 1e-3
    rng = np.random.default_rng(0)
    reference = (seen[rng.choice(len(seen), min(len(seen), REFERENCE_STEPS), replace=False)] - mean) / spread
    folder = cs.export(exp, work, seed, seed, step, step)
    limit = cs.tr.foot_down_limit(folder)
    seconds = json.load(open(os.path.join(run, "run.json")))["scene"]["timing"]["clip_seconds"]
    by_mean, by_max, flips = [], [], []
    for name in sorted(os.listdir(folder)):
        if not (name.startswith("eval-") and name.endswith(".json")):
            continue
        clip = json.load(open(os.path.join(folder, name)))
        x = (features(clip) - mean) / spread
        infos = [s["info"] for s in clip["steps"]]
        foot = 1 << (len(clip["steps"][0]["poses"]) - 1)
        length = int(np.ceil(seconds / clip["control_dt"] - 1e-3))
        for start in range(0, len(infos) - length + 1, length // 2):
            d = kth_distance(x[start:start + length], reference)
            by_mean.append(d.mean())
            by_max.append(d.max())
            flips.append(bool(cs.tr.clean_flips(infos[start:start + length], clip["control_dt"], foot, limit)))
    flips = np.array(flips)
    print(f"{run} at {step}: {answered} answers about {n_clips} clips ({len(seen)} steps); "
          f"{len(flips)} windows of its policy, {flips.sum()} with a clean flip ({flips.mean():.1%})")
    for label, score in (("mean", np.array(by_mean)), ("max", np.array(by_max))):
        order = np.argsort(-score)
        tops = ", ".join(f"top {t:.0%}: {flips[order[:max(1, int(t * len(score)))]].mean():.1%}" for t in TOPS)
        median_flip = f"{np.median(score[flips]):.2f}" if flips.any() else "-"
        print(f"  novelty by the {label} over steps: windows with a flip, {tops}; median novelty {median_flip} (flip) against {np.median(score[~flips]):.2f}")


if __name__ == "__main__":
    main()
