#!/usr/bin/env bash
# End-to-end, no false alarms: 15 s register tests without a nemesis on a
# 3-node local cluster, against redis-sentinel and against redis-cluster, must
# both be valid with >= 1000 ok operations and node logs; afterwards no
# redis-server or redis-sentinel may run in any node. Needs root.
#   redis_register_test.sh FAULTLINE_BINARY
# FAULTLINE_E2E_CLUSTER names the cluster (default e2e-redis).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init "$1" e2e-redis
for b in redis-server redis-sentinel redis-cli; do
  command -v $b >/dev/null || fail "$b is not installed (scripts/install-deps.sh)"
done

"$faultline" cluster up --nodes 3 --name "$name" >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "cluster up"; }
nodes_file=$("$faultline" cluster status --name "$name" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes_file"])')

for target in redis-sentinel redis-cluster; do
  set +e
  "$faultline" test --target $target --workload register --time-limit 15 \
    --nodes-file "$nodes_file" --concurrency 2n --seed 7 --store "$work/store" \
    >"$work/test.out" 2>"$work/test.err"
  code=$?
  set -e
  cat "$work/test.out"
  run="$work/store/latest"
  [ "$code" -eq 0 ] || { tail -50 "$run/harness.log" 2>/dev/null; tail -5 "$work/test.err"; fail "$target: exit code $code, expected 0 (valid)"; }
  python3 - "$run" <<'PY' || fail "$target: history/results checks"
import json, sys, os
run = sys.argv[1]
results = json.load(open(os.path.join(run, "results.json")))
assert results["valid"] is True, results["valid"]
ops = [json.loads(l) for l in open(os.path.join(run, "history.jsonl"))]
ok = [o for o in ops if o["type"] == "ok" and o["process"] != "nemesis"]
assert len(ok) >= 1000, f"only {len(ok)} ok operations"
errors = {o.get("error") for o in ops if o["type"] == "fail"}
assert errors <= {"cas-mismatch"}, f"unexpected failures without faults: {errors}"
print(f"ok ops: {len(ok)}")
PY
  ls "$run"/nodes/n1/redis.log >/dev/null 2>&1 || fail "$target: no node logs downloaded"
done

# Nothing left on the nodes: no redis-server or redis-sentinel in their network
# namespaces.
for k in 1 2 3; do
  for p in $(ip netns pids "faultline-$name-n$k" 2>/dev/null || true); do
    comm=$(cat /proc/$p/comm 2>/dev/null || true)
    case "$comm" in
      redis-server|redis-sentinel|redis-check-rdb) fail "n$k still runs $comm ($p)" ;;
    esac
  done
done
echo PASS
