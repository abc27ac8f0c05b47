#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs every test (unit,
# conformance, differential, integration on a local cluster) and each fuzz
# target for a short bounded time. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
build=${FAULTLINE_BUILD_DIR:-build}
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 600
bash scripts/fuzz.sh
