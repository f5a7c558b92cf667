#!/usr/bin/env python3
"""What the policy does with its turns: reads episodes exported by
`backflip eval RUN --episodes N --export DIR` and prints, per episode, the full backward turns
of the torso, how long each took, the share of its steps with nothing on the ground, the
highest torso centre during it, and how far the body that turned least turned meanwhile;
then how the turns came down: which body touched first, and how far from upright.
Shows tumbling (many fast, low turns) apart from flipping, and a fold apart from a flip: the
torso can swing a full turn through its own legs (the links do not collide with each other),
while in a flip every body turns (docs/notebook/2026-12-05-main-job-levers.md). It also counts
the flips again by the rule before the backflip scene's `foot_down_beyond_deg`, and says how
far from upright each of those came down: a turn that comes down upside down on the foot and
pivots back up met that rule without landing (docs/notebook/2026-12-06-foot-down.md). The
judge's rule is the one `backflip eval --export` wrote beside the episodes (DIR/judge.json), or
the backflip scene's (the foot down beyond 90 degrees) in an export made before it wrote one.

    python3 scripts/turn_report.py DIR
"""
import glob
import json
import math
import sys

# A turn counts as the whole body's when every body turned at least this much with the torso.
WHOLE_BODY_DEG = 270.0
# How a turn came down: touchdowns after at least this much backward turn, from at least this
# many control steps with nothing on the ground (a jump, not a roll).
TOUCHDOWN_DEG = 270.0
AIR_STEPS = 10
# The backflip scene's foot_down_beyond_deg (scenes/hopper-backflip.ron): the foot on the ground
# with the torso further than this from upright is down, as another body is. Exports from
# `backflip eval --export` since 2026-12-07 say their run's own in judge.json (foot_down_limit).
FOOT_DOWN_BEYOND_DEG = 90.0


def unwrapped_pitches(steps, body):
    """The body's pitch (rotation about -y, as the torso's `pitch`) at each step, unwrapped."""
    out = []
    for s in steps:
        _, qy, _, qw = s["poses"][body]["rot"]
        a = -2.0 * math.atan2(qy, qw)
        if out:
            a = out[-1] + (a - out[-1] + math.pi) % (2 * math.pi) - math.pi
        out.append(a)
    return out


def wrapped(pitch):
    """The pitch (radians) wrapped to one turn about upright, -pi to pi."""
    return (pitch + math.pi) % (2 * math.pi) - math.pi


def wrapped_deg(pitch):
    return math.degrees(wrapped(pitch))


def foot_down(contacts, pitch, foot_bits, foot_down_deg):
    """The foot on the ground with the torso more than foot_down_deg from upright (0: never) is
    down, as another body is (the scene's foot_down_beyond_deg, TurnRule::down)."""
    return bool(contacts & foot_bits) and foot_down_deg > 0 and abs(wrapped_deg(pitch)) > foot_down_deg


def clean_flips(infos, dt, foot_bits, foot_down_deg=FOOT_DOWN_BEYOND_DEG):
    """The judge's clean backflips (docs/design.md), counted again here: (start, landing) step
    pairs, the start being the lowest torso pitch the turn is measured from. The hopper is down
    when a body other than the foot touches, or the foot does with the torso more than
    `foot_down_deg` from upright (0: never)."""
    min_turn, upright, hold = math.radians(330), math.radians(30), math.ceil(0.3 / dt - 1e-9)
    flips, low, low_at, landed = [], infos[0]["pitch"], 0, None
    for t, s in enumerate(infos):
        if s["contacts"] & ~foot_bits or foot_down(s["contacts"], s["pitch"], foot_bits, foot_down_deg):
            landed, low, low_at = None, s["pitch"], t
            continue
        if landed is not None and t - landed[1] >= hold:
            flips.append(landed)
            landed = None
        if s["pitch"] < low:
            low, low_at = s["pitch"], t
        if landed is None and s["pitch"] - low >= min_turn and s["contacts"] & foot_bits and abs(wrapped(s["pitch"])) <= upright:
            landed = (low_at, t)
            low, low_at = s["pitch"], t
    return flips


def touchdowns(infos, foot_bits):
    """How the hopper came down from each airborne phase of at least AIR_STEPS steps in which the
    torso had turned at least TOUCHDOWN_DEG backward, counted from its lowest pitch since a
    body other than the foot last touched (the foot at any angle does not start it again, so
    that a pivot's touchdown is described too): (what touched first,
    degrees from upright). The angle is signed: positive past upright (over-rotated), negative
    short of it."""
    out, low, air = [], infos[0]["pitch"], 0
    for s in infos:
        c = s["contacts"]
        if c == 0:
            air += 1
            low = min(low, s["pitch"])
            continue
        if air >= AIR_STEPS and math.degrees(s["pitch"] - low) >= TOUCHDOWN_DEG:
            what = "foot" if c == foot_bits else ("foot and another body" if c & foot_bits else "another body")
            out.append((what, wrapped_deg(s["pitch"])))
        air = 0
        low = s["pitch"] if c & ~foot_bits else min(low, s["pitch"])
    return out


