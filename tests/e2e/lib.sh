# Set-up shared by the end-to-end scripts that bring up a local cluster
# (sourced, not run):
#   e2e_init FAULTLINE_BINARY DEFAULT_CLUSTER_NAME
# sets $faultline, $name (FAULTLINE_E2E_CLUSTER overrides it, for several
# sessions on one machine) and $work (a temporary directory); on exit it runs
# e2e_before_cleanup if the script defines one, takes the cluster down and
# removes $work. Skips the test (exit 0) unless run as root.

fail() { echo "FAIL: $*" >&2; exit 1; }

e2e_cleanup() {
  if declare -F e2e_before_cleanup >/dev/null; then e2e_before_cleanup || true; fi
  "$faultline" cluster down --name "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}

e2e_init() {
  faultline=$1
  name=${FAULTLINE_E2E_CLUSTER:-$2}
  work=$(mktemp -d /tmp/faultline-e2e.XXXXXX)
  trap e2e_cleanup EXIT
  if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root"; exit 0; fi
}
