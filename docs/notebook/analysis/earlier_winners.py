#!/usr/bin/env python3
"""When a run's anchors (or ladder) started: for each run, how many answers after the initial ones
hold a clip that won an earlier answer, the first of them and the env step it was answered at
(the first PPO iteration whose metrics.csv `comparisons` reaches it), and the share of "equal"
among the answers after the initial ones (docs/notebook/2026-12-07-anchor-gate.md).

    python3 docs/notebook/analysis/earlier_winners.py RUN [RUN ...]
"""
import csv
import json
import os
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for run in sys.argv[1:]:
        answers = [c for c in map(json.loads, open(os.path.join(run, "comparisons.jsonl"))) if c["type"] == "comparison"]
        cfg = json.load(open(os.path.join(run, "run.json")))["prefs"]
        initial = round(cfg["comparisons"] * cfg["initial_share"])
        won, holds = set(), []
        for a in answers:
            holds.append(a["left"] in won or a["right"] in won)
            if a["answer"] in ("left", "right"):
                won.add(a[a["answer"]])
        later = [i for i in range(initial, len(answers)) if holds[i]]
        rows = list(csv.DictReader(open(os.path.join(run, "metrics.csv"))))
        step = lambda i: next((r["global_step"] for r in rows if r["comparisons"] and int(r["comparisons"]) >= i + 1), "?")
        equal = sum(a["answer"] == "equal" for a in answers[initial:]) / max(1, len(answers) - initial)
        first = f"the first: answer {later[0]}, counting from 0, at step {step(later[0])}" if later else "none"
        print(f"{run}: {len(later)} of {len(answers) - initial} answers after the {initial} initial ones hold an earlier winner ({first}); \"equal\" {equal:.2f} of them")


if __name__ == "__main__":
    main()