def landing_touch_deg(infos, start, landing):
    """How far from upright (degrees) the torso was when the touch of the ground a flip landed
    on began: the first step on the ground after its last step in the air."""
    t = landing
    while t > start and infos[t - 1]["contacts"] != 0:
        t -= 1
    return abs(wrapped_deg(infos[t]["pitch"]))


def describe_touchdowns(downs):
    """One line per kind of touchdown: how many, and how far from upright."""
    bands = [(0, 30, "within 30 deg of upright"), (30, 60, "30 to 60 deg off"), (60, 90, "60 to 90 deg off"), (90, 181, "more than 90 deg off")]
    for what in ("foot", "foot and another body", "another body"):
        angles = [a for w, a in downs if w == what]
        if not angles:
            continue
        counts = ", ".join(f"{sum(lo <= abs(a) < hi for a in angles)} {name}" for lo, hi, name in bands)
        over = sum(a > 0 for a in angles)
        print(f"  on {what}: {len(angles)} ({counts}; {over} past upright, {len(angles) - over} short of it)")


def foot_down_limit(folder):
    """The foot-down limit the export's run was judged by: judge.json's, written beside the
    episodes by `backflip eval --export`, or the backflip scene's where an older export has none."""
    try:
        with open(f"{folder}/judge.json") as f:
            return float(json.load(f).get("foot_down_beyond_deg", 0.0))
    except FileNotFoundError:
        return FOOT_DOWN_BEYOND_DEG


def main():
    folder = sys.argv[1]
    limit = foot_down_limit(folder)
    # The foot is the last body in both scenes (scenes/*.ron); its contact bit is the foot's.
    totals, whole, flips_all, flips_whole, downs, before = [], 0, 0, 0, [], []
    for path in sorted(glob.glob(f"{folder}/*.json")):
        clip = json.load(open(path))
        if "steps" not in clip:
            continue  # not an episode: learned-reward.json, written beside them (docs/design.md)
        steps = clip["steps"]
        infos = [s["info"] for s in steps]
        bodies = [unwrapped_pitches(steps, b) for b in range(len(steps[0]["poses"]))]
        dt = clip["control_dt"]
        base = infos[0]["pitch"]
        turns, start = [], 0
        for t, info in enumerate(infos):
            if info["pitch"] - base >= 2 * math.pi * (len(turns) + 1):
                seg = infos[start:t + 1]
                least = min(math.degrees(p[t] - p[start]) for p in bodies)
                turns.append((len(seg) * dt, sum(s["contacts"] == 0 for s in seg) / len(seg), max(s["z"] for s in seg), least))
                start = t + 1
        foot_bits = 1 << (len(bodies) - 1)
        flips = clean_flips(infos, dt, foot_bits, foot_down_deg=limit)
        downs += touchdowns(infos, foot_bits)
        before += [landing_touch_deg(infos, t0, t) for t0, t in clean_flips(infos, dt, foot_bits, foot_down_deg=0)]
        flips_all += len(flips)
        flips_whole += sum(min(p[t] - p[t0] for p in bodies) >= math.radians(WHOLE_BODY_DEG) for t0, t in flips)
        totals.append(len(turns))
        whole += sum(least >= WHOLE_BODY_DEG for *_, least in turns)
        print(f"{clip['id']}: {len(turns)} full backward turns")
        for k, (secs, air, top, least) in enumerate(turns, 1):
            kind = "whole body" if least >= WHOLE_BODY_DEG else "fold"
            print(f"  turn {k}: {secs:.2f} s, airborne {air:.0%} of it, torso centre up to {top:.2f} m, "
                  f"least-turning body {least:.0f} deg ({kind})")
    if totals:
        print(f"mean full backward turns per episode: {sum(totals) / len(totals):.1f} over {len(totals)} episodes")
        print(f"turns of the whole body (every body at least {WHOLE_BODY_DEG:.0f} deg): {whole} of {sum(totals)}")
        rule = f"the foot down beyond {limit:.0f} deg from upright" if limit > 0 else "the foot never down"
        print(f"clean flips by the judge's rule ({rule}): {flips_all}, of the whole body: {flips_whole}")
        print(f"clean flips by the rule before it (the foot never down): {len(before)}; the touch each landed on began "
              f"{sum(a <= 30 for a in before)} within 30 deg of upright, {sum(30 < a <= FOOT_DOWN_BEYOND_DEG for a in before)} "
              f"30 to {FOOT_DOWN_BEYOND_DEG:.0f} deg off, {sum(a > FOOT_DOWN_BEYOND_DEG for a in before)} more "
              f"(came down upside down on the foot and pivoted up)")
        print(f"touchdowns after at least {TOUCHDOWN_DEG:.0f} deg of backward turn and {AIR_STEPS} steps in the air: {len(downs)}")
        describe_touchdowns(downs)


if __name__ == "__main__":
    main()
