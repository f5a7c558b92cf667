#!/usr/bin/env python3
"""Re-score every queried clip of an experiment's learned-s1/s2/s3 with a proposed teacher change and
report how the teacher's deterministic answers (left/right/equal, the humanlike teacher without its
10% random flip) would change.

    python3 docs/notebook/analysis/rescore_landing_credit.py EXPERIMENT_DIR

Proposed change: clip score += credit * touchdown_nearness, where touchdown_nearness is the MEAN over
the clip's touchdown events of nearness(pitch) = 1 - min(1, max(0, |wrap(pitch)| - 30deg) / (180deg - 30deg)).
Events, walking the judge's segments (BackflipJudge::evaluate with TurnSoFar, ported step for step):
  (i)  a step where the segment logic reports a clean landing (seen.landed)      -> nearness 1
  (ii) otherwise, a step in flight before (contacts == 0) and touching now (contacts != 0), with the
       segment's backward turn so far (seen.turn) >= 0.5 * 330deg, whoever touches first -> nearness(pitch)
One touch of the ground counts once: a landing on a touch already counted replaces its nearness
with 1 (the judge since the commit after e874f79; E16 ran with the touch counted twice).
No event: touchdown_nearness 0. The standing height and control step are the embedded
hopper-backflip scene's. Everything is computed in float32, as the Rust does.
Current score (kept): judge score - tumble_cost * max(full_backward_turns - clean_flips - free_turns, 0)
(run.json has no near_landing_credit, i.e. 0). Clips come through answers_by_window.py's export (and its cache).
"""
import collections
import csv
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as an  # noqa: E402  (export() reads the cached clips; WINDOWS)

F = np.float32
EXP = None  # the experiment folder (main's argument); rescore_clip is also imported by window_scores.py
CREDITS = (0.2, 0.3)
PI, TAU = F(np.pi), F(2 * np.pi)
RAD = F(PI / F(180))                       # f32::to_radians: self * (PI / 180)
MIN_TURN, UPRIGHT = F(330) * RAD, F(30) * RAD
HALF = F(0.5) * MIN_TURN
STAND = (F(1.45) + F(1.05)) / F(2)         # (root.from[1] + root.to[1]) / 2
CONTROL_DT = F(0.002) * F(4)               # timestep * substeps


def wrap(a):
    w = F(np.fmod(a + PI, TAU))
    if w < 0:
        w = w + TAU                        # rem_euclid
    w = w - PI
    return w + TAU if w <= -PI else w


def nearness(p):
    return F(1) - min((max(abs(wrap(p)) - UPRIGHT, F(0)) / (PI - UPRIGHT)), F(1))


