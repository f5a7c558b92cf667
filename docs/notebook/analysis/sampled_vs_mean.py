#!/usr/bin/env python3
"""The eval's mean action against the sampled policy (issue 13's lever list), from what runs
already wrote: at each evaluated snapshot, the success rate of the training episodes that ended
in the 500,000 env steps before it (the policy's sampled actions; metrics.csv's
`success_rate`, weighted by `episodes`) beside the snapshot's evaluation (the mean action,
eval-STEP.json). Written for docs/notebook/2026-12-07-novelty-champion.md.

    python3 docs/notebook/analysis/sampled_vs_mean.py EXPERIMENT [EXPERIMENT ...]

One line per learned run: "sampled/mean" at each snapshot, oldest first, and the mean over
snapshots of each.
"""
import csv
import glob
import json
import os
import sys

WINDOW = 500_000


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for exp in sys.argv[1:]:
        for run in sorted(glob.glob(os.path.join(exp, "learned-s*"))):
            rows = [r for r in csv.DictReader(open(os.path.join(run, "metrics.csv"))) if r["success_rate"]]
            evals = {}
            for path in glob.glob(os.path.join(run, "eval-*.json")):
                report = json.load(open(path))
                evals[report["env_steps"]] = report["success_rate"]
            pairs = []
            for step in sorted(evals):
                window = [r for r in rows if step - WINDOW < int(r["global_step"]) <= step]
                episodes = sum(int(r["episodes"]) for r in window)
                if episodes:
                    sampled = sum(float(r["success_rate"]) * int(r["episodes"]) for r in window) / episodes
                    pairs.append((sampled, evals[step]))
            if not pairs:
                continue
            line = " ".join(f"{s:.2f}/{m:.2f}" for s, m in pairs)
            means = f"mean {sum(s for s, _ in pairs) / len(pairs):.2f}/{sum(m for _, m in pairs) / len(pairs):.2f}"
            print(f"{run}: {line}  ({means})")


if __name__ == "__main__":
    main()
