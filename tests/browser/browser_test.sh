#!/usr/bin/env bash
# Loads a generated report (an invalid run, with its failing window) and the
# store index in headless Chromium; fails on any console error, and checks in
# the live DOM that the charts, the timeline and the trend were laid out
# (bounding boxes of the SVG elements, measured by a probe page that frames
# each page). Skipped (exit 77) when Chromium is not installed.
# usage: browser_test.sh MAKE_BROWSER_STORE
set -euo pipefail
make_store=$1
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "SKIPPED: chromium is not installed (apt-get install chromium, or bash scripts/install-deps.sh)"
  exit 77
fi
tmp=$(mktemp -d /tmp/faultline-browser-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$make_store" "$tmp/store" >/dev/null

# dump URL OUT: the DOM after load, and Chromium's log (console messages) in OUT.log.
dump() {
  local profile
  profile=$(mktemp -d "$tmp/profile.XXXXXX")
  timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --allow-file-access-from-files --virtual-time-budget=5000 \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 \
    --dump-dom "$1" >"$2" 2>"$2.log" || { echo "FAIL: chromium failed on $1"; cat "$2.log"; exit 1; }
}

# Console errors: Chromium logs page console messages as CONSOLE(...) and
# uncaught exceptions as "Uncaught ...".
console_errors() {
  grep -E 'CONSOLE|Uncaught|Failed to load resource|Refused to' "$1" || true
}

fail=0
check() {  # check FILE PATTERN WHAT
  if grep -qE "$2" "$1"; then echo "ok: $3"; else echo "FAIL: $3 (no /$2/ in $1)"; fail=1; fi
}

# The probe: frames a page and writes what was laid out into its own DOM.
probe() {  # probe PAGE NAME
  cat >"$tmp/probe-$2.html" <<HTML
<!DOCTYPE html><html><head><meta charset="utf-8"><title>probe</title></head><body>
<iframe id="f" src="$1" style="width:1200px;height:900px"></iframe>
<pre id="out">not loaded</pre>
<script>
document.getElementById('f').addEventListener('load', function () {
  var d = this.contentDocument, lines = [];
  function boxes(sel) {
    var n = 0, laid = 0;
    d.querySelectorAll(sel).forEach(function (e) {
      n++; var b = e.getBBox ? e.getBBox() : e.getBoundingClientRect();
      // A line may be flat (equal throughputs): its width is enough.
      if (b.width > 0 && (b.height > 0 || e.tagName === 'polyline')) laid++;
    });
    lines.push(sel + ' count=' + n + ' laid_out=' + laid);
  }
  boxes('svg.chart.window g.op rect');
  boxes('svg.chart.window g.op.blocked rect');
  boxes('svg.chart.window g.op.prefix rect');
  boxes('svg.chart.window g.prefix-mark path');
  boxes('svg.chart:not(.window)');
  boxes('svg.trend rect.verdict');
  boxes('svg.trend polyline.throughput');
  document.getElementById('out').textContent = lines.join('\n');
});
</script></body></html>
HTML
  dump "file://$tmp/probe-$2.html" "$tmp/probe-$2.dom"
}

report=$tmp/store/etcd-register/20260102T000000Z/report.html
index=$tmp/store/index.html

# 0. The console check can fail: a page with a script error is caught.
echo '<!DOCTYPE html><html><body><script>undefinedFunction()</script></body></html>' >"$tmp/bad.html"
dump "file://$tmp/bad.html" "$tmp/bad.dom"
if [ -z "$(console_errors "$tmp/bad.dom.log")" ]; then
  echo "FAIL: a deliberate script error did not show in Chromium's log; the console check is blind"
  fail=1
else
  echo "ok: a deliberate script error is caught"
fi

# 1. The report and the index load without a console error.
for page in "$report" "$index"; do
  dump "file://$page" "$tmp/page.dom"
  errors=$(console_errors "$tmp/page.dom.log")
  if [ -n "$errors" ]; then
    echo "FAIL: console errors loading $page:"; echo "$errors"; fail=1
  else
    echo "ok: no console error loading $(basename "$page")"
  fi
  if [ "$page" = "$report" ]; then
    check "$tmp/page.dom" '<svg class="chart window"' "report DOM holds the failing window"
    check "$tmp/page.dom" '<g class="op blocked">' "report DOM holds the op that cannot be linearized"
    check "$tmp/page.dom" 'The failing window' "report DOM holds the failing window's heading"
  else
    check "$tmp/page.dom" '<svg class="trend"' "index DOM holds a trend"
    check "$tmp/page.dom" 'first failing since 20260101T000000Z' "index marks the first failing run"
  fi
done

# 2. Laid out: every timeline bar, chart and trend square has a non-empty box.
probe "$report" report
probe "$index" index
cat "$tmp/probe-report.dom" "$tmp/probe-index.dom" | grep -E '^(<pre id="out">)?svg' | sed 's/^<pre id="out">//; s/^/  /'
check "$tmp/probe-report.dom" 'g.op.blocked rect count=1 laid_out=1' "the blocked op's bar is laid out"
check "$tmp/probe-report.dom" 'g.op.prefix rect count=([1-9][0-9]*) laid_out=\1' "every prefix bar is laid out"
check "$tmp/probe-report.dom" 'g.op rect count=([1-9][0-9]*) laid_out=\1' "every bar of the window is laid out"
check "$tmp/probe-report.dom" 'g.prefix-mark path count=1 laid_out=1' "the prefix mark is laid out"
check "$tmp/probe-report.dom" 'svg.chart:not\(.window\) count=2 laid_out=2' "latency and throughput charts are laid out"
check "$tmp/probe-index.dom" 'svg.trend rect.verdict count=2 laid_out=2' "the trend's two verdict squares are laid out"
check "$tmp/probe-index.dom" 'svg.trend polyline.throughput count=1 laid_out=1' "the trend's throughput line is laid out"
for p in report index; do
  errors=$(console_errors "$tmp/probe-$p.dom.log")
  if [ -n "$errors" ]; then echo "FAIL: console errors in the $p probe:"; echo "$errors"; fail=1; fi
done
if [ "$fail" -ne 0 ]; then exit 1; fi
echo "browser test passed"