def rescore_clip(infos, n_bodies, teacher):
    foot = 1 << (n_bodies - 1)
    body = ((1 << n_bodies) - 1) & ~foot
    hold = int(np.ceil(F(0.3) / CONTROL_DT))
    P = [F(s["pitch"]) for s in infos]
    low = P[0]
    flips, attempt, landed_at, fallen, flying = 0, F(0), None, 0, False
    best, max_rise = F(0), F(0)
    events, counted = [], False
    # Steps down after the torso has turned half a turn and a whole turn backwards past its start
    # (teacher_variants.py: what a crashed attempt's time down costs).
    fallen_after_half = fallen_after_turn = 0
    top = P[0]
    # The scene's foot_down_beyond_deg (0: off, as before it; window_scores.py --foot-down-beyond-deg):
    # the foot on the ground with the torso further than this from upright is down, as another body is.
    foot_down = F(teacher.get("foot_down_beyond_deg", 0)) * RAD
    for t, s in enumerate(infos):
        p, c = P[t], s["contacts"]
        top = max(top, p)
        if foot_down > 0 and c & foot and abs(wrap(p)) > foot_down:
            c |= body
        touchdown = flying and c != 0
        flying = c == 0
        # TurnSoFar::step
        if c & body:
            turn, down, landed = p - low, True, False
            low = p
        else:
            low = min(low, p)
            turn, down = p - low, False
            landed = bool(turn >= MIN_TURN and c & foot and abs(wrap(p)) <= UPRIGHT)
            if landed:
                low = p
        # touchdown events (FlipReport::touchdown_nearness): a touch of the ground counts once,
        # a landing on a touch already counted replacing its nearness with 1
        if c == 0:
            counted = False
        if landed or (touchdown and turn >= HALF):
            near = F(1) if landed else nearness(p)
            if counted:
                events[-1] = near
            else:
                events.append(near)
            counted = True
        # BackflipJudge::evaluate
        if down:
            fallen += 1
            fallen_after_half += bool(top - P[0] >= PI)
            fallen_after_turn += bool(top - P[0] >= TAU)
            if landed_at is not None:
                landed_at, best = None, F(1)
            best, attempt = max(best, attempt), F(0)
            continue
        max_rise = max(max_rise, F(s["z"]) - STAND)
        if landed_at is not None and t - landed_at >= hold:
            flips, landed_at = flips + 1, None
        attempt = max(attempt, min(turn / MIN_TURN, F(1)))
        if landed and landed_at is None:
            landed_at, attempt = t, F(0)
    best = max(best, attempt)
    pending = landed_at is not None
    score = (F(flips) + (F(0.8) if pending else F(0)) + F(0.6) * best
             + F(0.2) * min(max(max_rise, F(0)), F(1)) - F(0.5) * (F(fallen) / F(len(infos))))
    turns = int(np.floor((max(P) - P[0]) / TAU))          # full_backward_turns (start pitch included in max)
    unlanded = max(turns - flips, 0)
    score = score - F(teacher["tumble_cost"]) * F(max(unlanded - teacher.get("tumble_free_turns", 0), 0))
    tdn = F(sum(events, F(0)) / F(len(events))) if events else F(0)
    return {"score": score, "tdn": tdn, "flips": flips, "turns": turns, "n_ev": len(events), "steps": len(infos),
            "fallen": fallen, "fallen_after_half": fallen_after_half, "fallen_after_turn": fallen_after_turn}


def decide(l, r, thr):
    return "equal" if abs(l - r) < thr else ("left" if l >= r else "right")


def answer_agreement(comps, score, thr):
    """The port against the recorded answers: of the comparisons it calls "equal", how many the
    teacher answered "equal"; of the rest, how many it answered for the clip scored higher.
    `score` gives a clip id's score. Returns (equal agreed, equal, better agreed, better)."""
    eq_ok = eq_n = ne_ok = ne_n = 0
    for c in comps:
        d = decide(score(c["left"]), score(c["right"]), thr)
        if d == "equal":
            eq_n, eq_ok = eq_n + 1, eq_ok + (c["answer"] == "equal")
        else:
            ne_n, ne_ok = ne_n + 1, ne_ok + (c["answer"] == d)
    return eq_ok, eq_n, ne_ok, ne_n


