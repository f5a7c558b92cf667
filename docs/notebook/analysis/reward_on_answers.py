#!/usr/bin/env python3
"""How a preference run's kept reward models rank the clips its teacher compared: does a model
fit the answers it was trained on, pair class by pair class (clips of one full turn against
two, and so on), and where within a clip does it put its reward? Written to ask why seed 4's
model paid the second turn in the air though the answers preferred one turn to two (E27,
docs/notebook/2026-12-06-query-schedule.md).

    python3 docs/notebook/analysis/reward_on_answers.py RUN [STEP ...]

RUN is a learned-sN run made with reward models kept (from ca83250 on); each STEP picks the
model of the last snapshot at or before it (`backflip clip rewards RUN --at-step STEP`), and
"end" the checkpoint's (the default: every snapshot and the end). The binary and the clip
cache are answers_by_window.py's ($BACKFLIP).

A clip's turns are the teacher's count (full backward turns of the torso since the clip's first
step, src/task/backflip.rs `full_backward_turns`); a step's part is how many of those the clip
had completed by that step; a clip with a clean flip is of the kind "flip" whatever its turns.
A class "A v B" counts how often the teacher preferred the clip of kind A (fewer turns, or no
flip) and how often the one of kind B. The model's pick is the clip with the
larger summed reward (all clips are the same length; the sum of the ensemble's normalised
mean is what PPO is paid).
"""
import collections
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as ab  # noqa: E402  (the binary, the clip cache, answer placement)


def model_rewards(run, step):
    args = [ab.BF, "clip", "rewards", run] + ([] if step == "end" else ["--at-step", str(step)])
    out = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    return out["version"], out["clips"]


def parts(infos):
    """Per step: full backward turns the clip has completed by that step (the teacher's count)."""
    top, first, out = infos[0]["pitch"], infos[0]["pitch"], []
    for s in infos:
        top = max(top, s["pitch"])
        out.append(math.floor((top - first) / (2 * math.pi)))
    return out


def kind(facts):
    return "flip" if facts["flips"] else str(min(facts["turns"], 2))


def report(run, step, comps, win_of, facts, part_of):
    version, rewards = model_rewards(run, step)
    cut = float("inf") if step == "end" else int(step)
    total = {cid: sum(r) for cid, r in rewards.items()}
    print(f"-- model at {step} (version {version}); pairs answered before it (trained on) | after it")
    print(f"{'pair (kinds)':14} {'n':>5} {'teacher: A won/B won/equal':>26} {'model agrees':>13} | {'n':>5} {'model agrees':>13}")
    classes = collections.defaultdict(lambda: [collections.Counter(), collections.Counter()])
    for c, (_, at) in zip(comps, win_of):
        L, R = facts[c["left"]], facts[c["right"]]
        lo, hi = sorted((kind(L), kind(R)))
        cls = classes[f"{lo} v {hi}"][0 if at < cut else 1]
        cls["n"] += 1
        if c["answer"] not in ("left", "right"):
            cls["equal"] += 1
            continue
        winner, loser = (L, R) if c["answer"] == "left" else (R, L)
        if lo != hi:
            cls["a_won" if kind(winner) == lo else "b_won"] += 1
        picked_left = total[c["left"]] >= total[c["right"]]
        cls["decided"] += 1
        cls["agree"] += picked_left == (c["answer"] == "left")
    for name in sorted(classes):
        b, a = classes[name]
        share = lambda k: f"{k['agree']}/{k['decided']}" + (f" {k['agree'] / k['decided']:.2f}" if k["decided"] else "")
        print(f"{name:14} {b['n']:>5} {b['a_won']:>8}/{b['b_won']}/{b['equal']:<10} {share(b):>13} | {a['n']:>5} {share(a):>13}")
    # Where the reward sits: queried clips answered before the model, by kind, by part.
    asked = {cid for c, (_, at) in zip(comps, win_of) if at < cut for cid in (c["left"], c["right"])}
    sums, steps, clips = collections.defaultdict(float), collections.Counter(), collections.defaultdict(list)
    for cid in asked:
        k = kind(facts[cid])
        clips[k].append(total[cid])
        for p, r in zip(part_of[cid], rewards[cid]):
            sums[(k, min(p, 2))] += r
            steps[(k, min(p, 2))] += 1
    print(f"{'clip kind':10} {'clips':>6} {'summed':>8}   mean reward a step (share of its steps): before one full turn | past one | past two")
    for k in ("0", "1", "2", "flip"):
        if not clips[k]:
            continue
        n = sum(steps[(k, p)] for p in range(3))
        cells = " | ".join(f"{sums[(k, p)] / steps[(k, p)]:6.2f} ({steps[(k, p)] / n:4.0%})" if steps[(k, p)] else f"{'':>13}" for p in range(3))
        print(f"{k + (' turns' if k != 'flip' else ''):10} {len(clips[k]):>6} {sum(clips[k]) / len(clips[k]):>8.1f}   {cells}")


def observed(run, facts):
    """What the observation shows of the teacher's count, in the queried clips of one or two
    turns without a flip: how many had a body other than the foot on the ground before their
    first full turn was done, and of their steps past it, how many show a turn so far (the
    observation's last number) of a whole turn or more, and, in a scene that observes it, a
    turn since upright (the number before) of a whole turn or more."""
    since_shown = json.load(open(os.path.join(run, "run.json")))["scene"].get("observe_turn_since_upright", False)
    bodies, shown, since = collections.Counter(), collections.Counter(), collections.Counter()
    for cid, f in sorted(facts.items()):
        if f["flips"] or f["turns"] < 1:
            continue
        k = min(f["turns"], 2)
        steps = ab.clip_json(run, cid)["steps"]
        foot = 1 << (len(steps[0]["poses"]) - 1)
        body = ((1 << len(steps[0]["poses"])) - 1) & ~foot
        done = parts([s["info"] for s in steps])
        first = done.index(1)
        bodies[(k, any(s["info"]["contacts"] & body for s in steps[:first + 1]))] += 1
        for p, s in zip(done, steps):
            if p >= 1:
                shown[(k, s["obs"][-1] >= 1.0)] += 1
                if since_shown:
                    since[(k, s["obs"][-2] >= 1.0)] += 1
    print("-- what the observation shows of the teacher's count (queried clips without a flip)")
    for k in (1, 2):
        n = bodies[(k, True)] + bodies[(k, False)]
        m = shown[(k, True)] + shown[(k, False)]
        if n:
            print(f"{k} turn(s): {n} clips, {bodies[(k, True)]} with a body down before the first full turn was done; "
                  f"of {m} steps past it, {shown[(k, True)]} ({shown[(k, True)] / m:.0%}) show a turn so far of 1 or more"
                  + (f", {since[(k, True)]} ({since[(k, True)] / m:.0%}) a turn since upright of 1 or more" if since_shown else ""))


def main():
    run = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)
    teacher, _, comps, win_of = ab.placed_answers(run)
    steps = sys.argv[2:] or sorted(int(s) for s in os.listdir(os.path.join(run, "snapshots"))) + ["end"]
    facts, part_of = {}, {}
    for c in comps:
        for cid in (c["left"], c["right"]):
            if cid not in facts:
                facts[cid] = ab.clip_facts(run, cid, teacher)
                part_of[cid] = parts(ab.export(run, cid)["infos"])
    observed(run, facts)
    for step in steps:
        report(run, step, comps, win_of, facts, part_of)


if __name__ == "__main__":
    main()
