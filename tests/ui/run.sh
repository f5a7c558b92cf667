#!/usr/bin/env bash
# The real-window test: the viewer in a real X window under Xvfb, drawn by Mesa's software
# Vulkan (llvmpipe). It starts `backflip train --labeler human` on a tiny budget, answers three
# queries with the arrow keys (xdotool), takes a screenshot, closes the window with Escape, and
# checks that the answers landed in comparisons.jsonl and that the screenshot is not blank.
# It skips, saying so, where Xvfb, xdotool, ImageMagick or Mesa's Vulkan driver is missing.
#   usage: tests/ui/run.sh BACKFLIP_BINARY [SCREENSHOT_OUT]
set -euo pipefail
BIN=${1:?usage: tests/ui/run.sh BACKFLIP_BINARY [SCREENSHOT_OUT]}
SHOT_OUT=${2:-}
for tool in Xvfb xdotool import convert; do
    if ! command -v "$tool" >/dev/null; then echo "ui test skipped: $tool is not installed"; exit 0; fi
done
if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
    echo "ui test skipped: Mesa's software Vulkan driver (mesa-vulkan-drivers) is not installed"; exit 0
fi
WORK=$(mktemp -d)
echo "ui test: work folder $WORK"
DISPLAY_NUM=:$((90 + RANDOM % 9))
Xvfb "$DISPLAY_NUM" -screen 0 1280x720x24 >/dev/null 2>&1 &
XVFB=$!
trap 'kill $XVFB 2>/dev/null || true; kill $APP 2>/dev/null || true' EXIT
export DISPLAY=$DISPLAY_NUM
sleep 1
RUN=$WORK/run
"$BIN" train --labeler human --comparisons 8 --steps 8192 --out "$RUN" >"$WORK/app.log" 2>&1 &
APP=$!
# Wait for the window and for the first query (the initial clips are recorded first).
for _ in $(seq 1 120); do
    if xdotool search --name "backflip" >/dev/null 2>&1 && [ -d "$RUN/clips" ] && [ -n "$(ls "$RUN/clips")" ]; then break; fi
    sleep 0.5
done
WIN=$(xdotool search --name "backflip" | head -1)
[ -n "$WIN" ] || { echo "ui test FAILED: no window"; cat "$WORK/app.log"; exit 1; }
sleep 3
# Keys go through XTEST to the focused window (winit ignores synthetic --window events).
xdotool windowfocus "$WIN" 2>/dev/null
# Each key answers the query on screen; on a loaded machine the next query can take a while to
# appear (a key with no query showing does nothing), so a key is pressed again until its answer
# is in the store, waiting 5 s each time (the answer is appended within milliseconds).
answers() { local n; n=$(grep -c '"type":"comparison"' "$RUN/comparisons.jsonl" 2>/dev/null); echo "${n:-0}"; }
for key in Left Right Up; do
    before=$(answers)
    for _ in 1 2 3 4 5 6; do
        xdotool key "$key" 2>/dev/null
        for _ in $(seq 1 10); do [ "$(answers)" -gt "$before" ] && break 2; sleep 0.5; done
    done
done
sleep 1
import -window root "$WORK/shot.png"
xdotool key Escape 2>/dev/null || true
for _ in $(seq 1 60); do kill -0 $APP 2>/dev/null || break; sleep 0.5; done
LINES=$(grep -c '"type":"comparison"' "$RUN/comparisons.jsonl" || true)
ANSWERS=$(grep -o '"answer":"[a-z_]*"' "$RUN/comparisons.jsonl" | head -3 | tr '\n' ' ')
STD=$(convert "$WORK/shot.png" -colorspace Gray -format '%[fx:standard_deviation]' info:)
echo "ui test: $LINES answers in the store ($ANSWERS), screenshot grey-level std $STD"
[ -n "$SHOT_OUT" ] && cp "$WORK/shot.png" "$SHOT_OUT"
if [ "$LINES" -lt 3 ]; then echo "ui test FAILED: expected 3 answers"; cat "$WORK/app.log"; exit 1; fi
case "$ANSWERS" in
    *'"answer":"left" "answer":"right" "answer":"equal"'*) ;;
    *) echo "ui test FAILED: answers out of order: $ANSWERS"; exit 1 ;;
esac
awk -v s="$STD" 'BEGIN { exit !(s > 0.02) }' || { echo "ui test FAILED: the screenshot is blank"; exit 1; }
# The labeler report names the person who answered in the window (the login) with their answers.
REPORT=$("$BIN" labelers "$RUN" 2>&1) || { echo "ui test FAILED: backflip labelers: $REPORT"; exit 1; }
echo "$REPORT"
echo "$REPORT" | awk -F'|' -v n="$LINES" '$2 !~ /labeler|teacher|---/ && $3 + 0 == n { found = 1 } END { exit !found }' \
    || { echo "ui test FAILED: no labeler row with the $LINES answers given in the window"; exit 1; }
echo "ui test passed"
# Passed: its work folder goes (a failure keeps it for reading, and says where it is).
rm -rf "$WORK"
