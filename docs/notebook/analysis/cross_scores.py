#!/usr/bin/env python3
"""Each run's learned reward on every run's evaluation episodes: does a run whose policy tumbles
have a reward model that pays the tumble above the landed flips another seed's policy makes?
If it does, the reward model is what holds that run back (it never learnt that landing is
better); if it pays the landing seeds' episodes more, PPO did not find what its reward pays.
Written for E36 (docs/notebook/2026-12-07-cross-scores.md).

    python3 docs/notebook/analysis/cross_scores.py EXPERIMENT [WORK]

EXPERIMENT is a `backflip experiment` folder whose learned-sN runs were made with the same
settings but the seed (so their reward models read the same input). For each pair of runs
(E, M) it makes WORK/c-eE-mM (default WORK: $TMPDIR/backflip-cross), a copy of run E with run
M's reward model in its checkpoint, and runs `backflip eval COPY --episodes 20 --export
WORK/x-eE-mM`: E's policy and evaluation episodes (the copy keeps E's run.json, so the same
seeds), M's learned reward on every step (learned-reward.json). Nothing in EXPERIMENT is
written. Exports already in WORK are used again.

Prints the mean summed learned reward an episode, model by model (rows) and policy by policy
(columns); each model's rank correlation between an episode's summed reward and its clean
flips over all the episodes; and, per run, the clips its queries showed and how many of them
held a clean flip (metrics.csv's queried_clips, queried_successes). Each model's reward is
normalised on its own run's clips, so compare along a row, not down a column. The binary is
$BACKFLIP, or the release build under $CARGO_TARGET_DIR (default ~/.cache/backflip-target).
"""
import csv
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import turn_report as tr  # noqa: E402  (clean_flips: the judge's counting)

BF = os.environ.get("BACKFLIP") or os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/backflip-target")), "release", "backflip")
EPISODES = 20
POLICY_FILES = ["agent.bpk", "ppo_state.json"]  # in a checkpoint and in a snapshot


def source(exp, seed, step):
    """A run's checkpoint folder, or its snapshot at `step` (None: the checkpoint)."""
    run = os.path.join(exp, f"learned-s{seed}")
    return os.path.join(run, "checkpoint") if step is None else os.path.join(run, "snapshots", str(step))


def export(exp, work, e, m, policy_step=None, reward_step=None):
    """WORK/x-eE-mM: run E's evaluation episodes with run M's learned reward; with a step, the
    policy (or the reward model) of that snapshot (folders named -pSTEP, -rSTEP)."""
    tag = f"e{e}-m{m}" + (f"-p{policy_step}" if policy_step is not None else "") + (f"-r{reward_step}" if reward_step is not None else "")
    out = os.path.join(work, f"x-{tag}")
    if os.path.exists(os.path.join(out, "learned-reward.json")):
        return out
    copy = os.path.join(work, f"c-{tag}")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(copy, "checkpoint"))
    shutil.copy(os.path.join(exp, f"learned-s{e}", "run.json"), copy)
    # A snapshot keeps no optimizer state; the checkpoint's stands in (evaluation does not read it).
    shutil.copy(os.path.join(source(exp, e, None), "optimizer.bpk"), os.path.join(copy, "checkpoint"))
    for name in POLICY_FILES:
        shutil.copy(os.path.join(source(exp, e, policy_step), name), os.path.join(copy, "checkpoint"))
    for path in glob.glob(os.path.join(source(exp, m, reward_step), "reward*")):
        shutil.copy(path, os.path.join(copy, "checkpoint"))
    subprocess.run([BF, "eval", copy, "--episodes", str(EPISODES), "--export", out], check=True, capture_output=True)
    return out


def episodes(folder):
    """(summed learned reward, clean flips) of each exported episode."""
    learned = json.load(open(os.path.join(folder, "learned-reward.json")))["episodes"]
    limit = tr.foot_down_limit(folder)
    out = []
    for eid, rewards in sorted(learned.items()):
        clip = json.load(open(os.path.join(folder, eid + ".json")))
        infos = [s["info"] for s in clip["steps"]]
        foot = 1 << (len(clip["steps"][0]["poses"]) - 1)
        out.append((sum(rewards), len(tr.clean_flips(infos, clip["control_dt"], foot, limit))))
    return out


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2
        i = j + 1
    return r


def spearman(xs, ys):
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx, vy = sum((a - mx) ** 2 for a in rx), sum((b - my) ** 2 for b in ry)
    return cov / (vx * vy) ** 0.5 if vx and vy else float("nan")


def queried(run):
    clips = flips = 0
    for row in csv.DictReader(open(os.path.join(run, "metrics.csv"))):
        clips += int(row.get("queried_clips") or 0)
        flips += int(row.get("queried_successes") or 0)
    return clips, flips


def main():
    exp = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)
    work = sys.argv[2] if len(sys.argv) > 2 else os.path.join(tempfile.gettempdir(), "backflip-cross")
    os.makedirs(work, exist_ok=True)
    seeds = sorted(int(p.rsplit("-s", 1)[1]) for p in glob.glob(os.path.join(exp, "learned-s*")))
    table = {(e, m): episodes(export(exp, work, e, m)) for m in seeds for e in seeds}
    flips = {e: [f for _, f in table[(e, seeds[0])]] for e in seeds}
    print("policy (column): clean flips an episode, and its run's queried clips (with a clean flip)")
    for e in seeds:
        clips, with_flip = queried(os.path.join(exp, f"learned-s{e}"))
        print(f"  s{e}: {sum(flips[e]) / len(flips[e]):5.2f} flips an episode; queried {clips} clips, {with_flip} with a clean flip")
    print("\nmean summed learned reward an episode: model of run (row) on the episodes of run (column)")
    print("model  " + "".join(f"{'s' + str(e):>10}" for e in seeds) + "   rank corr. with clean flips")
    for m in seeds:
        row = [sum(r for r, _ in table[(e, m)]) / len(table[(e, m)]) for e in seeds]
        pooled = [x for e in seeds for x in table[(e, m)]]
        rho = spearman([r for r, _ in pooled], [f for _, f in pooled])
        print(f"s{m:<5} " + "".join(f"{v:10.1f}" for v in row) + f"   {rho:6.2f}")


if __name__ == "__main__":
    main()
