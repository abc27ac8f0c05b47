#!/usr/bin/env bash
# SIGINT in the middle of a run with partitions and kills: the test stops,
# heals the cluster (no partition rule, no stopped process remains), tears the
# target down, and `faultline analyze` checks the partial history. Needs root.
#   interrupt_test.sh FAULTLINE_BINARY
set -euo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init "$1" e2e-int

"$faultline" cluster up --nodes 3 --name "$name" >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "cluster up"; }
nodes_file=$("$faultline" cluster status --name "$name" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes_file"])')

"$faultline" test --target etcd --nemesis partition,pause --time-limit 120 --nemesis-interval 2 \
  --nodes-file "$nodes_file" --seed 7 --store "$work/store" >"$work/out" 2>"$work/err" &
pid=$!
# Interrupt once a fault is in place (or after 40 s at most).
for _ in $(seq 1 80); do
  sleep 0.5
  if grep -q "nemesis start-partition\|nemesis pause" "$work"/store/*/*/harness.log 2>/dev/null; then break; fi
done
sleep 1
kill -INT "$pid"
set +e
wait "$pid"
code=$?
set -e
echo "test exited $code"
case "$code" in 0|1|2) ;; *) tail -30 "$work"/store/latest/harness.log; fail "exit $code after SIGINT";; esac
run="$work/store/latest"
grep -q "heal" "$run/harness.log" || fail "no heal in harness.log"
grep -q "phase run: interrupted" "$run/harness.log" || fail "run phase not marked interrupted"
grep -q "\"interrupted\": true" "$run/results.json" || fail "results.json does not say interrupted"
for k in 1 2 3; do
  rules=$(ip netns exec "faultline-$name-n$k" iptables -S 2>/dev/null | grep -c -- "-j DROP" || true)
  [ "$rules" -eq 0 ] || fail "n$k still has $rules DROP rules after SIGINT"
done
stopped=$(ps -eo stat=,comm= | awk '$1 ~ /^T/' | grep -c etcd || true)
[ "$stopped" -eq 0 ] || fail "paused etcd processes remain after SIGINT"
[ -s "$run/history.jsonl" ] || fail "no history"
set +e
"$faultline" analyze "$run" >"$work/analyze.out" 2>&1
acode=$?
set -e
cat "$work/analyze.out"
case "$acode" in 0|1|2) ;; *) fail "analyze exit $acode";; esac
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert "linearizability" in r["checkers"]' "$run/results.json" \
  || fail "analyze did not write checker results"
echo PASS
