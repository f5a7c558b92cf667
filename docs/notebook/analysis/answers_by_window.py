#!/usr/bin/env python3
"""What a backflip experiment's scripted teacher was shown and how it answered, per window of env
steps, for each learned-sN run it holds (written to ask why E15's seed 3 over-rotated;
docs/notebook/2026-12-05-landing-credit.md).

    python3 docs/notebook/analysis/answers_by_window.py EXPERIMENT_DIR

The backflip binary is $BACKFLIP, or the release build under $CARGO_TARGET_DIR
(default ~/.cache/backflip-target); exported clips are cached under $TMPDIR/backflip-answers.

Placement in env steps: a comparison is placed at the global step of the first PPO iteration
whose metrics.csv `comparisons` (answered so far) reaches its index + 1; the first
initial_share*comparisons (asked on clips of the explored policy before reward learning starts)
form the "0-1M" window. Clip ids are it000245-COUNTER (prefix = iteration the recorder was made,
counter = clips cut so far, 6 per 1000-step episode per env), so a clip's recording step is also
estimated as 1,003,520 + COUNTER*1000/6 to check the clips shown are recent.
"""
import collections
import csv
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import turn_report as tr  # noqa: E402  (clean_flips, touchdowns: the judge's counting)

EXP = None  # the experiment folder (main's argument); the module is also imported by reward_on_answers.py
BF = os.environ.get("BACKFLIP") or os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/backflip-target")), "release", "backflip")
CACHE = os.path.join(os.environ.get("TMPDIR", "/tmp"), "backflip-answers")
WINDOWS = [(0, 1, "0-1M expl"), (1, 2, "1-2M"), (2, 3, "2-3M"), (3, 4, "3-4M"), (4, 5, "4-5M"),
           (5, 6, "5-6M"), (6, 8, "6-8M"), (8, 10.1, "8-10M")]
NEAR_TURN_DEG = 300.0
UPRIGHT = math.radians(30)
MIN_TURN = math.radians(330)


def wrap(a):
    w = (a + math.pi) % (2 * math.pi) - math.pi
    return w + 2 * math.pi if w <= -math.pi else w


def clip_json(run, cid):
    """A run's saved clip, whole (`backflip clip export`)."""
    return json.loads(subprocess.run([BF, "clip", "export", cid, "--dir", run, "--json"],
                                     check=True, capture_output=True, text=True).stdout)


def export(run, cid):
    # Keyed by the run's whole path: two experiments reuse clip ids for different clips.
    path = os.path.join(CACHE, os.path.abspath(run).strip(os.sep).replace(os.sep, "_"), cid + ".json")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        clip = clip_json(run, cid)
        small = {"id": clip["id"], "start_step": clip["start_step"], "control_dt": clip["control_dt"],
                 "n_bodies": len(clip["steps"][0]["poses"]), "infos": [s["info"] for s in clip["steps"]]}
        # Written whole, then renamed: another run of the scripts may read the cache meanwhile.
        with open(path + ".part", "w") as f:
            json.dump(small, f)
        os.replace(path + ".part", path)
    with open(path) as f:
        return json.load(f)


