#!/usr/bin/env bash
# `faultline suite` end to end on the in-memory targets (no cluster, no root,
# about 15 s): a valid run, a positive control that is caught, and one that
# is not (a linearizable target marked "expect": "invalid"), so the suite must
# exit 1; one JUnit file with a testcase per run; the store's index; and a bad
# suite file refused with 254 before anything runs. Then SIGTERM mid-suite:
# the runs not started are skipped and the exit says unknown (2).
#   suite_test.sh FAULTLINE_BINARY
set -euo pipefail
faultline=$1
work=$(mktemp -d /tmp/faultline-suite.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat >"$work/suite.json" <<'JSON'
{"name": "e2e",
 "defaults": {"rate": 200, "nemesis_interval": 1},
 "tests": [
   {"target": "memory", "nemeses": ["kill,pause"], "time_limit": 3},
   {"name": "caught", "target": "memory-unsafe", "time_limit": 3, "expect": "invalid",
    "target_options": {"replication_delay_ms": 500}},
   {"name": "missed", "target": "memory", "time_limit": 2, "expect": "invalid"}]}
JSON
set +e
"$faultline" suite "$work/suite.json" --store "$work/store" >"$work/out" 2>"$work/err"
code=$?
set -e
cat "$work/out"
[ "$code" -eq 1 ] || fail "exit $code, expected 1 (a positive control was not caught)"
grep -q "2 of 3 runs as expected" "$work/out" || fail "summary line missing"
grep -Eq '^caught-none-s1 +invalid +invalid +pass' "$work/out" || fail "caught control not a pass"
grep -Eq '^missed-none-s1 +valid +invalid +FAIL' "$work/out" || fail "missed control not a FAIL"
junit=$work/store/suite-e2e.xml
[ -s "$junit" ] || fail "no JUnit file"
if command -v xmllint >/dev/null; then xmllint --noout "$junit" || fail "JUnit is not well-formed"; fi
[ "$(grep -c '<testcase ' "$junit")" -eq 3 ] || fail "expected 3 testcases"
grep -q 'failures="1"' "$junit" || fail "expected one failure"
grep -q 'type="control-not-caught" message="positive control came out valid' "$junit" ||
  fail "the failure does not say the control was missed"
grep -q 'report: .*/missed-none-s1/.*/report.html' "$junit" || fail "failure lacks the report path"
grep -q 'linearizability invalid: ' "$junit" || fail "caught control lacks the checker summary"
[ -s "$work/store/index.html" ] || fail "no store index"
grep -q 'missed-none-s1' "$work/store/index.html" || fail "index lacks a run"
for run in memory-register-kill-pause-s1 caught-none-s1 missed-none-s1; do
  [ -s "$(ls -d "$work/store/$run"/*/ | head -1)/report.html" ] || fail "$run has no report"
done

# A bad suite file: 254, naming the file and the place, and nothing runs.
echo '{"name": "bad", "tests": [{"target": "memory", "seeds": [1, "two"]}]}' >"$work/bad.json"
set +e
"$faultline" suite "$work/bad.json" --store "$work/bad-store" 2>"$work/bad.err"
code=$?
set -e
[ "$code" -eq 254 ] || fail "bad suite: exit $code, expected 254"
grep -q "bad.json: tests\[0\].seeds\[1\]: expected a non-negative integer seed, got \"two\"" \
  "$work/bad.err" || { cat "$work/bad.err"; fail "bad suite: unclear message"; }
[ ! -e "$work/bad-store" ] || fail "bad suite: something ran"

# Interrupted: SIGTERM during the first of three runs.
cat >"$work/long.json" <<'JSON'
{"name": "long", "defaults": {"rate": 100},
 "tests": [{"target": "memory", "seeds": [1, 2, 3], "time_limit": 30}]}
JSON
"$faultline" suite "$work/long.json" --store "$work/long-store" >"$work/long.out" 2>&1 &
pid=$!
sleep 3
kill -TERM "$pid"
set +e
wait "$pid"
code=$?
set -e
[ "$code" -eq 2 ] || { cat "$work/long.out"; fail "interrupted suite: exit $code, expected 2"; }
[ "$(grep -c '<skipped ' "$work/long-store/suite-long.xml")" -eq 2 ] ||
  fail "interrupted suite: expected 2 skipped runs"
grep -q "(interrupted)" "$work/long.out" || fail "interrupted suite: not said"
echo "suite e2e passed"
