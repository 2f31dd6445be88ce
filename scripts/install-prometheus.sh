#!/usr/bin/env bash
# Makes Prometheus (the server and promtool) available from Debian's `prometheus` package,
# for `npm start -- --prometheus` and the tests (tests/integration/prometheus.test.mjs).
# Idempotent; prints one line: the version found or installed.
#
# Installed without recommends (they would add prometheus-node-exporter, another service).
# On a machine that runs services, the package starts its own Prometheus on :9090; this
# project never uses it: `npm start` and the tests run their own, with their own
# configuration and data directory, on ports of their own.
set -euo pipefail
# The version docker-compose.yml's prom/prometheus image carries (major.minor must match:
# the tests prove the dashboard's queries against this one).
PROMETHEUS_VERSION=2.42.0

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
[ "${have%.*}" = "${PROMETHEUS_VERSION%.*}" ] \
  || fail "prometheus $have is installed; this project is tested with $PROMETHEUS_VERSION (major.minor must match)"
promtool --version >/dev/null 2>&1 || fail "promtool does not run"
echo "prometheus $have ($(command -v prometheus)), promtool $(command -v promtool)"
