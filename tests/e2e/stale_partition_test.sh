#!/usr/bin/env bash
# A controller killed with SIGKILL in the middle of a partition leaves DROP
# rules behind. The next test's setup clears them on every node (and says so)
# before it sets etcd up, and runs normally. Also: `cluster up` on a cluster
# that is up refuses (exit 254) or, with --reuse, keeps it; progress written
# to a file is whole lines, never '\r'. Needs root.
#   stale_partition_test.sh FAULTLINE_BINARY
set -euo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init "$1" e2e-stale
e2e_before_cleanup() { [ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null; }

"$faultline" cluster up --nodes 3 --name "$name" >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "cluster up"; }
set +e
"$faultline" cluster up --nodes 3 --name "$name" >"$work/up2.log" 2>&1
code=$?
set -e
[ "$code" -eq 254 ] || { cat "$work/up2.log"; fail "second cluster up exited $code (expected 254)"; }
grep -q "already up" "$work/up2.log" || fail "second cluster up does not say the cluster is up"
"$faultline" cluster up --nodes 3 --name "$name" --reuse >"$work/up3.log" 2>&1 || { cat "$work/up3.log"; fail "cluster up --reuse"; }
nodes_file=$("$faultline" cluster status --name "$name" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes_file"])')

drops() {
  local total=0 k rules
  for k in 1 2 3; do
    rules=$(ip netns exec "faultline-$name-n$k" iptables -S FAULTLINE 2>/dev/null | grep -c -- "-j DROP" || true)
    total=$((total + rules))
  done
  echo "$total"
}

"$faultline" test --target etcd --nemesis partition --time-limit 60 --nemesis-interval 1 \
  --nodes-file "$nodes_file" --seed 11 --store "$work/store" >"$work/out1" 2>"$work/err1" &
pid=$!
# SIGKILL while a partition is in place (or give up after 60 s).
for _ in $(seq 1 120); do
  sleep 0.5
  if [ "$(drops)" -gt 0 ]; then break; fi
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
pid=
left=$(drops)
[ "$left" -gt 0 ] || fail "no DROP rule was in place when the controller was killed"
echo "killed the controller with $left DROP rules in place"

set +e
"$faultline" test --target etcd --time-limit 3 --nodes-file "$nodes_file" --seed 12 \
  --store "$work/store2" >"$work/out2" 2>"$work/err2"
code=$?
set -e
cat "$work/err2"
[ "$code" -eq 0 ] || { tail -30 "$work"/store2/latest/harness.log; fail "the next test exited $code (expected 0)"; }
grep -q "cleared the partition" "$work/err2" || fail "the next test did not say it cleared the partition"
[ "$(drops)" -eq 0 ] || fail "DROP rules remain"
if grep -q $'\r' "$work/err2" "$work/err1"; then fail "progress written to a file holds '\\r'"; fi
echo PASS
