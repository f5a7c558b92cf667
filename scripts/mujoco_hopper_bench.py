#!/usr/bin/env python3
"""The peer of `backflip bench sim`: the same Hopper in MuJoCo, stepped as our benchmark steps.

The MuJoCo model is generated from our scene file (bodies, joints, gear, damping, armature,
friction, control period), with MuJoCo's RK4 integrator as in the standard Hopper benchmark:
4 physics steps per control step, random controls in [-1, 1], a reset every 1000 control
steps. Prints one JSON object.

    pip install mujoco
    python3 scripts/mujoco_hopper_bench.py scenes/hopper-backflip.ron 100000

With `--ankle-response` it prints instead the ankle's rate after 1 and 4 control steps of
action 0.3 on the ankle, floating without gravity: the reference of the armature test in
tests/sim.rs. With `--knee-response`, the knee, ankle and torso pitch rates after 10 control
steps of action -0.3 on the knee, floating without gravity (the joint-coupling test there).
With `--limit-response`, how far full ankle torque drives the floating ankle past its limit, and
where it rests after 40 steps (the soft-limit test there). With `--limit-excess`, the farthest a
joint goes past its limit under random full torque (the bound of the random-torque test there).
With `--landing`, the hopper dropped from its initial pose (foot 4 cm up, no noise, zero
action): how deep the ground lets it sink and how the torso settles (the soft-contact test there).
"""
import json
import re
import sys
import time

import mujoco
import numpy as np


def nums(text):
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", text)]


def mjcf_from_scene(path):
    scene = open(path).read()
    bodies = {}
    for m in re.finditer(r'\(name: "(\w+)",\s*from: \(([^)]*)\), to: \(([^)]*)\), radius: ([\d.]+)(?:, is_foot: \w+)?(?:, friction: ([\d.]+))?', scene):
        bodies[m.group(1)] = (nums(m.group(2)), nums(m.group(3)), float(m.group(4)), m.group(5))
    joints = []
    for m in re.finditer(r'\(name: "(\w+)",\s*parent: "(\w+)",\s*child: "(\w+)",\s*anchor: \(([^)]*)\), range_deg: \(([^)]*)\), gear: ([\d.]+), damping: ([\d.]+), armature: ([\d.]+)', scene):
        joints.append((m.group(1), m.group(2), m.group(3), nums(m.group(4)), nums(m.group(5)), float(m.group(6)), float(m.group(7)), float(m.group(8))))
    # Our scene's control period (timestep x substeps) in MuJoCo's 4 physics steps.
    control_dt = nums(re.search(r"timestep: ([\d.]+)", scene).group(1))[0] * nums(re.search(r"substeps: (\d+)", scene).group(1))[0]
    timestep = control_dt / 4
    friction = nums(re.search(r"friction: ([\d.]+)", scene).group(1))[0]
    root = next(iter(bodies))

    def geom(name):
        (x0, z0), (x1, z1), r, friction = bodies[name]
        own = f' friction="{friction}"' if friction else ""
        return f'<geom type="capsule" fromto="{x0} 0 {z0} {x1} 0 {z1}" size="{r}"{own}/>'

    def body(name):
        kids = [j for j in joints if j[1] == name]
        inner = ""
        for jname, _, child, (ax, az), (lo, hi), _, damping, armature in kids:
            inner += (f'<body name="{child}"><joint name="{jname}" type="hinge" axis="0 -1 0" pos="{ax} 0 {az}" '
                      f'range="{lo} {hi}" limited="true" armature="{armature}" damping="{damping}"/>{geom(child)}{body(child)}</body>')
        return inner

    motors = "".join(f'<motor joint="{j[0]}" gear="{j[5]}" ctrllimited="true" ctrlrange="-1 1"/>' for j in joints)
    (x0, z0), (x1, z1), _, _ = bodies[root]
    cz = (z0 + z1) / 2
    return f"""<mujoco><compiler angle="degree" inertiafromgeom="true"/>
<option integrator="RK4" timestep="{timestep}"/>
<default><geom condim="3" friction="{friction}" density="1000"/></default>
<worldbody><geom type="plane" size="40 40 0.1"/>
<body name="{root}"><joint name="rootx" type="slide" axis="1 0 0" pos="0 0 {cz}" limited="false"/>
<joint name="rootz" type="slide" axis="0 0 1" pos="0 0 {cz}" limited="false"/>
<joint name="rooty" type="hinge" axis="0 1 0" pos="0 0 {cz}" limited="false"/>{geom(root)}{body(root)}</body>
</worldbody><actuator>{motors}</actuator></mujoco>"""


def floating(xml):
    """The model without gravity, and its data."""
    model = mujoco.MjModel.from_xml_string(xml.replace("<option ", '<option gravity="0 0 0" '))
    return model, mujoco.MjData(model)


