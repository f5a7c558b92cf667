#!/usr/bin/env python3
"""What each learned run of an experiment did in training, per million env steps, from its
metrics.csv: full backward turns an episode / clean flips in the training episodes / PPO's
entropy at the window's last update (written for docs/notebook/2026-12-07-collapse.md).

    python3 docs/notebook/analysis/turns_by_million.py EXPERIMENT_DIR SEED...
"""
import csv
import sys


def value(row, key):
    return float(row[key]) if row[key] else 0.0


def by_million(metrics_csv):
    rows = list(csv.DictReader(open(metrics_csv)))
    out = []
    for m in range(10):
        window = [r for r in rows if m * 1e6 <= int(r["global_step"]) < (m + 1) * 1e6]
        if not window:
            out.append("-")
            continue
        episodes = sum(value(r, "episodes") for r in window) or 1.0
        turns = sum(value(r, "backward_turns_per_episode") * value(r, "episodes") for r in window)
        flips = sum(value(r, "backflips_per_episode") * value(r, "episodes") for r in window)
        out.append(f"{turns / episodes:.2f}/{flips:.0f}/{value(window[-1], 'entropy'):.1f}")
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    for seed in sys.argv[2:]:
        print(seed, " ".join(by_million(f"{sys.argv[1]}/learned-s{seed}/metrics.csv")))


if __name__ == "__main__":
    main()
