#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/ and runs
# each for FUZZ_SECONDS seconds (default 20; 10 targets, so about 3.5 min of
# fuzzing; FUZZ_ONLY="suite cluster" picks some). The targets cover every parser of outside input: the history
# readers (jsonl, edn, jepsen_log, auto), suite files, nodes files,
# results.json, the local cluster's inputs, the targets' replies and the
# option readers. Seeds are small inline samples, plus ../shared/peer-histories
# when that folder exists (copied into the build dir, never into the
# repository). Fails when any fuzzer finds a crash, a property violation, a
# leak or a slow input; the reproducer is kept in
# build-fuzz/fuzz/artifacts/<name>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
build=${FAULTLINE_FUZZ_BUILD_DIR:-build-fuzz}
peer=${FAULTLINE_PEER_HISTORIES:-../shared/peer-histories}

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFAULTLINE_BUILD_FUZZ=ON -DFAULTLINE_BUILD_TESTS=OFF -DFAULTLINE_BUILD_BENCH=OFF >/dev/null
readers=(jsonl edn jepsen_log auto)
parsers=(suite nodes_file run_results cluster target_replies target_options)
names=("${readers[@]}" "${parsers[@]}")
# FUZZ_ONLY="suite cluster" runs only those (names as above).
if [ -n "${FUZZ_ONLY:-}" ]; then read -r -a names <<<"$FUZZ_ONLY"; fi
targets=()
for name in "${names[@]}"; do
  case " ${readers[*]} " in
    *" $name "*) targets+=("history_${name}_fuzz") ;;
    *) targets+=("${name}_fuzz") ;;
  esac
done
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

# A small ASan quarantine and no malloc fill keep allocation-heavy parsing
# fast on small VMs; leaks are still reported.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:max_malloc_fill_size=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

