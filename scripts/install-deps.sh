#!/usr/bin/env bash
# Installs what faultline needs on Debian 12 (as root).
#   install-deps.sh          everything: build, run, and test (GoogleTest,
#                            Google Benchmark, clang for the fuzzers, Chromium
#                            for the browser test)
#   install-deps.sh --run    only what building the `faultline` command and
#                            running tests on a local cluster need (the main job)
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (it uses apt-get)" >&2
  exit 254
fi
run_pkgs=(
  build-essential cmake ninja-build ccache pkg-config
  nlohmann-json3-dev libssh-dev libboost1.81-dev libboost-filesystem1.81-dev
  libcurl4-openssl-dev libcli11-dev libcpp-httplib-dev
  iproute2 iptables openssh-server openssh-client procps psmisc util-linux
  etcd-server etcd-client libfaketime python3
  zookeeper libzookeeper-mt-dev
  redis-server redis-sentinel libhiredis-dev
  haproxy nginx keepalived
  libxml2-utils
)
test_pkgs=(
  clang libclang-rt-14-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libxml2-utils chromium
)
case "${1:-}" in
  --run) pkgs=("${run_pkgs[@]}") ;;
  "") pkgs=("${run_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "install-deps: unknown argument '$1'; expected --run or nothing" >&2; exit 254 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
