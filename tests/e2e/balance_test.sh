#!/usr/bin/env bash
# End-to-end: the balance workload on a 4-node local cluster.
#   1. haproxy (checks every 500 ms) under kill and pause for 20 s: valid, with
#      a measured detection time for faults and a Balancer section in the report.
#   2. nginx with proxy_next_upstream ... non_idempotent under pause: the
#      at-most-once checker must find a request applied twice (exit 1).
#   3. the same without non_idempotent: valid.
# Afterwards no nginx or haproxy process may remain. Needs root.
#   balance_test.sh FAULTLINE_BINARY
set -euo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init "$1" e2e-bal
command -v nginx >/dev/null || fail "nginx is not installed (scripts/install-deps.sh)"
command -v haproxy >/dev/null || fail "haproxy is not installed (scripts/install-deps.sh)"

"$faultline" cluster up --nodes 4 --name "$name" >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "cluster up"; }
nodes_file=$("$faultline" cluster status --name "$name" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes_file"])')

run_test() {  # expected-exit store target "KEY=VALUE ..." nemesis
  local opts=()
  for kv in $4; do opts+=(--target-option "$kv"); done
  set +e
  "$faultline" test --target "$3" "${opts[@]}" --workload balance --nemesis "$5" \
    --time-limit 20 --nemesis-interval 6 --nodes-file "$nodes_file" --seed 7 \
    --store "$work/$2" >"$work/$2.out" 2>"$work/$2.err"
  local code=$?
  set -e
  tail -12 "$work/$2.out"
  [ "$code" -eq "$1" ] || { tail -30 "$work/$2"/latest/harness.log 2>/dev/null; tail -5 "$work/$2.err"; fail "$3 $4: exit $code, expected $1"; }
}

run_test 0 haproxy haproxy "inter_ms=500" kill,pause
python3 - "$work/haproxy/latest" <<'PY' || fail "haproxy results"
import json, sys, os
run = sys.argv[1]
c = json.load(open(os.path.join(run, "results.json")))["checkers"]
faults = c["failover"]["faults"]
assert faults, "no backend was faulted"
detected = [f for f in faults if "detect_ms" in f]
assert detected, f"no fault was detected: {faults}"
assert c["distribution"]["judged"] and c["distribution"]["valid"] is True
assert c["at-most-once"]["applied"] > 1000, c["at-most-once"]
print("detection ms:", [round(f["detect_ms"]) for f in detected], "bound", c["failover"]["bound_ms"])
html = open(os.path.join(run, "report.html")).read()
assert '<section id="balance">' in html and "detection time per fault" in html
PY

run_test 1 unsafe nginx "non_idempotent=true" pause
python3 - "$work/unsafe/latest" <<'PY' || fail "nginx non_idempotent results"
import json, sys, os
c = json.load(open(os.path.join(sys.argv[1], "results.json")))["checkers"]
amo = c["at-most-once"]
assert amo["valid"] is False and amo["duplicated"] > 0, amo
print("duplicated:", amo["duplicated"], amo["duplicates"][:2])
PY

run_test 0 safe nginx "" pause

# Nothing of this cluster's targets may remain (other clusters may run some).
for p in $(pgrep -x nginx || true) $(pgrep -x haproxy || true); do
  case "$(ip netns identify "$p" 2>/dev/null)" in
    faultline-$name-*) fail "process $p ($(cat /proc/$p/comm 2>/dev/null)) still runs in a node" ;;
  esac
done
echo PASS
