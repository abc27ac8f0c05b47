#!/usr/bin/env bash
# SIGKILL of the controller in the middle of a run (no chance to clean up):
# history.jsonl still holds whole lines in order, a prefix of the run;
# store/latest already points at the run; `faultline analyze` checks it and
# says unknown (the run never completed, interrupted at phase run). A last
# line cut mid-way is analyzed without it, with a warning. Uses the in-memory
# target: no cluster, no root.
#   kill_controller_test.sh FAULTLINE_BINARY
set -euo pipefail
faultline=$1
work=$(mktemp -d /tmp/faultline-kill.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$faultline" test --target memory --time-limit 60 --seed 3 --store "$work/store" \
  >"$work/out" 2>&1 &
pid=$!
# Kill once operations are being recorded (or after 20 s at most).
for _ in $(seq 1 40); do
  sleep 0.5
  lines=$(cat "$work"/store/memory-register/*/history.jsonl 2>/dev/null | wc -l)
  [ "$lines" -ge 1000 ] && break
done
sleep 0.5
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
run=$(ls -d "$work"/store/memory-register/*/ | head -1)
[ "$(readlink -f "$work/store/latest")" = "$(readlink -f "$run")" ] || fail "store/latest does not point at the killed run"
[ -s "$run/history.jsonl" ] || fail "no history after SIGKILL"
[ ! -e "$run/results.json" ] || fail "results.json exists: the run was not killed mid-way"
# Every line whole and the indices 0, 1, 2, ... with no gap: a prefix.
python3 - "$run/history.jsonl" <<'PY' || fail "history.jsonl is not a whole-line prefix"
import json, sys
with open(sys.argv[1]) as f:
    text = f.read()
assert text.endswith("\n"), "last line is cut"
for i, line in enumerate(text.splitlines()):
    assert json.loads(line)["index"] == i, f"line {i + 1}: index out of order"
print(f"{i + 1} whole lines in order")
PY
set +e
"$faultline" analyze "$run" >"$work/analyze.out" 2>&1
code=$?
set -e
cat "$work/analyze.out"
[ "$code" -eq 2 ] || fail "analyze of the killed run exited $code (expected 2: unknown)"
grep -q "linearizability  valid" "$work/analyze.out" || fail "linearizability was not checked"
grep -q "interrupted at phase run" "$work/analyze.out" || fail "analyze does not say where the run stopped"
# A crash in the middle of a line: analyzed without it, with a warning.
printf '{"index":999999,"time":1,"type":"inv' >>"$run/history.jsonl"
set +e
"$faultline" analyze "$run" >"$work/analyze2.out" 2>&1
code=$?
set -e
cat "$work/analyze2.out"
[ "$code" -eq 2 ] || fail "analyze of a history with a cut last line exited $code (expected 2)"
grep -q "cut mid-way" "$work/analyze2.out" || fail "no warning about the cut line"
echo "PASS"
