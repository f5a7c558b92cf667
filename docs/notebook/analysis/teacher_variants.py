#!/usr/bin/env python3
"""How variants of the scripted teacher's clip score would answer a run's first comparisons (those
asked on clips of the explored policy, before any reward is learned), in particular the pairs of a
clip without a full backward turn against one with a turn: does the teacher say "turn" or "do not
turn"? (docs/notebook/2026-12-07-first-answers.md)

    BACKFLIP=BINARY python3 docs/notebook/analysis/teacher_variants.py RUN_DIR [RUN_DIR ...]

Each RUN_DIR is a learned run (run.json, comparisons.jsonl, its saved clips); only its first
initial_share * comparisons answers are read, so a run stopped once they are asked is enough.
The scores are rescore_landing_credit.py's port of OracleLabeler::score (float32, with the run's
foot-down rule), checked against the recorded answers (the humanlike teacher answers the other way
10% of the time). The variants change only the charge for time down (0.5 times the share of the
clip's steps down, BackflipJudge::score_report):
  now             as the run's teacher scores
  free-after-turn time down after the torso has turned a whole turn past its start not charged
  free-after-half the same from half a turn
  down-0.25       every step down charged half as much
Printed per run: the agreement check, then for each variant how many of the pairs "no full turn
against one or more" it answers for the turning clip, for the still one, and "equal"; the same
for "one full turn against two or more" (a tumble should still lose); and how many answers change.
Needs numpy, as rescore_landing_credit.py does.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as an  # noqa: E402  (export: a run's saved clip)
import rescore_landing_credit as rs  # noqa: E402  (rescore_clip; decide; answer_agreement)

F = rs.F
HALF_CHARGE = F(0.5)
VARIANTS = {
    "now": lambda c: c["score"],
    "free-after-turn": lambda c: c["score"] + HALF_CHARGE * F(c["fallen_after_turn"]) / F(c["steps"]),
    "free-after-half": lambda c: c["score"] + HALF_CHARGE * F(c["fallen_after_half"]) / F(c["steps"]),
    "down-0.25": lambda c: c["score"] + F(0.25) * F(c["fallen"]) / F(c["steps"]),
}


def first_answers(run):
    cfg = json.load(open(f"{run}/run.json"))
    teacher = an.run_teacher(cfg)
    n_initial = round(cfg["prefs"]["initial_share"] * cfg["prefs"]["comparisons"])
    comps = [c for c in map(json.loads, open(f"{run}/comparisons.jsonl")) if c["type"] == "comparison"]
    if len(comps) < n_initial:
        sys.exit(f"{run}: {len(comps)} comparisons, fewer than the {n_initial} first ones")
    return teacher, comps[:n_initial]


def tally(pairs, clips, score, thr):
    """(for the clip with more turns, for the one with fewer, equal) over the pairs."""
    more = fewer = equal = 0
    for a, b in pairs:  # a has fewer full turns than b
        d = rs.decide(score(clips[a]), score(clips[b]), thr)
        more, fewer, equal = more + (d == "right"), fewer + (d == "left"), equal + (d == "equal")
    return f"{more:3d} turn / {fewer:3d} fewer / {equal:3d} equal"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for run in sys.argv[1:]:
        teacher, comps = first_answers(run)
        thr = F(teacher["equal_threshold"])
        clips = {}
        for c in comps:
            for cid in (c["left"], c["right"]):
                if cid not in clips:
                    clip = an.export(run, cid)
                    clips[cid] = rs.rescore_clip(clip["infos"], clip["n_bodies"], teacher)
        eq_ok, eq_n, ne_ok, ne_n = rs.answer_agreement(comps, lambda cid: clips[cid]["score"], thr)
        turning = [c for c in clips.values() if c["turns"] >= 1]
        down = sum(c["fallen"] / c["steps"] for c in turning) / max(len(turning), 1)
        print(f"{run}: {len(comps)} first answers; port agrees: equal {eq_ok}/{eq_n}, better {ne_ok}/{ne_n}; "
              f"{len(turning)} of {len(clips)} clips turn a whole turn (down {down:.2f} of their steps)")

        def ordered(lo, hi):
            out = []
            for c in comps:
                ta, tb = clips[c["left"]]["turns"], clips[c["right"]]["turns"]
                a, b = (c["left"], c["right"]) if ta <= tb else (c["right"], c["left"])
                if min(ta, tb) == lo and max(ta, tb) >= hi:
                    out.append((a, b))
            return out

        still, tumble = ordered(0, 1), ordered(1, 2)
        for name, score in VARIANTS.items():
            changed = sum(rs.decide(score(clips[c["left"]]), score(clips[c["right"]]), thr)
                          != rs.decide(clips[c["left"]]["score"], clips[c["right"]]["score"], thr) for c in comps)
            print(f"  {name:16s} none vs 1+ ({len(still):3d}): {tally(still, clips, score, thr)} | "
                  f"1 vs 2+ ({len(tumble):3d}): {tally(tumble, clips, score, thr)} | answers changed {changed}")


if __name__ == "__main__":
    main()
