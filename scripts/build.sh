#!/usr/bin/env bash
# Configures and builds faultline into build/ (or $FAULTLINE_BUILD_DIR).
#   build.sh              everything: the command, tests and benchmarks
#   build.sh --cli-only   only the `faultline` command (the main job: no
#                         GoogleTest or Google Benchmark needed)
# Extra arguments go to cmake's configure step. ccache is used when present,
# so later builds of unchanged files are cache hits.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FAULTLINE_BUILD_DIR:-build}
flags=(-DFAULTLINE_BUILD_TESTS=ON -DFAULTLINE_BUILD_BENCH=ON)
targets=()
if [ "${1:-}" = "--cli-only" ]; then
  shift
  flags=(-DFAULTLINE_BUILD_TESTS=OFF -DFAULTLINE_BUILD_BENCH=OFF)
  targets=(--target faultline)
fi
if command -v ccache >/dev/null; then
  flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${flags[@]}" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
