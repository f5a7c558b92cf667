#!/usr/bin/env python3
"""How a hop-forward preference run's learned reward pays against the speed its teacher's
score is made of, on the clips the teacher saw and along the policy's own exported episodes:
is the model's fault in the states it was shown, or only where the policy went afterwards?
Written for the failing check of issue 13 (hop forward from 700 comparisons below 80% of PPO on
the true reward; docs/notebook/2026-12-06-tumble-count.md).

    python3 docs/notebook/analysis/hop_reward_vs_speed.py RUN [EXPORT_DIR]

RUN is a hop-forward preference run made with its reward model kept (from ca83250 on); the
clips' rewards come from `backflip clip rewards RUN` (the final model), the clips' states from
answers_by_window.py's cache. EXPORT_DIR is `backflip eval RUN --export EXPORT_DIR`, which
writes learned-reward.json beside the episodes.

For each set of steps it prints: the steps, the mean speed (the torso's forward velocity, the
true reward's main term: src/task/forward.rs), the share healthy, the Pearson correlation of
the learned reward with the speed step by step, and a least-squares fit of the learned reward
on speed and the healthy flag (how much a metre a second and staying healthy are worth to the
model, and the share of its variance the two explain); then the learned reward by speed band.
"""
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as ab  # noqa: E402  (the binary, the clip cache)
from hop_answers import healthy  # noqa: E402  (the standard Hopper's health)

SPEED_BANDS = [(-1e9, 0.0, "backwards"), (0.0, 0.5, "0 to 0.5 m/s"), (0.5, 1.0, "0.5 to 1"),
               (1.0, 2.0, "1 to 2"), (2.0, 3.0, "2 to 3"), (3.0, 1e9, "3 and more")]


def fit(rows):
    """Least squares of r on (1, speed, healthy): the coefficients and the share explained."""
    n = len(rows)
    xs = [(1.0, v, h) for v, h, _ in rows]
    ys = [r for _, _, r in rows]
    a = [[sum(x[i] * x[j] for x in xs) for j in range(3)] for i in range(3)]
    b = [sum(x[i] * y for x, y in zip(xs, ys)) for i in range(3)]
    for i in range(3):  # Gauss-Jordan; a healthy column of all zeros keeps its coefficient 0
        p = max(range(i, 3), key=lambda k: abs(a[k][i]))
        if abs(a[p][i]) < 1e-9:
            continue
        a[i], a[p], b[i], b[p] = a[p], a[i], b[p], b[i]
        for k in range(3):
            if k != i:
                f = a[k][i] / a[i][i]
                a[k] = [u - f * w for u, w in zip(a[k], a[i])]
                b[k] -= f * b[i]
    coef = [b[i] / a[i][i] if abs(a[i][i]) > 1e-9 else 0.0 for i in range(3)]
    mean = sum(ys) / n
    total = sum((y - mean) ** 2 for y in ys)
    resid = sum((y - sum(c * u for c, u in zip(coef, x))) ** 2 for x, y in zip(xs, ys))
    return coef, 1.0 - resid / total if total > 0 else float("nan")


def pearson(u, w):
    n = len(u)
    mu, mw = sum(u) / n, sum(w) / n
    su = math.sqrt(sum((a - mu) ** 2 for a in u))
    sw = math.sqrt(sum((b - mw) ** 2 for b in w))
    return sum((a - mu) * (b - mw) for a, b in zip(u, w)) / (su * sw) if su > 0 and sw > 0 else float("nan")


def report(name, rows):
    """rows: (speed, healthy 0/1, learned reward) a step."""
    speeds = [v for v, _, _ in rows]
    rewards = [r for _, _, r in rows]
    (c0, cv, ch), explained = fit(rows)
    print(f"{name}: {len(rows)} steps, mean speed {sum(speeds) / len(rows):.2f} m/s, "
          f"healthy {sum(h for _, h, _ in rows) / len(rows):.1%}, "
          f"correlation with speed {pearson(speeds, rewards):.2f}")
    print(f"  fit: reward = {c0:.3f} + {cv:.3f} x speed + {ch:.3f} x healthy; explains {explained:.1%}")
    print(f"  {'speed':14} {'steps':>7} {'mean reward':>12}")
    for lo, hi, band in SPEED_BANDS:
        inside = [r for v, _, r in rows if lo <= v < hi]
        if inside:
            print(f"  {band:14} {len(inside):>7} {sum(inside) / len(inside):>12.3f}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    run = sys.argv[1]
    out = json.loads(subprocess.run([ab.BF, "clip", "rewards", run], check=True, capture_output=True, text=True).stdout)
    rows = []
    for cid, rewards in sorted(out["clips"].items()):
        infos = ab.export(run, cid)["infos"]
        rows += [(i["x_velocity"], int(healthy(i)), r) for i, r in zip(infos, rewards)]
    print(f"reward model version {out['version']}")
    report(f"the {len(out['clips'])} clips its teacher saw", rows)
    if len(sys.argv) > 2:
        export = sys.argv[2]
        learned = json.load(open(os.path.join(export, "learned-reward.json")))
        rows = []
        for eid, rewards in sorted(learned["episodes"].items()):
            steps = json.load(open(os.path.join(export, eid + ".json")))["steps"]
            rows += [(s["info"]["x_velocity"], int(healthy(s["info"])), r) for s, r in zip(steps, rewards)]
        report(f"the policy's {len(learned['episodes'])} exported episodes", rows)


if __name__ == "__main__":
    main()
