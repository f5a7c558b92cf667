#!/usr/bin/env python3
"""How well a run's reward model, at one of its snapshots, ranks the clips its teacher is shown
next, against the teacher's own clip score; and the same for models fitted afresh on the same
answers (`backflip reward refit RUN --comparisons N --out DIR`). Written to ask whether the
model's drift comes from growing it round by round (docs/notebook/2026-12-07-refit.md).

    BACKFLIP=BINARY python3 docs/notebook/analysis/future_agreement.py RUN STEP [MODEL_DIR ...]

N is the comparisons answered by STEP (metrics.csv). Printed for the snapshot's model and each
MODEL_DIR:
- agreement with the strict answers ("left" or "right") among the first N (what it was fitted
  on, held-out answers included), and among the next 200 (asked by disagreement, so near the
  members' boundary by construction: a biased test, printed beside the teacher score's own);
- over the clips of the next 200 comparisons (the policy's next behaviour): Spearman's rank
  correlation with the teacher's clip score, and the share of their pairs the teacher would not
  call equal (score apart by at least its equal threshold) that the model orders as the score
  does: the unbiased test;
- the percentile, among the clips of the last 150 comparisons before N, of each clip with a
  clean flip asked about by then (asked_flips_rank.py's question).
"""
import csv
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as an  # noqa: E402  (export: a run's saved clip; run_teacher; BF)
import rescore_landing_credit as rs  # noqa: E402  (rescore_clip: the teacher's score, the judge's count)

NEXT = 200
WINDOW = 150


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0] * len(values)
    for k, i in enumerate(order):
        out[i] = k
    return out


def spearman(a, b):
    ra, rb, n = ranks(a), ranks(b), len(a)
    return 1 - 6 * sum((x - y) ** 2 for x, y in zip(ra, rb)) / (n * (n * n - 1))


def agreement(returns, comps):
    strict = [c for c in comps if c["answer"] in ("left", "right")]
    ok = sum((returns[c["left"]] > returns[c["right"]]) == (c["answer"] == "left") for c in strict)
    return ok / max(1, len(strict)), len(strict)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    run, step, models = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    config = json.load(open(os.path.join(run, "run.json")))
    teacher = an.run_teacher(config)
    equal = config["prefs"]["teacher"]["equal_threshold"]
    comps = an.run_comparisons(run)
    rows = list(csv.DictReader(open(os.path.join(run, "metrics.csv"))))
    n = an.answered_by(rows, step)
    score, flips = {}, set()
    for c in comps[: n + NEXT]:
        for side in ("left", "right"):
            if c[side] not in score:
                clip = an.export(run, c[side])
                judged = rs.rescore_clip(clip["infos"], clip["n_bodies"], teacher)
                score[c[side]] = float(judged["score"])
                if judged["flips"] >= 1 and comps.index(c) < n:
                    flips.add(c[side])
    nxt = comps[n : n + NEXT]
    future = sorted({c[s] for c in nxt for s in ("left", "right")})
    recent = sorted({c[s] for c in comps[max(0, n - WINDOW) : n] for s in ("left", "right")})
    t_first, _ = agreement(score, comps[:n])
    t_next, t_n = agreement(score, nxt)
    print(
        f"{run} at {step}: {n} answers; the next {len(nxt)} comparisons ({t_n} strict), {len(future)} clips; "
        f"the teacher score agrees with {t_first:.3f} of the first {n}'s strict answers and {t_next:.3f} of the next's"
    )
    for model in [None] + models:
        args = ["--model", model] if model else ["--at-step", str(step)]
        out = subprocess.run([an.BF, "clip", "rewards", run] + args, capture_output=True, text=True)
        if out.returncode != 0:
            print(f"  {model or 'snapshot'}: {out.stderr.strip()}")
            continue
        returns = {k: sum(v) for k, v in json.loads(out.stdout)["clips"].items()}
        fitted, f_n = agreement(returns, comps[:n])
        ahead, _ = agreement(returns, nxt)
        pairs = ok = 0
        for i, a in enumerate(future):
            for b in future[i + 1 :]:
                if abs(score[a] - score[b]) >= equal:
                    pairs += 1
                    ok += (score[a] > score[b]) == (returns[a] > returns[b])
        pct = sorted(sum(returns[r] < returns[f] for r in recent) / len(recent) for f in flips)
        shown = " ".join(f"{p:.2f}" for p in pct) if len(pct) <= 8 else f"median {pct[len(pct) // 2]:.2f}, quartiles {pct[len(pct) // 4]:.2f} to {pct[3 * len(pct) // 4]:.2f}"
        print(
            f"  {model or 'snapshot ' + str(step)}: first {n} answers {fitted:.3f} (of {f_n}); next {ahead:.3f}; "
            f"next clips: Spearman {spearman([score[c] for c in future], [returns[c] for c in future]):.2f}, "
            f"pairwise {ok / max(1, pairs):.3f} (of {pairs}); flips asked ({len(flips)}) at percentiles {shown}"
        )


if __name__ == "__main__":
    main()
