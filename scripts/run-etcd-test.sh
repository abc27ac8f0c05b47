#!/usr/bin/env bash
# faultline's main job on one Debian 12 machine (as root): installs what is
# needed to build the command and run an etcd test (not the test tools nor the
# other targets' servers), builds only the `faultline` command (optimised, no
# debug info), brings up a 3-node local cluster, runs a 60 s etcd register
# test under partitions, kills and pauses, prints the verdict and where the
# report is, and takes the cluster down again. Extra arguments go to
# `faultline test` (e.g. --time-limit 120 --nemesis partition).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --run
bash scripts/build.sh --cli-only
build=${FAULTLINE_BUILD_DIR:-build}
faultline="$build/harness/cli/faultline"
name=${FAULTLINE_CLUSTER:-faultline}
"$faultline" cluster up --nodes 3 --name "$name"
trap '"$faultline" cluster down --name "$name" >/dev/null' EXIT
nodes_file=$("$faultline" cluster status --name "$name" --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes_file"])')
set +e
"$faultline" test --target etcd --workload register --nemesis partition,kill,pause \
  --time-limit 60 --nemesis-interval 10 --nodes-file "$nodes_file" --concurrency 2n \
  --store store "$@"
code=$?
set -e
echo "report: $(readlink -f store/latest)/report.html (exit $code)"
exit "$code"
