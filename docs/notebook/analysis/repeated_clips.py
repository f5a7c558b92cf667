#!/usr/bin/env python3
"""The clips a backflip run asked about again and again after its first answers (anchors,
ladder rungs, champions): how many asks they took, what they were (full backward turns, clean
flips, the teacher's score) and how their answers went (written for
docs/notebook/2026-12-07-anchor.md).

    BACKFLIP=BIN python3 docs/notebook/analysis/repeated_clips.py RUN [MIN_ASKS]

A clip counts when it was in at least MIN_ASKS (default 5) of the comparisons after the first
initial_share*comparisons. Clips are exported and scored as answers_by_window.py does (its
cache, its teacher score).
"""
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as abw  # noqa: E402  (export, clip facts, the run's teacher)


def main():
    run = sys.argv[1]
    min_asks = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    cfg = json.load(open(os.path.join(run, "run.json")))
    teacher = abw.run_teacher(cfg)
    rows = abw.run_comparisons(run)
    initial = round(cfg["prefs"]["comparisons"] * cfg["prefs"]["initial_share"])
    asks = collections.Counter()
    for r in rows[initial:]:
        asks[r["left"]] += 1
        asks[r["right"]] += 1
    repeated = [c for c, k in asks.most_common() if k >= min_asks]
    kinds, total = collections.Counter(), collections.Counter()
    print(f"{run}: {len(repeated)} clips in {min_asks}+ comparisons after the first {initial}, "
          f"{sum(asks[c] for c in repeated)} of {2 * (len(rows) - initial)} places")
    print("clip              asks  turns flips  score   won lost equal")
    for c in repeated:
        f = abw.clip_facts(run, c, teacher)
        record = collections.Counter()
        for r in rows[initial:]:
            if c in (r["left"], r["right"]):
                side = "left" if r["left"] == c else "right"
                record["won" if r["answer"] == side else r["answer"] if r["answer"] in ("equal", "cant_tell") else "lost"] += 1
        kinds[(f["turns"], f["flips"])] += asks[c]
        total.update(record)
        print(f"{c}  {asks[c]:4d}  {f['turns']:5d} {f['flips']:5d}  {f['score']:5.2f}  "
              f"{record['won']:4d} {record['lost']:4d} {record['equal']:5d}")
    print("asks by (full turns, clean flips):", dict(sorted(kinds.items())))
    print(f"their answers: won {total['won']}, lost {total['lost']}, equal {total['equal']}, can't tell {total['cant_tell']}")


if __name__ == "__main__":
    main()
