#!/usr/bin/env python3
"""Do the queries ask about successes as often as the policy shows them? Per window of env steps
and per learned seed of an experiment, from metrics.csv's query columns (written since the commit
of docs/notebook/2026-12-06-queries.md): the share of the selector's pool of candidate clips
that show a success (a clean flip) at its selections, against the share of the clips asked
about, beside the share of training episodes with a clean flip.

    python3 docs/notebook/analysis/query_shares.py EXPERIMENT_DIR [EXPERIMENT_DIR ...]

The first row of the comparisons (the initial ones, asked before PPO's first iteration on the
learned reward) falls in the window where exploration ends.
"""
import csv
import glob
import os
import sys

WINDOWS = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 8), (8, 10.1)]


def num(row, name):
    v = row.get(name, "")
    return float(v) if v not in ("", None) else None


def windows(run):
    rows = list(csv.DictReader(open(os.path.join(run, "metrics.csv"))))
    if rows and "queried_clips" not in rows[0]:
        sys.exit(f"{run}: metrics.csv has no query columns (written before they existed)")
    out = []
    for lo, hi in WINDOWS:
        part = [r for r in rows if lo * 1e6 <= float(r["global_step"]) < hi * 1e6]
        eps = sum(num(r, "episodes") or 0 for r in part)
        wins = sum((num(r, "episodes") or 0) * (num(r, "success_rate") or 0) for r in part)
        pool = sum(num(r, "query_pool_clips") or 0 for r in part)
        pool_ok = sum(num(r, "query_pool_successes") or 0 for r in part)
        asked = sum(num(r, "queried_clips") or 0 for r in part)
        asked_ok = sum(num(r, "queried_successes") or 0 for r in part)
        out.append((lo, hi, wins / eps if eps else None, pool_ok / pool if pool else None, asked, asked_ok / asked if asked else None))
    return out


def pct(x):
    return "-" if x is None else f"{100 * x:.1f}%"


for exp in sys.argv[1:] or sys.exit(__doc__):
    for run in sorted(glob.glob(os.path.join(exp, "learned-s*"))):
        print(f"\n{run}")
        print("| window | episodes with a flip | pool clips with a flip | clips asked | asked with a flip | asked / pool |")
        print("|---|---|---|---|---|---|")
        for lo, hi, ep, pool, asked, share in windows(run):
            ratio = "-" if not pool or share is None else f"{share / pool:.2f}"
            print(f"| {lo:g}-{hi:g}M | {pct(ep)} | {pct(pool)} | {asked:.0f} | {pct(share)} | {ratio} |")
