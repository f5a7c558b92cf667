#!/usr/bin/env python3
"""What a run's learned reward paid along exported evaluation episodes, by the state the step
ended in: the turn so far (the observation's last number in the backflip scene) and what
touched the ground. Reads `backflip eval RUN --export DIR` (runs made from 2026-12-06 on write
DIR/learned-reward.json beside the episodes; docs/design.md, "A run folder").

    python3 docs/notebook/analysis/learned_reward_by_state.py DIR [INDEX]

INDEX picks the observation's number the bands are of: -1, the turn so far (the default), or
-2 in a scene that also observes the turn since upright (E28's,
docs/notebook/configs/hopper-backflip-turn-since-upright.ron, at most 2; E29's,
hopper-backflip-turn-count.ron, at most 10).

Prints the mean reward a step and the share of steps in each state, then each episode's summed
reward beside its clean flips (scripts/turn_report.py's count), so a reward that pays the
tumble above the landing shows as such. The flips are counted by the rule before 8b37466 (the
foot never down) and by the backflip scene's since (the foot down beyond 90 degrees from
upright): the exports do not say which their run had (docs/notebook/2026-12-06-foot-down.md).
"""
import collections
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import turn_report as tr  # noqa: E402  (clean_flips: the judge's counting)

DIR = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)
INDEX = int(sys.argv[2]) if len(sys.argv) > 2 else -1
# 2 is the cap of the turn so far and of E28's turn since upright; E29's counts on to 10.
TURN_BANDS = [(0.0, 0.5, "turn < 1/2"), (0.5, 1.0, "1/2 to 1"), (1.0, 1.5, "1 to 3/2"), (1.5, 2.01, "3/2 to 2"),
              (2.01, 3.0, "2 to 3"), (3.0, 101.0, "3 and more")]


def main():
    learned = json.load(open(os.path.join(DIR, "learned-reward.json")))
    sums = collections.defaultdict(float)
    counts = collections.Counter()
    episodes = []
    for eid, rewards in sorted(learned["episodes"].items()):
        clip = json.load(open(os.path.join(DIR, eid + ".json")))
        steps = clip["steps"]
        foot = 1 << (len(steps[0]["poses"]) - 1)  # the foot is the last body (turn_report.py)
        infos = [s["info"] for s in steps]
        for s, r in zip(steps, rewards):
            turn = s["obs"][INDEX]
            band = next(name for lo, hi, name in TURN_BANDS if lo <= turn < hi)
            c = s["info"]["contacts"]
            ground = "flying" if c == 0 else ("foot only" if c == foot else "another body")
            sums[(band, ground)] += r
            counts[(band, ground)] += 1
        flips = [len(tr.clean_flips(infos, clip["control_dt"], foot, foot_down_deg=d)) for d in (0, tr.FOOT_DOWN_BEYOND_DEG)]
        episodes.append((eid, sum(rewards), flips))
    total = sum(counts.values())
    print(f"learned reward model version {learned['version']}; {len(episodes)} episodes, {total} steps")
    print(f"{'turn so far' if INDEX == -1 else 'obs[' + str(INDEX) + ']':16} {'ground':13} {'steps':>7} {'share':>6} {'mean reward':>12}")
    for _, _, band in TURN_BANDS:
        for ground in ("foot only", "flying", "another body"):
            n = counts[(band, ground)]
            if n:
                print(f"{band:16} {ground:13} {n:>7} {n / total:>6.1%} {sums[(band, ground)] / n:>12.3f}")
    print(f"episode    summed reward  clean flips (foot never down / foot down beyond {tr.FOOT_DOWN_BEYOND_DEG:.0f} deg)")
    for eid, r, (before, rule) in episodes:
        print(f"{eid:10} {r:>13.1f}  {before:>11} / {rule}")


if __name__ == "__main__":
    main()
