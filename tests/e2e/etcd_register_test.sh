#!/usr/bin/env bash
# End-to-end: a 30 s etcd register test with partitions and kills on a 3-node
# local cluster must be valid, with >= 1000 ok operations (some after the
# final heal ops of the nemesis schedule), a report and node logs; afterwards no iptables rule, stopped
# process or etcd process may remain on any node. Needs root.
#   etcd_register_test.sh FAULTLINE_BINARY
set -euo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init "$1" e2e-etcd
command -v etcd >/dev/null || fail "etcd is not installed (scripts/install-deps.sh)"

"$faultline" cluster up --nodes 3 --name "$name" >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "cluster up"; }
nodes_file=$("$faultline" cluster status --name "$name" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes_file"])')

set +e
"$faultline" test --target etcd --workload register --nemesis partition,kill \
  --time-limit 30 --nemesis-interval 5 --nodes-file "$nodes_file" --concurrency 2n \
  --seed 42 --store "$work/store" >"$work/test.out" 2>"$work/test.err"
code=$?
set -e
cat "$work/test.out"
run="$work/store/latest"
[ "$code" -eq 0 ] || { tail -50 "$run/harness.log" 2>/dev/null; tail -5 "$work/test.err"; fail "exit code $code, expected 0 (valid)"; }

python3 - "$run" <<'PY' || fail "history/results checks"
import json, sys, os
run = sys.argv[1]
results = json.load(open(os.path.join(run, "results.json")))
assert results["valid"] is True, results["valid"]
ops = [json.loads(l) for l in open(os.path.join(run, "history.jsonl"))]
ok = [o for o in ops if o["type"] == "ok" and o["process"] != "nemesis"]
assert len(ok) >= 1000, f"only {len(ok)} ok operations"
# The final heal: the nemesis schedule's last ops (stop-partition, start).
heal = max(i for i, o in enumerate(ops) if o["process"] == "nemesis")
assert ops[heal]["f"] == "start", ops[heal]
after = [o for o in ops[heal:] if o["type"] == "ok" and o["process"] != "nemesis"]
assert after, "no ok operation after the final heal"
faults = {o["f"] for o in ops if o["process"] == "nemesis"}
assert {"start-partition", "kill"} & faults, f"no faults injected: {faults}"
print(f"ok ops: {len(ok)}, after heal: {len(after)}, nemesis: {sorted(faults)}")
PY
[ -s "$run/report.html" ] || fail "no report.html"
[ -s "$run/junit.xml" ] || fail "no junit.xml"
ls "$run"/nodes/n1/* >/dev/null 2>&1 || fail "no node logs downloaded"

# Nothing left on the nodes: no partition rule, no stopped process, no etcd.
for k in 1 2 3; do
  ns=faultline-$name-n$k
  rules=$(ip netns exec "$ns" iptables -S 2>/dev/null | grep -c -- "-j DROP" || true)
  [ "$rules" -eq 0 ] || fail "n$k still has $rules DROP rules"
done
# Only this test's cluster counts: other clusters on the machine may run etcd.
pids=$(pgrep -x etcd || true)
for p in $pids; do
  case "$(ip netns identify "$p" 2>/dev/null)" in
    "faultline-$name-"*) fail "an etcd process ($p) still runs in a node" ;;
  esac
done
stopped=$(ps -eo stat=,comm= | awk '$1 ~ /^T/ {print $2}' | grep -c etcd || true)
[ "$stopped" -eq 0 ] || fail "stopped etcd processes remain"
echo PASS
