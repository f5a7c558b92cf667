#!/usr/bin/env python3
"""What a hop-forward run's comparisons were about: for each saved clip, the share of its steps
that are "healthy" (torso centre above 0.7 m, pitch within 0.2 rad of upright: the standard
Hopper's rule, src/task/forward.rs) and how far the torso moved; then, over the answers, how
often the answer was the clip that went further, and in how many pairs the healthy steps
differ by more than 20 (docs/notebook/2026-12-05-landing-credit.md).

    python3 docs/notebook/analysis/hop_answers.py RUN [RUN ...]

The backflip binary is $BACKFLIP, or the release build under $CARGO_TARGET_DIR (default
~/.cache/backflip-target).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as ab  # noqa: E402  (the binary, `clip export`, the wrapped angle)


def healthy(info):
    """The standard Hopper's health (src/task/forward.rs `is_healthy`)."""
    return info["z"] > 0.7 and abs(ab.wrap(info["pitch"])) < 0.2


def clip_facts(run, cid):
    clip = ab.clip_json(run, cid)
    infos = [s["info"] for s in clip["steps"]]
    return {"healthy_steps": sum(1 for i in infos if healthy(i)), "steps": len(infos), "dx": infos[-1]["x"] - infos[0]["x"]}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for run in sys.argv[1:]:
        clips = {f[:-5]: clip_facts(run, f[:-5]) for f in sorted(os.listdir(os.path.join(run, "clips")))}
        rows = [json.loads(line) for line in open(os.path.join(run, "comparisons.jsonl"))]
        rows = [r for r in rows if r.get("type") == "comparison"]
        strict = [r for r in rows if r["answer"] in ("left", "right")]
        further = sum(1 for r in strict if (clips[r["left"]]["dx"] > clips[r["right"]]["dx"]) == (r["answer"] == "left"))
        contrast = sum(1 for r in strict if abs(clips[r["left"]]["healthy_steps"] - clips[r["right"]]["healthy_steps"]) > 20)
        share = sum(c["healthy_steps"] for c in clips.values()) / sum(c["steps"] for c in clips.values())
        print(f"{run}: {len(rows)} answers, {len(strict)} strict; the answer was the clip that went further in "
              f"{further / len(strict):.1%}; pairs whose healthy steps differ by more than 20: {contrast}; "
              f"healthy share of the saved clips' steps: {share:.1%}")


if __name__ == "__main__":
    main()
