#!/usr/bin/env bash
# End-to-end, no false alarms: on a 3-node local cluster, etcd's set under
# partitions and kills, its lock without faults and the lock-set workload
# without faults must all come out valid, with real work done (acknowledged
# adds all read back, locks acquired, lock-set elements kept). Needs root.
#   etcd_set_lock_test.sh FAULTLINE_BINARY
set -euo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init "$1" e2e-setlock
command -v etcd >/dev/null || fail "etcd is not installed (scripts/install-deps.sh)"

"$faultline" cluster up --nodes 3 --name "$name" >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "cluster up"; }
nodes_file=$("$faultline" cluster status --name "$name" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes_file"])')

# run WORKLOAD CHECK_PY ARGS...: the test must exit 0 (valid); CHECK_PY then
# asserts on results.json's checkers (bound to `c`).
run() {
  local workload=$1 check=$2
  shift 2
  set +e
  "$faultline" test --target etcd --workload "$workload" --nodes-file "$nodes_file" \
    --concurrency 2n --seed 7 --store "$work/store" "$@" >"$work/$workload.out" 2>"$work/$workload.err"
  local code=$?
  set -e
  cat "$work/$workload.out"
  local dir="$work/store/latest"
  [ "$code" -eq 0 ] || { tail -30 "$dir/harness.log" 2>/dev/null; fail "$workload: exit code $code, expected 0 (valid)"; }
  python3 - "$dir" "$check" <<'PY' || fail "$workload: results checks"
import json, sys, os
c = json.load(open(os.path.join(sys.argv[1], "results.json")))["checkers"]
exec(sys.argv[2])
PY
}

run set 'assert c["set"]["acknowledged_count"] >= 500, c["set"]
assert c["set"]["ok_count"] == c["set"]["acknowledged_count"], c["set"]
assert c["set"]["unread_keys"] == 0, c["set"]' \
  --nemesis partition,kill --nemesis-interval 5 --time-limit 25
run lock 'assert c["linearizability"]["model"] == "mutex"
assert c["stats"]["by_f"]["acquire"]["ok"] >= 20, c["stats"]["by_f"]' --time-limit 15
run lock-set 'assert c["set"]["ok_count"] >= 10, c["set"]
assert c["holders"]["overlap_count"] == 0' --time-limit 15 --lock-hold 300
echo "PASS"