def judge_evaluate(infos, dt, foot, body, foot_down_deg=0.0):
    """Port of BackflipJudge::evaluate + score_report (src/task/backflip.rs) for the teacher's score;
    the foot on the ground beyond foot_down_deg from upright is down (0: never, runs before 8b37466)."""
    hold = math.ceil(0.3 / dt - 1e-9)
    low = infos[0]["pitch"]
    flips, attempt, landed_at, fallen, flying = 0, 0.0, None, 0, False
    best, max_rise, near = 0.0, 0.0, 0.0
    nearness = lambda p: 1 - min(max(abs(wrap(p)) - UPRIGHT, 0) / (math.pi - UPRIGHT), 1)
    for t, s in enumerate(infos):
        touchdown = flying and s["contacts"] != 0
        flying = s["contacts"] == 0
        # TurnSoFar::step (TurnRule::down)
        if s["contacts"] & body or tr.foot_down(s["contacts"], s["pitch"], foot, foot_down_deg):
            turn, low, down, landed = s["pitch"] - low, s["pitch"], True, False
        else:
            low = min(low, s["pitch"])
            turn, down = s["pitch"] - low, False
            landed = turn >= MIN_TURN and s["contacts"] & foot and abs(wrap(s["pitch"])) <= UPRIGHT
            if landed:
                low = s["pitch"]
        if down:
            fallen += 1
            if landed_at is not None:
                landed_at, best, near = None, 1.0, 1.0
            if touchdown and turn >= 0.5 * MIN_TURN:
                near = max(near, nearness(s["pitch"]))
            best, attempt = max(best, attempt), 0.0
            continue
        max_rise = max(max_rise, s["z"] - 1.25)
        if landed_at is not None and t - landed_at >= hold:
            flips, landed_at = flips + 1, None
        attempt = max(attempt, min(turn / MIN_TURN, 1.0))
        if landed and landed_at is None:
            landed_at, attempt = t, 0.0
        elif touchdown and turn >= 0.5 * MIN_TURN:
            near = max(near, nearness(s["pitch"]))
    best = max(best, attempt)
    score = flips + (0.8 if landed_at is not None else 0) + 0.6 * best + 0.2 * min(max(max_rise, 0), 1) - 0.5 * fallen / len(infos)
    return flips, score, landed_at is not None


def clip_facts(run, cid, teacher):
    c = export(run, cid)
    infos, dt = c["infos"], c["control_dt"]
    foot = 1 << (c["n_bodies"] - 1)  # turn_report.py: the foot is the last body (index 3)
    body = ((1 << c["n_bodies"]) - 1) & ~foot
    turns = math.floor((max(s["pitch"] for s in infos) - infos[0]["pitch"]) / (2 * math.pi))  # full_backward_turns
    flips = len(tr.clean_flips(infos, dt, foot, foot_down_deg=teacher["foot_down_beyond_deg"]))
    tr.TOUCHDOWN_DEG = NEAR_TURN_DEG
    downs = tr.touchdowns(infos, foot)
    jflips, jscore, pending = judge_evaluate(infos, dt, foot, body, teacher["foot_down_beyond_deg"])
    unlanded = max(turns - jflips, 0)
    score = jscore - teacher["tumble_cost"] * max(unlanded - teacher.get("tumble_free_turns", 0), 0)
    return {
        "turns": turns, "flips": flips, "jflips": jflips, "pending": pending, "score": score,
        "near": any(w == "foot" and abs(a) <= 30 for w, a in downs),
        "over": any(w != "another body" and a > 30 for w, a in downs),
        "counter": int(cid.split("-")[1]),
    }


def run_teacher(cfg):
    """A run's teacher settings with the foot-down rule of its scene (the judge the teacher scores
    with): 0 in runs before 8b37466."""
    return dict(cfg["prefs"]["teacher"], foot_down_beyond_deg=cfg["scene"].get("foot_down_beyond_deg", 0))


def run_comparisons(run):
    """A run's answers (comparisons.jsonl's "comparison" lines), in the store's order."""
    return [c for c in map(json.loads, open(os.path.join(run, "comparisons.jsonl"))) if c["type"] == "comparison"]


def answered_by(rows, step):
    """Comparisons answered by env step `step`, from a run's metrics.csv rows."""
    return max(int(r["comparisons"] or 0) for r in rows if int(r["global_step"]) <= step)


def placed_answers(run):
    """A run's teacher settings, metrics rows, answers, and each answer's (window, global step)."""
    cfg = json.load(open(f"{run}/run.json"))
    teacher = run_teacher(cfg)
    n_initial = round(cfg["prefs"]["initial_share"] * cfg["prefs"]["comparisons"])
    rows = list(csv.DictReader(open(f"{run}/metrics.csv")))
    answered_at = []  # (cumulative comparisons, global_step)
    for r in rows:
        if r["comparisons"]:
            answered_at.append((int(r["comparisons"]), int(r["global_step"])))
    comps = [json.loads(l) for l in open(f"{run}/comparisons.jsonl")]
    comps = [c for c in comps if c["type"] == "comparison"]
    win_of = []
    for i, c in enumerate(comps):
        step = next(g for n, g in answered_at if n >= i + 1)
        m = step / 1e6
        w = 0 if i < n_initial else next(k for k, (a, b, _) in enumerate(WINDOWS) if a <= m < b and k > 0)
        win_of.append((w, step))
    return teacher, rows, comps, win_of


