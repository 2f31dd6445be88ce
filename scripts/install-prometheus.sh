#!/usr/bin/env bash
# Makes Prometheus (the server and promtool) available from Debian's `prometheus` package,
# for `npm start -- --prometheus` and the tests (tests/integration/prometheus.test.mjs).
# Idempotent; prints one line: the version found or installed. Tested with 2.42.0
# (Debian 12's package, what the test suite runs on).
#
# Installed without recommends (they would add prometheus-node-exporter, another service).
# On a machine that runs services, the package starts its own Prometheus on :9090; this
# project never uses it: `npm start` and the tests run their own, with their own
# configuration and data directory, on ports of their own.
set -euo pipefail
# The oldest Prometheus the tests work with: /api/v1/format_query (2.31+) checks the
# dashboard's PromQL, and 2.42 (Debian 12's package) is the oldest release the suite has
# run on. Any newer one from the distribution's package is taken (Debian 13 and Ubuntu
# ship 2.x/3.x releases past it); docker-compose.yml runs the prom/prometheus 3.x image.
PROMETHEUS_MIN_VERSION=2.42.0

fail() { echo "install-prometheus: FAILED: $*" >&2; exit 1; }

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  apt_get="apt-get"
  [ "$(id -u)" -eq 0 ] || apt_get="sudo apt-get"
  echo "install-prometheus: installing the Debian package prometheus" >&2
  $apt_get update -qq >&2 || fail "apt-get update failed; cannot install prometheus"
  DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq --no-install-recommends prometheus >&2 \
    || fail "apt-get could not install prometheus"
fi
have="$(prometheus --version 2>&1 | sed -n 's/^prometheus, version \([0-9.]*\).*/\1/p')"
[ -n "$have" ] || fail "prometheus --version says nothing recognisable: $(prometheus --version 2>&1 | head -1)"
# sort -V puts the older first: the minimum must come first (or be equal).
[ "$(printf '%s\n%s\n' "$PROMETHEUS_MIN_VERSION" "$have" | sort -V | head -1)" = "$PROMETHEUS_MIN_VERSION" ] \
  || fail "prometheus $have is installed; this project needs $PROMETHEUS_MIN_VERSION or newer (/api/v1/format_query)"
promtool --version >/dev/null 2>&1 || fail "promtool does not run"
echo "prometheus $have ($(command -v prometheus)), promtool $(command -v promtool)"
