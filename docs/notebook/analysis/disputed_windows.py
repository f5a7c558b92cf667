#!/usr/bin/env python3
"""Would the queries ask about a rare flip? A tumbling run's reward ensemble, at some point of
its run, on clip-long windows of its own policy's episodes and on windows holding a clean flip
from the policies of runs that land: how disputed (the variance of the members' predicted
preference, what src/reward/select.rs ranks by) is a pair holding a flip window, and how often
does each selection rule pick one from a pool of the run's own windows with a few flip windows
among them? Written for `prefs.candidate_pairs` (docs/notebook/2026-12-07-cross-scores.md).

    python3 docs/notebook/analysis/disputed_windows.py EXPERIMENT SEED STEP [FLIPS] [WORK]

SEED is the tumbling run; STEP one of its snapshots' steps (its reward model and its policy
there) or "end" (the checkpoint's). The flip windows come from the final evaluation episodes of
the experiment's other runs (those that have any). Exports are made and kept as
cross_scores.py's (its $BACKFLIP and WORK), with each member's reward (learned-reward.json's
"members", from 5cd96e2 on). Windows are cut side by side from each episode's
first step, a clip's length each (the scene's clip_seconds); a window holds a flip when the
judge's count on it alone (scripts/turn_report.py) finds one, as the selector's tally does.
FLIPS is how many flip windows join the pool of the run's own windows without one (default 2,
about 2% of a pool of about 100 windows: near the 1.5% of seed 1's pool in its fourth million
steps in E36; the script prints the share). The pool is all the run's own windows without a
flip, not the selector's 200 clips. Prints how disputed the
pairs are, and the share of selections (one pair wanted) that ask about a flip window under the
default rule (10 random candidate pairs, the most disputed asked) and with every pair a
candidate, over TRIALS pools.
"""
import json
import math
import os
import random
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cross_scores as cs  # noqa: E402  (export: a run's episodes with another's reward model)

TRIALS = 2000
CANDIDATES = 10  # prefs.candidate_pairs' default


def windows(folder, seconds):
    """(members' returns, holds a clean flip) of each window of `seconds` (a clip's length) of
    each exported episode."""
    learned = json.load(open(os.path.join(folder, "learned-reward.json")))
    if "members" not in learned:
        sys.exit(f"{folder}/learned-reward.json has no members' rewards: export with a binary from 5cd96e2 on")
    limit = cs.tr.foot_down_limit(folder)
    out = []
    for eid, members in sorted(learned["members"].items()):
        clip = json.load(open(os.path.join(folder, eid + ".json")))
        infos = [s["info"] for s in clip["steps"]]
        foot = 1 << (len(clip["steps"][0]["poses"]) - 1)
        steps = math.ceil(seconds / clip["control_dt"] - 1e-3)
        for start in range(0, len(infos) - steps + 1, steps):
            returns = [sum(m[start:start + steps]) for m in members]
            flip = bool(cs.tr.clean_flips(infos[start:start + steps], clip["control_dt"], foot, limit))
            out.append((returns, flip))
    return out


def disputes(returns):
    """The dispute of every pair of windows: the variance over members of the members'
    probability that the first is better (src/reward/select.rs)."""
    r = np.array(returns)  # windows x members
    p = 1.0 / (1.0 + np.exp(np.clip(r[None, :, :] - r[:, None, :], -60.0, 60.0)))
    return p.var(axis=2)


def pick_default(d, pool, rng):
    """The most disputed of CANDIDATES random pairs of the pool (indices into d)."""
    best = None
    for _ in range(CANDIDATES):
        a = rng.randrange(len(pool))
        b = (a + rng.randrange(1, len(pool))) % len(pool)
        if best is None or d[pool[a], pool[b]] > d[best]:
            best = (pool[a], pool[b])
    return best


def pick_every(d, pool):
    """The most disputed pair of the pool."""
    sub = d[np.ix_(pool, pool)]
    a, b = np.unravel_index(np.argmax(np.triu(sub, 1)), sub.shape)
    return pool[a], pool[b]


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    exp, seed, step = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    step = None if step == "end" else int(step)
    flips_in_pool = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    work = sys.argv[5] if len(sys.argv) > 5 else os.path.join(tempfile.gettempdir(), "backflip-cross")
    os.makedirs(work, exist_ok=True)
    seeds = sorted(int(p.rsplit("-s", 1)[1]) for p in cs.glob.glob(os.path.join(exp, "learned-s*")))
    seconds = json.load(open(os.path.join(exp, f"learned-s{seed}", "run.json")))["scene"]["timing"]["clip_seconds"]
    own = windows(cs.export(exp, work, seed, seed, step, step), seconds)
    own_plain = [w for w in own if not w[1]]
    flips = []
    for e in seeds:
        if e != seed:
            flips += [w for w in windows(cs.export(exp, work, e, seed, None, step), seconds) if w[1]]
    print(f"run s{seed}'s reward model and policy at {'the end' if step is None else step}: {len(own)} windows of its own, {len(own) - len(own_plain)} with a clean flip; "
          f"{len(flips)} flip windows from the other runs' final policies")
    if not flips:
        sys.exit("no flip window to look for")
    d = disputes([r for r, _ in own_plain + flips])
    n = len(own_plain)
    own_pairs = d[:n, :n][np.triu_indices(n, 1)]
    flip_pairs = d[n:, :n].ravel()
    print(f"dispute of a pair: own window with own window, median {np.median(own_pairs):.5f}; flip window with own window, median {np.median(flip_pairs):.5f}")
    print(f"flip-with-own pairs above the own pairs' 90th percentile ({np.quantile(own_pairs, 0.9):.5f}): {np.mean(flip_pairs > np.quantile(own_pairs, 0.9)):.1%}")
    rng = random.Random(0)
    hits = {"default (10 random candidate pairs)": 0, "every pair a candidate": 0}
    for _ in range(TRIALS):
        pool = list(range(n)) + [n + i for i in rng.sample(range(len(flips)), min(flips_in_pool, len(flips)))]
        for rule, (a, b) in (("default (10 random candidate pairs)", pick_default(d, pool, rng)), ("every pair a candidate", pick_every(d, pool))):
            hits[rule] += a >= n or b >= n
    share = flips_in_pool / (n + flips_in_pool)
    print(f"pools of {n} own windows and {flips_in_pool} flip windows ({share:.1%}), one pair asked, {TRIALS} pools:")
    for rule, k in hits.items():
        print(f"  {rule}: a flip window asked about in {k / TRIALS:.1%} of selections")


if __name__ == "__main__":
    main()