def analyse(seed):
    run = f"{EXP}/learned-s{seed}"
    teacher, rows, comps, win_of = placed_answers(run)
    facts = {}
    for c in comps:
        for cid in (c["left"], c["right"]):
            if cid not in facts:
                facts[cid] = clip_facts(run, cid, teacher)
    # Check the ported teacher score against the recorded answers.
    agree = collections.Counter()
    for c in comps:
        l, r = facts[c["left"]]["score"], facts[c["right"]]["score"]
        pred = "equal" if abs(l - r) < teacher["equal_threshold"] else ("left" if l >= r else "right")
        agree[(pred == "equal", c["answer"] == "equal" if pred == "equal" else c["answer"] == pred)] += 1
    out = []
    for k, (_, _, name) in enumerate(WINDOWS):
        idx = [i for i, (w, _) in enumerate(win_of) if w == k]
        if not idx:
            out.append((name, None))
            continue
        ids = sorted({cid for i in idx for cid in (comps[i]["left"], comps[i]["right"])})
        F = [facts[c] for c in ids]
        one = [i for i in idx if (facts[comps[i]["left"]]["flips"] > 0) != (facts[comps[i]["right"]]["flips"] > 0)]
        one_win = sum((comps[i]["answer"] == "left") == (facts[comps[i]["left"]]["flips"] > 0) and comps[i]["answer"] in ("left", "right") for i in one)
        nf = [i for i in idx if facts[comps[i]["left"]]["flips"] == 0 and facts[comps[i]["right"]]["flips"] == 0
              and facts[comps[i]["left"]]["turns"] != facts[comps[i]["right"]]["turns"]]
        more, fewer, eq = 0, 0, 0
        for i in nf:
            a, L, R = comps[i]["answer"], facts[comps[i]["left"]], facts[comps[i]["right"]]
            if a in ("equal", "cant_tell"):
                eq += 1
            elif (a == "left") == (L["turns"] > R["turns"]):
                more += 1
            else:
                fewer += 1
        rec = [1.003520 + f["counter"] / 6000 for f in F]
        out.append((name, dict(
            n=len(idx), clips=len(ids), turns=sum(f["turns"] for f in F) / len(F),
            turn_hist=collections.Counter(f["turns"] for f in F),
            flip_share=sum(f["flips"] > 0 for f in F) / len(F),
            one=len(one) / len(idx), one_n=len(one), one_win=one_win,
            nf=len(nf) / len(idx), nf_n=len(nf), nf_more=more, nf_fewer=fewer, nf_eq=eq,
            equal=sum(comps[i]["answer"] == "equal" for i in idx) / len(idx),
            near=sum(f["near"] for f in F), over=sum(f["over"] for f in F),
            lag=sorted(win_of[i][1] / 1e6 for i in idx)[len(idx) // 2] - sorted(rec)[len(rec) // 2],
        )))
    # Detail: how clips that turned fared against clips that did not, near landings' results,
    # and what the policy did (metrics rows with finished episodes) in each window.
    detail = []
    for k, (a, b, name) in enumerate(WINDOWS):
        idx = [i for i, (w, _) in enumerate(win_of) if w == k]
        t01 = collections.Counter()
        near_res = collections.Counter()
        sc = collections.defaultdict(list)
        for i in idx:
            c = comps[i]
            L, R = facts[c["left"]], facts[c["right"]]
            for f in (L, R):
                sc["flip" if f["flips"] else min(f["turns"], 2)].append(f["score"])
            if L["flips"] == R["flips"] == 0 and min(L["turns"], R["turns"]) == 0 and max(L["turns"], R["turns"]) >= 1:
                turner_left = L["turns"] > R["turns"]
                t01["eq" if c["answer"] not in ("left", "right") else ("turn" if (c["answer"] == "left") == turner_left else "still")] += 1
            for side, f, g in (("left", L, R), ("right", R, L)):
                if f["near"] and not f["flips"]:
                    near_res["eq" if c["answer"] not in ("left", "right") else ("won" if c["answer"] == side else "lost")] += 1
        pol = [r for r in rows if r["backflips_per_episode"] and (a * 1e6 if k else 0) <= int(r["global_step"]) < b * 1e6]
        mean = lambda key: sum(float(r[key]) for r in pol) / len(pol) if pol else float("nan")
        acc = [float(r["reward_val_accuracy"]) for r in rows if r["reward_val_accuracy"] and (a * 1e6 if k else 0) <= int(r["global_step"]) < b * 1e6]
        detail.append((name, t01, near_res, {kk: (len(v), sum(v) / len(v)) for kk, v in sc.items()},
                       mean("backflips_per_episode"), mean("backward_turns_per_episode"), sum(acc) / len(acc) if acc else float("nan")))
    return out, agree, sum(f["flips"] != f["jflips"] for f in facts.values()), detail


def learned_seeds():
    names = [d for d in os.listdir(EXP) if d.startswith("learned-s") and d[len("learned-s"):].isdigit()]
    return sorted(int(d[len("learned-s"):]) for d in names)


def main():
    global EXP
    EXP = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)
    for seed in learned_seeds():
        out, agree, mismatch, detail = analyse(seed)
        ok_eq, ok_ne = agree[(True, True)], agree[(False, True)]
        print(f"== learned-s{seed}: ported teacher score vs answers: predicted-equal agree {ok_eq}/{agree[(True, True)] + agree[(True, False)]}, "
              f"predicted-better agree {ok_ne}/{agree[(False, True)] + agree[(False, False)]} (eps=0.1 expected ~90%); "
              f"turn_report vs judge flip-count mismatches: {mismatch}")
        print(f"{'window':10} {'cmp':>4} {'clips':>5} {'turns':>5} {'flip%':>6} {'1flip%':>6} {'flipWon':>8} {'noflip,dT%':>10} "
              f"{'more/fewer/eq':>14} {'equal%':>6} {'near':>4} {'over':>4} {'lagM':>5}  turns hist")
        for name, d in out:
            if d is None:
                print(f"{name:10} {0:>4}")
                continue
            print(f"{name:10} {d['n']:>4} {d['clips']:>5} {d['turns']:>5.2f} {100 * d['flip_share']:>5.1f}% {100 * d['one']:>5.1f}% "
                  f"{d['one_win']:>3}/{d['one_n']:<4} {100 * d['nf']:>9.1f}% {d['nf_more']:>4}/{d['nf_fewer']}/{d['nf_eq']:<5} "
                  f"{100 * d['equal']:>5.1f}% {d['near']:>4} {d['over']:>4} {d['lag']:>5.2f}  {dict(sorted(d['turn_hist'].items()))}")
        print_detail(seed, detail)


def print_detail(seed, detail):
    print(f"-- learned-s{seed} detail: no-flip pairs 0 turns vs >=1 turn (turner won/still won/equal); near-landing clips in pairs "
          f"(won/lost/equal); mean teacher score by clip kind (n); policy flips & turns per episode; reward val acc")
    for name, t01, near, sc, fl, tu, acc in detail:
        s = " ".join(f"{k}:{v[1]:.2f}({v[0]})" for k, v in sorted(sc.items(), key=str))
        print(f"{name:10} 0v1+: {t01['turn']}/{t01['still']}/{t01['eq']:<3} near: {near['won']}/{near['lost']}/{near['eq']:<3} "
              f"score[{s}] policy flips/ep {fl:.2f} turns/ep {tu:.1f} valacc {acc:.2f}")


if __name__ == "__main__":
    main()
