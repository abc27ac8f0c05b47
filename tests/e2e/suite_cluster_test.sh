#!/usr/bin/env bash
# `faultline suite` with a target on nodes (root; about 30 s): the suite
# brings a local cluster up, runs a short etcd test under partitions, and
# takes down the cluster it brought up; a cluster that is already up is
# reused and left up.
#   suite_cluster_test.sh FAULTLINE_BINARY
set -euo pipefail
faultline=$1
name=flsuite-e2e
work=$(mktemp -d /tmp/faultline-suite-cluster.XXXXXX)
trap '"$faultline" cluster down --name "$name" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cat >"$work/suite.json" <<'JSON'
{"name": "cluster-e2e",
 "tests": [{"target": "etcd", "nemesis": "partition", "time_limit": 6, "nemesis_interval": 2}]}
JSON
"$faultline" cluster down --name "$name" >/dev/null 2>&1 || true
"$faultline" suite "$work/suite.json" --store "$work/store" --cluster "$name" >"$work/out" 2>&1 ||
  { cat "$work/out"; fail "suite exit $?"; }
grep -q "bringing cluster $name up" "$work/out" || fail "the suite did not bring its cluster up"
if "$faultline" cluster status --name "$name" | grep -q ": up"; then
  fail "the suite left the cluster it brought up running"
fi
[ -s "$(ls -d "$work"/store/etcd-register-partition-s1/*/ | head -1)/report.html" ] || fail "no report"

"$faultline" cluster up --nodes 3 --name "$name" >/dev/null
"$faultline" suite "$work/suite.json" --store "$work/store" --cluster "$name" >"$work/out2" 2>&1 ||
  { cat "$work/out2"; fail "second suite exit $?"; }
grep -q "reusing cluster $name" "$work/out2" || fail "an up cluster was not reused"
"$faultline" cluster status --name "$name" | grep -q ": up" || fail "a reused cluster was taken down"
echo "suite cluster e2e passed"
