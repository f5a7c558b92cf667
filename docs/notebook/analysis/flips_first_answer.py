#!/usr/bin/env python3
"""How the clips with a clean flip fared in the first comparison each was in, against every other
clip's first, among the queries asked with a reward model (after the first 250 answers): whether
"the clips that won, asked again" would gather the flips (docs/notebook/2026-12-07-refit.md).

    python3 docs/notebook/analysis/flips_first_answer.py RUN [RUN ...]

A clip holds a clean flip by the judge's count on it alone (rescore_landing_credit.py's port,
with the run's foot-down rule); it won when the teacher answered for its side.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as an  # noqa: E402  (export: a run's saved clip; run_teacher)
import rescore_landing_credit as rs  # noqa: E402  (rescore_clip: the judge's count)

INITIAL = 250


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for run in sys.argv[1:]:
        teacher = an.run_teacher(json.load(open(os.path.join(run, "run.json"))))
        comps = an.run_comparisons(run)
        first = {}
        for i, c in enumerate(comps):
            for side in ("left", "right"):
                first.setdefault(c[side], (c["answer"] == side, i))
        flips, others = [], []
        for cid, (won, i) in first.items():
            if i < INITIAL:
                continue
            clip = an.export(run, cid)
            (flips if rs.rescore_clip(clip["infos"], clip["n_bodies"], teacher)["flips"] >= 1 else others).append(won)
        print(
            f"{run}: {len(flips) + len(others)} clips first asked after the first {INITIAL} answers; "
            f"{len(flips)} with a flip, {sum(flips)} of them won; the others won {sum(others)} of {len(others)} "
            f"({sum(others) / max(1, len(others)):.2f})"
        )


if __name__ == "__main__":
    main()
