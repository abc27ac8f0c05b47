#!/usr/bin/env bash
# Installs what faultline needs on Debian 12 (as root), with
# --no-install-recommends; packages already installed are skipped.
#   install-deps.sh            everything: build, run every target, and test
#                              (GoogleTest, Google Benchmark, clang for the
#                              fuzzers, Chromium for the browser test)
#   install-deps.sh --run      the main job: what compiling the `faultline`
#                              command needs, the local cluster's tools and
#                              etcd. The other targets install their servers on
#                              their nodes at setup (as every target does on
#                              VMs), or up front with --servers.
#   install-deps.sh --servers  ZooKeeper, Redis, HAProxy, nginx, keepalived
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (it uses apt-get)" >&2
  exit 254
fi
build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config python3
  nlohmann-json3-dev libssh-dev libboost1.81-dev libboost-filesystem1.81-dev
  libcurl4-openssl-dev libcli11-dev libcpp-httplib-dev
  libzookeeper-mt-dev libhiredis-dev
)
cluster_pkgs=(
  iproute2 iptables openssh-server openssh-client procps psmisc util-linux
  etcd-server
)
# ZooKeeper's package pulls a Java runtime: most of a fresh machine's install
# time (measured in the README), so the main job leaves it out.
server_pkgs=(
  zookeeper redis-server redis-sentinel haproxy nginx keepalived
)
test_pkgs=(
  clang libclang-rt-14-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libxml2-utils chromium
)
case "${1:-}" in
  --run) pkgs=("${build_pkgs[@]}" "${cluster_pkgs[@]}") ;;
  --servers) pkgs=("${server_pkgs[@]}") ;;
  "") pkgs=("${build_pkgs[@]}" "${cluster_pkgs[@]}" "${server_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "install-deps: unknown argument '$1'; expected --run, --servers or nothing" >&2
     exit 254 ;;
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
