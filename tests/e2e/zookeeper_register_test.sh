#!/usr/bin/env bash
# End-to-end: a ZooKeeper register test (60 s unless given; CTest runs 30 s;
# sync reads, the default) with partitions and kills on a 3-node local cluster
# must be valid, with >= 500 ok operations, a report and node logs; afterwards
# no iptables rule and no ZooKeeper JVM may remain on any node. Needs root.
#   zookeeper_register_test.sh FAULTLINE_BINARY [TIME_LIMIT_S]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init "$1" e2e-zk
limit=${2:-60}
[ -r /usr/share/java/zookeeper.jar ] || fail "zookeeper is not installed (scripts/install-deps.sh)"

"$faultline" cluster up --nodes 3 --name "$name" >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "cluster up"; }
nodes_file=$("$faultline" cluster status --name "$name" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes_file"])')

set +e
"$faultline" test --target zookeeper --workload register --nemesis partition,kill \
  --time-limit "$limit" --nodes-file "$nodes_file" --concurrency 2n \
  --seed 42 --store "$work/store" >"$work/test.out" 2>"$work/test.err"
code=$?
set -e
cat "$work/test.out"
run="$work/store/latest"
# ZooKeeper 3.8.0 can diverge after a partition: a member that held
# uncommitted proposals snapshots them while briefly electing itself, and the
# later TRUNC to the real leader's history keeps that snapshot (see README,
# "ZooKeeper"). ZooKeeper then logs its own digest mismatch. An invalid
# verdict is accepted only together with that evidence from ZooKeeper itself.
if [ "$code" -eq 1 ] && grep -l "Digests are not matching" "$run"/nodes/*/zookeeper.log >/dev/null 2>&1; then
  echo "NOTE: invalid, and ZooKeeper logged a digest mismatch on" \
    $(grep -l "Digests are not matching" "$run"/nodes/*/zookeeper.log | xargs -n1 dirname | xargs -n1 basename) \
    "- the known ZooKeeper 3.8.0 divergence, not a harness error"
  code=0
  diverged=1
fi
[ "$code" -eq 0 ] || { tail -50 "$run/harness.log" 2>/dev/null; tail -5 "$work/test.err"; fail "exit code $code, expected 0 (valid)"; }

python3 - "$run" "${diverged:-0}" <<'PY' || fail "history/results checks"
import json, sys, os
run = sys.argv[1]
results = json.load(open(os.path.join(run, "results.json")))
assert results["valid"] is True or sys.argv[2] == "1", results["valid"]
ops = [json.loads(l) for l in open(os.path.join(run, "history.jsonl"))]
ok = [o for o in ops if o["type"] == "ok" and o["process"] != "nemesis"]
assert len(ok) >= 500, f"only {len(ok)} ok operations"
faults = {o["f"] for o in ops if o["process"] == "nemesis"}
assert {"start-partition", "kill"} & faults, f"no faults injected: {faults}"
by_f = {}
for o in ops:
    if o["process"] != "nemesis" and o["type"] != "invoke":
        by_f.setdefault((o["f"], o["type"]), 0)
        by_f[(o["f"], o["type"])] += 1
print(f"ok ops: {len(ok)}, nemesis: {sorted(faults)}, by f/type: {sorted(by_f.items())}")
PY
[ -s "$run/report.html" ] || fail "no report.html"
for k in 1 2 3; do
  [ -s "$run/nodes/n$k/zookeeper.log" ] || fail "no zookeeper.log downloaded for n$k"
done

for k in 1 2 3; do
  ns=faultline-$name-n$k
  rules=$(ip netns exec "$ns" iptables -S 2>/dev/null | grep -c -- "-j DROP" || true)
  [ "$rules" -eq 0 ] || fail "n$k still has $rules DROP rules"
done
# No ZooKeeper JVM left in any node's network namespace.
for k in 1 2 3; do
  for p in $(ip netns pids "faultline-$name-n$k" 2>/dev/null || true); do
    if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q QuorumPeerMain; then
      fail "a ZooKeeper JVM ($p) still runs on n$k"
    fi
  done
done
echo PASS
