#!/usr/bin/env bash
# Configures and builds faultline into build/ (or $FAULTLINE_BUILD_DIR).
#   build.sh              everything: the command, tests and benchmarks, with
#                         optimisation and debug info (RelWithDebInfo)
#   build.sh --cli-only   only the `faultline` command, optimised (-O2) without
#                         debug info: the main job's build (no GoogleTest or
#                         Google Benchmark needed). Debug info costs about a
#                         third of a cold compile and does not change the code.
# Extra arguments go to cmake's configure step. ccache is used when present,
# so later builds of unchanged files are cache hits. Switching between the two
# modes in one build directory recompiles the libraries (other flags).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FAULTLINE_BUILD_DIR:-build}
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAULTLINE_BUILD_TESTS=ON -DFAULTLINE_BUILD_BENCH=ON)
targets=()
if [ "${1:-}" = "--cli-only" ]; then
  shift
  flags=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG"
         -DFAULTLINE_BUILD_TESTS=OFF -DFAULTLINE_BUILD_BENCH=OFF)
  targets=(--target faultline)
fi
if command -v ccache >/dev/null; then
  flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build" -G Ninja "${flags[@]}" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
