#!/usr/bin/env python3
"""A run's training figures from its metrics.csv, read by column name: for each stretch of
STEP env steps (default 1,000,000), the means over the rows with finished episodes of full
backward turns, success and clean flips per episode and judge score, and at the stretch's last
row the policy's entropy, the comparisons answered and the reward model's held-out agreement;
then where the run's wall time went (rollout, update, waiting on the stages).
These are training episodes (sampled actions), not the evaluation.
    python3 scripts/metrics_summary.py RUN [STEP]
"""
import csv
import sys
from pathlib import Path


def mean(rows, key):
    vals = [float(r[key]) for r in rows if r.get(key, "") != ""]
    return sum(vals) / len(vals) if vals else float("nan")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = Path(sys.argv[1]) / "metrics.csv"
    step = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    try:
        rows = list(csv.DictReader(open(path)))
    except OSError as e:
        sys.exit(f"error: {path}: {e.strerror}")
    if not rows:
        sys.exit(f"error: {path}: no rows")
    print("| env steps | full backward turns / episode | success | clean flips / episode | judge score | entropy | comparisons | held-out agreement |")
    print("|---|---|---|---|---|---|---|---|")
    stretch, end = [], step
    for i, r in enumerate(rows):
        stretch.append(r)
        if int(r["global_step"]) >= end or i == len(rows) - 1:
            eps = [x for x in stretch if x["episodes"] != "0"]
            print(f"| {r['global_step']} | {mean(eps, 'backward_turns_per_episode'):.2f} | {mean(eps, 'success_rate'):.2f} "
                  f"| {mean(eps, 'backflips_per_episode'):.2f} | {mean(eps, 'judge_score'):.2f} | {float(r['entropy']):.2f} "
                  f"| {r['comparisons']} | {r['reward_val_accuracy'][:5]} |")
            stretch, end = [], end + step
    total = lambda k: sum(float(r[k]) for r in rows if r.get(k, "") != "")
    print(f"\nwall {float(rows[-1]['wall_seconds']):.0f} s: rollout {total('rollout_seconds'):.0f} s, "
          f"update {total('update_seconds'):.0f} s, waiting on the stages {total('wait_seconds'):.0f} s")


if __name__ == "__main__":
    main()