def ankle_response(xml):
    model, data = floating(xml)
    rates = {}
    for steps in (1, 4):
        mujoco.mj_resetData(model, data)
        data.qpos[1] = 1.0  # lifted clear of the ground
        for _ in range(steps):
            data.ctrl[:] = [0.0] * (model.nu - 1) + [0.3]
            mujoco.mj_step(model, data, nstep=4)
        rates[f"ankle_rate_after_{steps}"] = data.qvel[-1]
    print(json.dumps({"peer": "mujoco " + mujoco.__version__, **rates}))


def knee_response(xml):
    model, data = floating(xml)
    data.qpos[1] = 1.0  # lifted clear of the ground
    for _ in range(10):
        data.ctrl[:] = [0.0, -0.3, 0.0]
        mujoco.mj_step(model, data, nstep=4)
    # Our pitch turns about -y; MuJoCo's root hinge turns about +y.
    print(json.dumps({"peer": "mujoco " + mujoco.__version__, "knee_rate": data.qvel[4], "ankle_rate": data.qvel[5],
                      "pitch_rate": -data.qvel[2]}))


def limit_response(xml):
    """Full ankle torque into the ankle's upper limit, floating: the ankle's angle (degrees)
    at its deepest and after 40 control steps. MuJoCo's limits give (solref 0.02, solimp 0.95)."""
    model, data = floating(xml)
    data.qpos[1] = 1.0  # lifted clear of the ground
    deepest = -1e9
    for _ in range(40):
        data.ctrl[:] = [0.0, 0.0, 1.0]
        mujoco.mj_step(model, data, nstep=4)
        deepest = max(deepest, np.degrees(data.qpos[5]))
    print(json.dumps({"peer": "mujoco " + mujoco.__version__, "ankle_deepest_deg": deepest,
                      "ankle_after_40_deg": np.degrees(data.qpos[5])}))


def limit_excess(xml, steps):
    """Random full torque (each motor +-1, drawn every step), a reset every 1000 steps, on the
    ground: the farthest any joint goes past its limit, in degrees (the bound of
    tests/sim.rs, random_torque_stays_planar_limited_and_finite)."""
    model = mujoco.MjModel.from_xml_string(xml)
    data = mujoco.MjData(model)
    rng = np.random.default_rng(11)
    lo, hi = model.jnt_range[3:, 0], model.jnt_range[3:, 1]
    worst = 0.0
    for i in range(steps):
        if i % 1000 == 0:
            mujoco.mj_resetData(model, data)
        data.ctrl[:] = np.where(rng.random(model.nu) < 0.5, 1.0, -1.0)
        mujoco.mj_step(model, data, nstep=4)
        q = data.qpos[3:]
        worst = max(worst, float(np.max(lo - q)), float(np.max(q - hi)))
    print(json.dumps({"peer": "mujoco " + mujoco.__version__, "limit_excess_deg": np.degrees(worst), "steps": steps}))


def landing(xml):
    """Zero action from the initial pose, on the ground: the deepest penetration of any
    contact (mm) and the control step it happens at, and the torso centre's height (m) after 10,
    20 and 40 control steps. MuJoCo's default contact gives (solref 0.02, solimp 0.9 to 0.95)."""
    model = mujoco.MjModel.from_xml_string(xml)
    data = mujoco.MjData(model)
    deepest, at, heights = 0.0, 0, {}
    for step in range(1, 41):
        data.ctrl[:] = 0.0
        mujoco.mj_step(model, data, nstep=4)
        for c in data.contact[:data.ncon]:
            if -c.dist > deepest:
                deepest, at = -c.dist, step
        if step in (10, 20, 40):
            heights[f"torso_z_after_{step}"] = float(data.geom_xpos[1][2])
    print(json.dumps({"peer": "mujoco " + mujoco.__version__, "deepest_mm": deepest * 1000, "deepest_step": at, **heights}))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    scene = args[0] if args else "scenes/hopper-backflip.ron"
    steps = int(args[1]) if len(args) > 1 else 100_000
    if "--ankle-response" in sys.argv:
        return ankle_response(mjcf_from_scene(scene))
    if "--knee-response" in sys.argv:
        return knee_response(mjcf_from_scene(scene))
    if "--limit-response" in sys.argv:
        return limit_response(mjcf_from_scene(scene))
    if "--landing" in sys.argv:
        return landing(mjcf_from_scene(scene))
    if "--limit-excess" in sys.argv:
        return limit_excess(mjcf_from_scene(scene), steps)
    model = mujoco.MjModel.from_xml_string(mjcf_from_scene(scene))
    data = mujoco.MjData(model)
    controls = np.random.default_rng(1).uniform(-1.0, 1.0, size=(steps, model.nu))
    start = time.perf_counter()
    for i in range(steps):
        if i % 1000 == 0:
            mujoco.mj_resetData(model, data)
        data.ctrl[:] = controls[i]
        mujoco.mj_step(model, data, nstep=4)
    elapsed = time.perf_counter() - start
    print(json.dumps({"peer": "mujoco " + mujoco.__version__, "steps_per_sec_single": steps / elapsed, "steps": steps}))


if __name__ == "__main__":
    main()
