#!/usr/bin/env python3
"""The peer of `backflip bench sim`: the same Hopper in MuJoCo, stepped as our benchmark steps.

The MuJoCo model is generated from our scene file (bodies, joints, gear, damping, friction,
timestep), with MuJoCo's RK4 integrator and joint armature 1 as in the standard Hopper
benchmark: 4 physics steps per control step, random controls in [-1, 1], a reset every
1000 control steps. Prints one JSON object.

    pip install mujoco
    python3 scripts/mujoco_hopper_bench.py scenes/hopper-backflip.ron 100000
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
    for m in re.finditer(r'\(name: "(\w+)",\s*from: \(([^)]*)\), to: \(([^)]*)\), radius: ([\d.]+)', scene):
        bodies[m.group(1)] = (nums(m.group(2)), nums(m.group(3)), float(m.group(4)))
    joints = []
    for m in re.finditer(r'\(name: "(\w+)",\s*parent: "(\w+)",\s*child: "(\w+)",\s*anchor: \(([^)]*)\), range_deg: \(([^)]*)\), gear: ([\d.]+), damping: ([\d.]+)', scene):
        joints.append((m.group(1), m.group(2), m.group(3), nums(m.group(4)), nums(m.group(5)), float(m.group(6)), float(m.group(7))))
    timestep = nums(re.search(r"timestep: ([\d.]+)", scene).group(1))[0]
    friction = nums(re.search(r"friction: ([\d.]+)", scene).group(1))[0]
    root = next(iter(bodies))

    def geom(name):
        (x0, z0), (x1, z1), r = bodies[name]
        return f'<geom type="capsule" fromto="{x0} 0 {z0} {x1} 0 {z1}" size="{r}"/>'

    def body(name):
        kids = [j for j in joints if j[1] == name]
        inner = ""
        for jname, _, child, (ax, az), (lo, hi), _, damping in kids:
            inner += (f'<body name="{child}"><joint name="{jname}" type="hinge" axis="0 -1 0" pos="{ax} 0 {az}" '
                      f'range="{lo} {hi}" limited="true" armature="1" damping="{damping}"/>{geom(child)}{body(child)}</body>')
        return inner

    motors = "".join(f'<motor joint="{j[0]}" gear="{j[5]}" ctrllimited="true" ctrlrange="-1 1"/>' for j in joints)
    (x0, z0), (x1, z1), _ = bodies[root]
    cz = (z0 + z1) / 2
    return f"""<mujoco><compiler angle="degree" inertiafromgeom="true"/>
<option integrator="RK4" timestep="{timestep}"/>
<default><geom condim="3" friction="{friction}" density="1000"/></default>
<worldbody><geom type="plane" size="40 40 0.1"/>
<body name="{root}"><joint name="rootx" type="slide" axis="1 0 0" pos="0 0 {cz}" limited="false"/>
<joint name="rootz" type="slide" axis="0 0 1" pos="0 0 {cz}" limited="false"/>
<joint name="rooty" type="hinge" axis="0 1 0" pos="0 0 {cz}" limited="false"/>{geom(root)}{body(root)}</body>
</worldbody><actuator>{motors}</actuator></mujoco>"""


def main():
    scene = sys.argv[1] if len(sys.argv) > 1 else "scenes/hopper-backflip.ron"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
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