def seed_rows(seed):
    run = f"{EXP}/learned-s{seed}"
    cfg = json.load(open(f"{run}/run.json"))
    # The foot-down rule is the scene's (the judge the teacher scores with): 0 in runs before 8b37466.
    teacher = an.run_teacher(cfg)
    assert teacher["kind"] == "humanlike" and not teacher.get("near_landing_credit")
    thr = F(teacher["equal_threshold"])
    n_initial = round(cfg["prefs"]["initial_share"] * cfg["prefs"]["comparisons"])
    answered_at = [(int(r["comparisons"]), int(r["global_step"])) for r in csv.DictReader(open(f"{run}/metrics.csv")) if r["comparisons"]]
    comps = [c for c in map(json.loads, open(f"{run}/comparisons.jsonl")) if c["type"] == "comparison"]
    facts, win = {}, []
    for i, c in enumerate(comps):
        m = next(g for n, g in answered_at if n >= i + 1) / 1e6
        win.append(0 if i < n_initial else next(k for k, (a, b, _) in enumerate(an.WINDOWS) if a <= m < b and k > 0))
        for cid in (c["left"], c["right"]):
            if cid not in facts:
                clip = an.export(run, cid)
                facts[cid] = rescore_clip(clip["infos"], clip["n_bodies"], teacher)
    # check the f32 port of the current score against the recorded answers
    agreed = answer_agreement(comps, lambda cid: facts[cid]["score"], thr)
    out = []
    for k, (_, _, name) in enumerate(an.WINDOWS):
        idx = [i for i, w in enumerate(win) if w == k]
        if not idx:
            continue
        tdn = np.array(sorted(float(facts[cid]["tdn"]) for cid in {x for i in idx for x in (comps[i]["left"], comps[i]["right"])}))
        row = dict(name=name, n=len(idx), clips=len(tdn), tdn_mean=tdn.mean(), q=np.percentile(tdn, [25, 50, 75]), tdn_pos=(tdn > 0).mean())
        for credit in CREDITS:
            cr = F(credit)
            s2e = s2o = chg = eq_n_ = eq_strict = eq_nearer = one_n = one_chg = m2f = f2m = dt_n = 0
            for i in idx:
                L, R = facts[comps[i]["left"]], facts[comps[i]["right"]]
                old = decide(L["score"], R["score"], thr)
                new = decide(L["score"] + cr * L["tdn"], R["score"] + cr * R["tdn"], thr)
                chg += old != new
                s2e += old != "equal" and new == "equal"
                s2o += old != "equal" and new not in (old, "equal")
                if old == "equal":
                    eq_n_ += 1
                    if new != "equal":
                        eq_strict += 1
                        win_, lose = (L, R) if new == "left" else (R, L)
                        eq_nearer += win_["tdn"] > lose["tdn"]
                if (L["flips"] > 0) != (R["flips"] > 0):
                    one_n, one_chg = one_n + 1, one_chg + (old != new)
                if L["turns"] != R["turns"]:
                    dt_n += 1
                    more = "left" if L["turns"] > R["turns"] else "right"
                    if old == more and new not in (more, "equal"):
                        m2f += 1
                    if old not in (more, "equal") and new == more:
                        f2m += 1
            row[credit] = dict(chg=chg, s2e=s2e, s2o=s2o, eq_n=eq_n_, eq_strict=eq_strict, eq_nearer=eq_nearer,
                               one_n=one_n, one_chg=one_chg, dt_n=dt_n, m2f=m2f, f2m=f2m)
        out.append(row)
    return out, agreed, len(facts)


def main():
    global EXP
    EXP = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)
    print("per seed & window: cmp, clips; touchdown_nearness over the window's queried clips: mean [q1 med q3] share>0;")
    print("per credit: chg = outcome changes / cmp, s>e/s>x = strict->equal / strict->other side (counts); eq>strict = of pairs 'equal' before, became strict (of those, winner has higher tdn);")
    print("1flip = of pairs where exactly one clip has a clean flip (judge), outcome changed; M>F / F>M = dTurn pairs flipping from "
          "preferring more full turns to fewer / fewer to more (of dTurn pairs)")
    for seed in (1, 2, 3):
        rows, (eq_ok, eq_n, ne_ok, ne_n), nclips = seed_rows(seed)
        print(f"== learned-s{seed}: {nclips} clips; f32 port vs recorded answers: predicted-equal {eq_ok}/{eq_n}, predicted-better {ne_ok}/{ne_n}")
        hdr = " | ".join(f"c={c}: chg% s>e/s>x eq>strict(nearer) 1flip M>F/F>M(dT)" for c in CREDITS)
        print(f"{'window':10} {'cmp':>4} {'clips':>5} {'tdn mean [q1 med q3] >0':>29} | {hdr}")
        for r in rows:
            parts = []
            for c in CREDITS:
                d = r[c]
                parts.append(f"{100 * d['chg'] / r['n']:5.1f}% {d['s2e']:>2}/{d['s2o']:<2} {d['eq_strict']:>3}/{d['eq_n']:<3}({d['eq_nearer']:>3}) "
                             f"{d['one_chg']:>2}/{d['one_n']:<3} {d['m2f']:>2}/{d['f2m']:<2}({d['dt_n']:>3})")
            q = r["q"]
            print(f"{r['name']:10} {r['n']:>4} {r['clips']:>5} {r['tdn_mean']:.3f} [{q[0]:.2f} {q[1]:.2f} {q[2]:.2f}] "
                  f"{100 * r['tdn_pos']:4.0f}% | " + " | ".join(parts))


if __name__ == "__main__":
    main()
