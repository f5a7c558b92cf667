#!/usr/bin/env python3
"""Where a run's reward model ranks the clips with a clean flip that its teacher was asked
about, at each of the run's reward snapshots: the percentile of each such clip's summed learned
reward among the clips of the last WINDOW comparisons answered before the snapshot (what the
teacher had just seen). Written for prefs.champion_share
(docs/notebook/2026-12-07-novelty-champion.md).

    BACKFLIP=BINARY python3 docs/notebook/analysis/asked_flips_rank.py RUN [RUN ...]

A clip holds a clean flip by the judge's count on it alone (rescore_landing_credit.py's port,
with the run's foot-down rule). Rewards come from `backflip clip rewards RUN --at-step S` (the
snapshot's model on every clip the run saved). Printed per snapshot: the flip clips asked by
then, how many of their comparisons the teacher answered for the flip, and the percentiles
(median, and each where there are few); then every clip that won an answer by then ("left" or
"right"), ranked by the same percentile: how many sit at 0.02 or below, and where the flips
rank among them (0 the lowest), to see whether "winners the model now ranks at the bottom"
would single out the flips.
"""
import csv
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as an  # noqa: E402  (export: a run's saved clip; run_teacher)
import rescore_landing_credit as rs  # noqa: E402  (rescore_clip: the judge's count)

WINDOW = 150


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for run in sys.argv[1:]:
        teacher = an.run_teacher(json.load(open(os.path.join(run, "run.json"))))
        comps = an.run_comparisons(run)
        rows = list(csv.DictReader(open(os.path.join(run, "metrics.csv"))))
        flips, won = {}, {}
        for i, c in enumerate(comps):
            for side, other in (("left", "right"), ("right", "left")):
                clip = an.export(run, c[side])
                if rs.rescore_clip(clip["infos"], clip["n_bodies"], teacher)["flips"] >= 1:
                    flips.setdefault(c[side], i)
                    won[c[side]] = won.get(c[side], 0) + (c["answer"] == side)
        steps = sorted(int(s) for s in os.listdir(os.path.join(run, "snapshots")))
        print(f"{run}: {len(flips)} clips with a clean flip asked about, of {len(comps)} comparisons")
        for step in steps:
            answered = an.answered_by(rows, step)
            asked = [f for f, i in flips.items() if i < answered]
            if not asked:
                continue
            out = subprocess.run([an.BF, "clip", "rewards", run, "--at-step", str(step)], capture_output=True, text=True)
            if out.returncode != 0:
                continue
            clips = json.loads(out.stdout)["clips"]
            recent = {c[s] for c in comps[max(0, answered - WINDOW):answered] for s in ("left", "right")}
            sums = sorted(sum(clips[c]) for c in recent if c in clips)
            pct = sorted(sum(x < sum(clips[f]) for x in sums) / len(sums) for f in asked)
            shown = " ".join(f"{p:.2f}" for p in pct) if len(pct) <= 8 else f"median {pct[len(pct) // 2]:.2f}, quartiles {pct[len(pct) // 4]:.2f} to {pct[3 * len(pct) // 4]:.2f}"
            print(f"  {step}: {len(asked)} asked (answered for the flip in {sum(won[f] for f in asked)}), percentile among the last {len(sums)} clips asked: {shown}")
            winners = {c[c["answer"]] for c in comps[:answered] if c["answer"] in ("left", "right")}
            ranked = sorted((sum(x < sum(clips[w]) for x in sums) / len(sums), w) for w in winners)
            at_flips = [i for i, (_, w) in enumerate(ranked) if w in flips]
            bottom = sum(p <= 0.02 for p, _ in ranked)
            print(f"      {len(ranked)} clips won an answer; {bottom} at percentile 0.02 or below; the flips' ranks among them: {at_flips[:12]}")


if __name__ == "__main__":
    main()
