#!/usr/bin/env bash
# Installs everything faultline needs to build, test and run on Debian 12.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (it uses apt-get)" >&2
  exit 254
fi
pkgs=(
  build-essential cmake ninja-build clang libclang-rt-14-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  nlohmann-json3-dev libssh-dev libboost1.81-dev libboost-filesystem1.81-dev
  libcurl4-openssl-dev
  iproute2 iptables openssh-server openssh-client procps psmisc util-linux
  etcd-server etcd-client libfaketime python3
  haproxy nginx
  libxml2-utils
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
