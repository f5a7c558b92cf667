#!/usr/bin/env python3
"""How far two runs are the same run: the first PPO iterations whose metrics.csv rows agree (but
the wall-clock columns) and the first answers whose comparisons.jsonl lines agree (but `time_ms`
and `response_ms`), as the determinism test compares them (docs/notebook/2026-12-07-anchor-gate.md).

    python3 docs/notebook/analysis/same_run.py RUN_A RUN_B
"""
import csv
import json
import os
import sys

WALL = {"rollout_seconds", "update_seconds", "wall_seconds", "steps_per_sec", "reward_round_seconds", "wait_seconds"}


def metrics(run):
    return [{k: v for k, v in row.items() if k not in WALL} for row in csv.DictReader(open(os.path.join(run, "metrics.csv")))]


def answers(run):
    out = []
    for line in open(os.path.join(run, "comparisons.jsonl")):
        c = json.loads(line)
        c.pop("time_ms", None)
        c.pop("response_ms", None)
        out.append(c)
    return out


def agree(a, b):
    n = min(len(a), len(b))
    return next((i for i in range(n) if a[i] != b[i]), n)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = sys.argv[1], sys.argv[2]
    ma, mb = metrics(a), metrics(b)
    k = agree(ma, mb)
    last = ma[k - 1]["global_step"] if k else "none"
    print(f"metrics.csv: the first {k} iterations agree (of {len(ma)} and {len(mb)}; the last agreeing at step {last})")
    ca, cb = answers(a), answers(b)
    print(f"comparisons.jsonl: the first {agree(ca, cb)} lines agree (of {len(ca)} and {len(cb)})")


if __name__ == "__main__":
    main()
