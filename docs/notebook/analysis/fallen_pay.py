#!/usr/bin/env python3
"""What a reward model pays a run's clips on the ground against its standing ones, and how far its
members part there (written to ask why E47's fallen seeds stay down; docs/notebook/2026-12-07-anchor-gate.md).

    python3 docs/notebook/analysis/fallen_pay.py RUN MODEL [FIRST LAST]

MODEL is an env step (the run's reward model of the last snapshot at or before it, `clip rewards
--at-step`) or a folder (`backflip reward refit --out DIR`, `clip rewards --model`). The clips
are those of the run's answers FIRST to LAST (default all), grouped by the share of their steps
on the ground (a body other than the foot touching it, or the foot down beyond the scene's
foot-down angle: the judge's "fallen"). Per group: the teacher's mean clip score, the model's
mean clip return (the members' mean) and the members' spread (population standard deviation of
their clip returns). The backflip binary is $BACKFLIP, as in answers_by_window.py.
"""
import json
import os
import statistics as st
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as aw  # noqa: E402  (clip export cache, the teacher's score)

GROUPS = [(0.0, 0.2), (0.2, 0.6), (0.6, 1.01)]


def ground_share(run, cid, teacher):
    """The share of a saved clip's steps on the ground (the judge's "fallen")."""
    clip = aw.export(run, cid)
    infos = clip["infos"]
    foot = 1 << (clip["n_bodies"] - 1)
    body = ((1 << clip["n_bodies"]) - 1) & ~foot
    return sum(1 for s in infos if s["contacts"] & body or aw.tr.foot_down(s["contacts"], s["pitch"], foot, teacher["foot_down_beyond_deg"])) / len(infos)


def main():
    if len(sys.argv) not in (3, 5):
        sys.exit(__doc__)
    run, model = sys.argv[1], sys.argv[2]
    first, last = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (0, None)
    cfg = json.load(open(os.path.join(run, "run.json")))
    teacher = aw.run_teacher(cfg)
    answers = aw.run_comparisons(run)[first:last]
    ids = sorted({a[side] for a in answers for side in ("left", "right")})
    which = ["--model", model] if os.path.isdir(model) else ["--at-step", model]
    rewards = json.loads(subprocess.run([aw.BF, "clip", "rewards", run] + which, check=True, capture_output=True, text=True).stdout)
    rows = []
    for cid in ids:
        if cid not in rewards["members"]:
            continue
        returns = [sum(m) for m in rewards["members"][cid]]
        rows.append((ground_share(run, cid, teacher), aw.clip_facts(run, cid, teacher)["score"], st.mean(returns), st.pstdev(returns)))
    print(f"{run}: model {model} (version {rewards['version']}), the clips of answers {first} to {first + len(answers)}: {len(rows)}")
    print("on the ground   clips  teacher score  model return  members' spread")
    for lo, hi in GROUPS:
        group = [r for r in rows if lo <= r[0] < hi]
        if group:
            print(f"{lo:.1f} to {min(hi, 1):.1f}      {len(group):5d}  {st.mean(r[1] for r in group):13.2f}  {st.mean(r[2] for r in group):12.2f}  {st.mean(r[3] for r in group):15.2f}")


if __name__ == "__main__":
    main()