work="$build/fuzz"
rm -rf "$work/seeds" "$work/artifacts"
for name in "${readers[@]}" "${parsers[@]}"; do mkdir -p "$work/seeds/$name"; done

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
# seedp <parser> <name> <printf format>: one inline sample for a parser
# target; for those that read several inputs the first byte picks the parser
# (see the target's source) and '\0' separates arguments.
seedp() { printf "$3" >"$work/seeds/$1/$2"; }
seedp suite matrix '{"name":"smoke","defaults":{"time_limit":5,"nemesis_interval":2},"tests":[{"name":"etcd-faults","targets":["etcd","memory"],"workloads":["register","set"],"nemeses":["partition","kill,pause","none"],"seeds":[1,2],"concurrency":"2n","nodes":3,"rate":100,"check_time_limit":30,"target_options":{"client_port":2379},"expect":"valid"}]}'
seedp suite single '{"name":"n","description":"d","tests":[{"target":"memory-unsafe","workload":"lock","nemesis":["pause"],"seed":7,"concurrency":4,"expect":"invalid"},{"target":"redis","description":"x","expect":"any"}]}'
seedp suite bad '{"name":"x","tests":[{"targets":"etcd","seeds":[-1],"time_limit":1e999}]}'
seedp nodes_file full '{"name":"local","nodes":[{"name":"n1","host":"10.77.0.11","port":22,"user":"root","key":"keys/id_ed25519","host_key_policy":"strict","known_hosts":"/k/known_hosts"},{"host":"n2.example","host_key_policy":"off"}],"ssh_config":"ssh_config"}'
seedp nodes_file bad '{"nodes":[{"host":"a b","port":"22a","name":".."}]}'
seedp run_results full '{"valid":true,"checkers":{"linear":{"valid":true,"ops":10},"stats":{"valid":"unknown"}},"phases":[{"name":"setup","start_ns":1,"end_ns":2,"status":"ok"},{"name":"run","start_ns":2,"end_ns":3.5,"status":"failed","error":"boom"}],"errors":["x",5],"interrupted":true,"interrupted_at":"run","warnings":["cut"],"extra":{"a":1}}'
seedp run_results unknown '{"valid":"unknown","phases":[]}'
seedp cluster args-up '\x00up\x00--nodes\x003\x00--name=ci\x00--reuse'
seedp cluster args-status '\x00status\x00--json\x00--name\x00a-b'
seedp cluster prefix '\x0110.77.3.0/24'
seedp cluster routes '\x02[{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},{"type":"unreachable","dst":"10.77.0.0/16"},{"type":"local","dst":"10.77.3.1","dev":"flbr-3","table":"local"},{"dst":"10.0.0.0/8","dev":"tun0"}]'
seedp cluster addrs '\x03[{"ifname":"eth0","addr_info":[{"family":"inet","local":"10.77.5.2","prefixlen":24},{"family":"inet6","local":"fe80::1","prefixlen":64}]}]'
seedp cluster state '\x04{"name":"ci","index":4,"bridge":"flbr-4","subnet":"10.77.4.0/24","phase":"up","nodes":[{"name":"n1","address":"10.77.4.11","netns":"faultline-ci-n1","veth":"fl4n1","init_pid":4242}]}'
seedp target_replies stats '\x00# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,status\nfe,FRONTEND,,,0,1,262,5,0,0,OPEN\nbe,n1,0,0,0,1,,3,0,0,UP\r\nbe,n2,0,0,0,1,,2,0,0,DOWN 1/2\nbe,BACKEND,0,0,0,1,26,5,0,0,UP\n'
seedp target_replies applied '\x011 1700000000.123 k1\n2 1700000000.456 k2\n3\n'
seedp target_replies ip-addr '\x021: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n2: eth0@if12    inet 10.77.1.11/24 brd 10.77.1.255 scope global eth0\\       valid_lft forever\n\x0010.77.1.11\x00'
seedp target_replies vip '\x022: eth0    inet 10.77.1.11/24 brd 10.77.1.255 scope global eth0\n\x0010.77.1.11\x0010.77.1.200'
seedp target_replies slots '\x03\x05\x01\x05\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x03\xff\x3f\x00\x00\x00\x00\x00\x00\x05\x02\x00\x09127.0.0.1\x03\x58\x1b\x00\x00\x00\x00\x00\x00'
seedp target_replies moved-reply '\x03\x02\x11MOVED 3999 h:7000'
seedp target_replies moved '\x04MOVED 3999 127.0.0.1:6381'
seedp target_replies ask '\x04ASK 1 ::1:7000'
seedp target_replies srvr '\x05Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nMode: follower \r\nNode count: 5\n'
seedp target_replies base64 '\x06Zm9vYmFy/+8='
seedp target_replies base64-pad '\x06YQ=='
seedp target_options target '\x00{"port":2380,"timeout_ms":5000,"offset":-3,"dir_name":"d","appendonly":true,"extra_args":["--a","b"],"node_ports":{"n1":{"client":2479}}}'
seedp target_options bad '\x00{"port":"x","typo":1}'
seedp target_options workload '\x01{"hold_max_ms":100}'
if [ -d "$peer" ]; then
  find "$peer" -name '*.edn' -size -16k -exec cp {} "$work/seeds/edn/" \;
  find "$peer" -path '*kv*' -name '*.txt' -exec cp {} "$work/seeds/edn/" \;
  find "$peer" -name '*.log' -size -16k -exec cp {} "$work/seeds/jepsen_log/" \;
  find "$peer" \( -name '*.edn' -o -name '*.txt' -o -name '*.log' \) -size -8k \
    -exec cp {} "$work/seeds/auto/" \;
fi

failed=()
for i in "${!names[@]}"; do
  name=${names[$i]}
  target=${targets[$i]}
  mkdir -p "$work/corpus/$name" "$work/artifacts/$name"
  echo "fuzz: $target for ${seconds}s"
  if ! "$build/tests/fuzz/$target" "$work/corpus/$name" "$work/seeds/$name" \
      -dict="tests/fuzz/$name.dict" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/$name/" \
      >"$work/$name.log" 2>&1; then
    failed+=("$target")
    tail -n 40 "$work/$name.log" >&2
  else
    grep -E '^(stat::number_of_executed_units|stat::new_units_added)' "$work/$name.log" \
      | sed 's/^/  /' || true
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (reproducers in $work/artifacts/)" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s without finding a failure"
