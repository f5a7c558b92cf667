#!/usr/bin/env bash
# The GPU machine's check, in one call of at most 9 minutes (issue 17). Build here, carry the
# stripped binary, run this there:
#   CUDARC_CUDA_VERSION=12080 cargo build --release --no-default-features --features cuda
#   mkdir -p gpu && strip -o gpu/backflip "$CARGO_TARGET_DIR/release/backflip"   (.ci/run does)
#   (device tool) bash scripts/gpu-check.sh gpu/backflip      with carry ["gpu"]
# It prints what the machine has first, then: PPO on cuda against flex (bench agree), PPO's
# speed on cuda beside the CPU, the simulator and PPO on every core, the main job on cuda for
# what is left of MAIN_JOB_SECONDS and its eval, and one table last. Results also go to $OUT.
set -uo pipefail
BIN=${1:-gpu/backflip}
OUT=${OUT:-$(mktemp -d)}
MAIN_JOB_SECONDS=${MAIN_JOB_SECONDS:-300}
mkdir -p "$OUT"
log() { echo "== $*"; }
# The binary may travel compressed (xz -k gpu/backflip: about 10 MB instead of 61).
[ -x "$BIN" ] || { [ -f "$BIN.xz" ] && xz -dkf "$BIN.xz" && chmod +x "$BIN"; }

log "machine"
nvidia-smi || echo "no nvidia-smi"
nproc
for lib in libcuda.so libnvrtc.so; do
    echo "$lib: $(ldconfig -p 2>/dev/null | grep -m3 "$lib" | awk '{print $NF}' | tr '\n' ' ')"
done
echo "CUDA_PATH=${CUDA_PATH:-} $(ls -d /usr/local/cuda* /opt/cuda 2>/dev/null | tr '\n' ' ')"
"$BIN" --version || { echo "cannot run $BIN"; exit 1; }

run() { # name, seconds, command...: its JSON lines go to $OUT/name.json
    local name=$1 secs=$2; shift 2
    log "$name: $*"
    local t0=$SECONDS
    timeout "$secs" "$@" > "$OUT/$name.json" 2> "$OUT/$name.err"
    local rc=$?
    cat "$OUT/$name.json"; tail -3 "$OUT/$name.err"
    echo "$name: exit $rc after $((SECONDS - t0)) s" | tee -a "$OUT/status.txt"
}

run agree 90 "$BIN" bench agree --device cuda --iterations 2 --json
run ppo-cuda 90 "$BIN" bench ppo --device cuda --iterations 3 --json
run ppo-cuda-128 90 "$BIN" bench ppo --device cuda --iterations 3 --envs 128 --json
run ppo-flex 90 "$BIN" bench ppo --device flex --iterations 3 --json
run ppo-flex-128 90 "$BIN" bench ppo --device flex --iterations 3 --envs 128 --json
run sim 60 "$BIN" bench sim --envs 128 --json

# The main job on cuda: whatever it reaches in the time left, then its eval (Ctrl-C, as
# timeout's SIGINT, saves a checkpoint).
left=$((540 - SECONDS - 60)); [ "$left" -gt "$MAIN_JOB_SECONDS" ] && left=$MAIN_JOB_SECONDS
log "main job on cuda for at most $left s"
t0=$SECONDS
timeout -s INT "$left" "$BIN" train --labeler oracle --device cuda --out "$OUT/main-job" > "$OUT/main-job.log" 2>&1
echo "main job: exit $? after $((SECONDS - t0)) s" | tee -a "$OUT/status.txt"
tail -5 "$OUT/main-job.log"
timeout 60 "$BIN" eval "$OUT/main-job" --episodes 20 > "$OUT/eval.txt" 2>&1; cat "$OUT/eval.txt"
rm -rf "$OUT/main-job/clips" "$OUT/main-job/snapshots"

log "table"
python3 - "$OUT" <<'PY' || cat "$OUT"/*.json
import json, sys, os
out = sys.argv[1]
def rows(name):
    try:
        return [json.loads(l) for l in open(os.path.join(out, name + ".json")) if l.strip()]
    except Exception:
        return []
print("| check | figure |\n|---|---|")
for a in rows("agree"):
    r = a["iterations"][0]
    print(f"| PPO on cuda against flex, first iteration | mean actions apart by {r['max_action_diff']:.2e} (tolerance {a['tolerance']:.0e}): {'agrees' if a['agrees'] else 'DIFFERS'} |")
for name in ["ppo-flex", "ppo-flex-128", "ppo-cuda", "ppo-cuda-128"]:
    for b in rows(name):
        print(f"| bench ppo {name} | {b['env_steps_per_sec']:.0f} env steps/s, {100 * b['update_fraction']:.0f}% in updates |")
for s in rows("sim"):
    print(f"| bench sim | {s['steps_per_sec_single']:.0f} steps/s on one thread, {s['steps_per_sec_vec']:.0f} with {s['vec_envs']} envs on {s['threads']} threads |")
for line in open(os.path.join(out, "status.txt")):
    name, rest = line.split(":", 1)
    if not rest.strip().startswith("exit 0"):
        err = open(os.path.join(out, name + ".err")).read().strip().splitlines() if os.path.exists(os.path.join(out, name + ".err")) else []
        print(f"| {name} | failed ({rest.strip()}): {err[-1] if err else ''} |")
try:
    ev = json.load(open(os.path.join(out, "main-job", "eval.json")))
    print(f"| main job on cuda, {ev['env_steps']} env steps | success {ev['success_rate']}, clean flips/episode {ev['backflips_per_episode']} |")
except Exception as e:
    print(f"| main job on cuda | no eval ({e}) |")
PY
