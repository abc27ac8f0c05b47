#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/ and runs
# each for FUZZ_SECONDS seconds (default 20). Seeds are small inline samples,
# plus ../shared/peer-histories when that folder exists (copied into the build
# dir, never into the repository). Fails when any fuzzer finds a crash, a
# property violation, a leak or a slow input; the reproducer is kept in
# build-fuzz/fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
build=${FAULTLINE_FUZZ_BUILD_DIR:-build-fuzz}
peer=${FAULTLINE_PEER_HISTORIES:-../shared/peer-histories}

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFAULTLINE_BUILD_FUZZ=ON -DFAULTLINE_BUILD_TESTS=OFF -DFAULTLINE_BUILD_BENCH=OFF >/dev/null
readers=(jsonl edn jepsen_log auto)
targets=()
for reader in "${readers[@]}"; do targets+=("history_${reader}_fuzz"); done
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

# A small ASan quarantine and no malloc fill keep allocation-heavy parsing
# fast on small VMs; leaks are still reported.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:max_malloc_fill_size=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

work="$build/fuzz"
rm -rf "$work/seeds" "$work/artifacts"
mkdir -p "$work/seeds"/{jsonl,edn,jepsen_log,auto}

# seed <reader> <name> <printf format>: one inline sample input.
seed() { printf "$3" >"$work/seeds/$1/$2"; printf "$3" >"$work/seeds/auto/$1-$2"; }
seed jsonl basic '{"index":0,"time":0,"type":"invoke","process":0,"f":"cas","value":[1,2],"key":"k"}\n{"index":1,"time":5,"type":"fail","process":0,"f":"cas","value":[1,2],"key":"k","error":"cas-mismatch"}\n'
seed jsonl nemesis '{"type":"info","process":"nemesis","f":"start-partition","value":{"n1":["n2"]},"node":"n1"}\n\n{"type":"ok","process":3,"f":"txn","value":[["r","x",null],["w","y",-2.5e3]]}\r\n'
seed jsonl strings '{"type":"ok","process":1,"f":"read","value":"caf\\u00e9 \\ud83d\\ude00 \\"q\\" \\\\ \\n","extra":{"a":[true,false,null]}}\n'
seed jsonl bad '{"type":"done","process":"abc","f":7}\n{"type":"ok","process":0,"f":"re'
seed edn vector '; comment\n[{:process 0, :type :invoke, :f :write, :value 3}\n {:process 0, :type :ok, :f :write, :value 3, :time 12, :index 1}\n {:process :nemesis,\n  :type :info,\n  :f :start,\n  :value "Cut off"}]\n'
seed edn per-line '{:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}\n{:process 9, :type :ok, :f :append, :key "0", :value "x 9 0 y"}\n'
seed edn values '({:process 1 :type :ok :f :txn :value [nil true -12 3N 1.5 4.0M "t\\\\tq" :ns/kw \\a \\newline (1 2) #{:x} {:a 1, "b" 2, 3 4} #_ :gone] :error [:not-found "x"]})\n'
seed jepsen_log etcd 'INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\t3\nINFO  jepsen.util - 1\t:invoke\t:cas\t[0 3]\nINFO  jepsen.util - 1\t:fail\t:cas\t[0 3]\n'
seed jepsen_log info 'noise line\nINFO  jepsen.util - 2\t:invoke\t:write\t4\nINFO  jepsen.util - 2\t:info\t:write\t:timed-out\nINFO  jepsen.util - :nemesis\t:info\t:start\tnil\nINFO  jepsen.util - 5\t:fail\t:read\t:timed-out\nINFO  jepsen.util - 6\t:info\t:cas\t[1 2]\tindeterminate\n'
if [ -d "$peer" ]; then
  find "$peer" -name '*.edn' -size -16k -exec cp {} "$work/seeds/edn/" \;
  find "$peer" -path '*kv*' -name '*.txt' -exec cp {} "$work/seeds/edn/" \;
  find "$peer" -name '*.log' -size -16k -exec cp {} "$work/seeds/jepsen_log/" \;
  find "$peer" \( -name '*.edn' -o -name '*.txt' -o -name '*.log' \) -size -8k \
    -exec cp {} "$work/seeds/auto/" \;
fi

failed=()
for reader in "${readers[@]}"; do
  target="history_${reader}_fuzz"
  mkdir -p "$work/corpus/$reader" "$work/artifacts/$reader"
  echo "fuzz: $target for ${seconds}s"
  if ! "$build/tests/fuzz/$target" "$work/corpus/$reader" "$work/seeds/$reader" \
      -dict="tests/fuzz/$reader.dict" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/$reader/" \
      >"$work/$reader.log" 2>&1; then
    failed+=("$target")
    tail -n 40 "$work/$reader.log" >&2
  else
    grep -E '^(stat::number_of_executed_units|stat::new_units_added)' "$work/$reader.log" \
      | sed 's/^/  /' || true
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (reproducers in $work/artifacts/)" >&2
  exit 1
fi
echo "fuzz: all ${#readers[@]} targets ran ${seconds}s without finding a failure"
