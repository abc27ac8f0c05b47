#!/usr/bin/env bash
# End-to-end: HAProxy on two balancer nodes with keepalived (vrrp=true) on a
# 4-node local cluster.
#   1. no fault, 6 s: exactly one node (n1) holds the virtual address
#      throughout; valid.
#   2. --nemesis partition,kill, seed 2 (its first fault is a random-halves
#      partition between n1 and n2, its second a kill of n1): the partition
#      leaves both holding the address (split brain, invalid); after the
#      kill n2 takes it over within the VRRP bound (3 adverts + skew +
#      margin), while the SIGKILLed keepalived leaves its address behind.
# Afterwards no keepalived may run in the cluster, no node may carry the
# address, and no FAULTLINE rule may remain. Needs root.
#   vrrp_test.sh FAULTLINE_BINARY
set -euo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init "$1" e2e-vrrp
for b in nginx haproxy keepalived; do
  command -v "$b" >/dev/null || fail "$b is not installed (scripts/install-deps.sh)"
done

"$faultline" cluster up --nodes 4 --name "$name" >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "cluster up"; }
status=$("$faultline" cluster status --name "$name" --json)
nodes_file=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes_file"])' <<<"$status")
ssh_config=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["ssh_config"])' <<<"$status")

run_test() {  # expected-exit store nemesis time-limit seed
  local nemesis=()
  [ -n "$3" ] && nemesis=(--nemesis "$3" --nemesis-interval 5)
  set +e
  "$faultline" test --target haproxy --target-option vrrp=true --target-option inter_ms=500 \
    --workload balance "${nemesis[@]}" --time-limit "$4" --seed "$5" \
    --nodes-file "$nodes_file" --store "$work/$2" >"$work/$2.out" 2>"$work/$2.err"
  local code=$?
  set -e
  tail -12 "$work/$2.out"
  [ "$code" -eq "$1" ] || { tail -30 "$work/$2"/latest/harness.log 2>/dev/null; tail -5 "$work/$2.err"; fail "$2: exit $code, expected $1"; }
}

run_test 0 control "" 6 1
python3 - "$work/control/latest" <<'PY' || fail "control results"
import json, sys, os
c = json.load(open(os.path.join(sys.argv[1], "results.json")))["checkers"]["vrrp-split-brain"]
assert c["applicable"] is True and c["valid"] is True, c
assert c["split_brain"] == [], c["split_brain"]
assert len(c["held"]["n1"]) == 1 and c["held"]["n2"] == [], c["held"]
run = c["held"]["n1"][0]
assert run["end_ms"] - run["start_ms"] > 4000, run
print("control: n1 held", c["vip"], "from", round(run["start_ms"]), "to", round(run["end_ms"]), "ms; n2 never")
PY

run_test 1 faults partition,kill 21 2
python3 - "$work/faults/latest" <<'PY' || fail "fault results"
import json, sys, os
run = sys.argv[1]
c = json.load(open(os.path.join(run, "results.json")))["checkers"]["vrrp-split-brain"]
assert c["valid"] is False, c
split = c["split_brain"]
parts = [s for s in split if any(d.startswith("partition") for d in s["during"])]
assert parts and parts[0]["nodes"] == ["n1", "n2"], split
kinds = {f["kind"]: f for f in c["failovers"]}
assert "partition" in kinds and "kill" in kinds, c["failovers"]
kill = kinds["kill"]
assert kill["holder"] == "n1" and kill["status"] == "taken-over", kill
assert kill["takeover_ms"] <= c["bound_ms"], (kill, c["bound_ms"])
print("split brain during the partition: %.0f ms observed (at most %.0f)" %
      (parts[0]["duration_ms"], parts[0]["max_duration_ms"]))
print("takeover after killing n1's keepalived: %.0f ms (bound %.0f)" % (kill["takeover_ms"], c["bound_ms"]))
html = open(os.path.join(run, "report.html")).read()
assert "who held the virtual address" in html and "two holders" in html
PY

# Torn down: no keepalived, no virtual address, no partition rules.
vip=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["checkers"]["vrrp-split-brain"]["vip"])' "$work/faults/latest/results.json")
for n in n1 n2 n3 n4; do
  left=$(ssh -F "$ssh_config" "$n" "pgrep -a keepalived; ip -o -4 addr show | grep ' inet $vip/'; iptables -S | grep -- '-j DROP'" || true)
  [ -z "$left" ] || fail "$n after teardown: $left"
done
echo PASS
