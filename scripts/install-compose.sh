#!/usr/bin/env bash
# Makes `docker compose` (Compose v2, the Docker CLI plugin) available on this machine
# without downloading prebuilt binaries: the pinned release of the official Go module
# github.com/docker/compose/v2 is fetched through the Go module proxy (checksums verified
# against sum.golang.org by the go tool) and compiled locally.
#
# Idempotent: does nothing when `docker compose` already reports the pinned version.
# A cold run (module download + compile) takes 4-7 minutes on 2 CPUs and leaves ~0.5 GB in the Go
# module cache and ~1.5 GB in the Go build cache; a run that finds the pinned version takes <1s.
#
# Environment knobs:
#   COMPOSE_PLUGIN_DIR  where to put the plugin (default: ${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins,
#                       which the docker CLI searches before the system-wide plugin dirs)
#   COMPOSE_FORCE=1     install the pinned version even if a different Compose v2 is already present
#
# Only if the build is impossible (no Go toolchain, or it fails) does it fall back to Debian's
# `docker-compose` package, which on bookworm is Compose v1 (1.29, Python): a standalone
# `docker-compose` command, NOT `docker compose`, and without `config --format json`.
set -euo pipefail

COMPOSE_MODULE=github.com/docker/compose/v2
COMPOSE_VERSION=v2.40.3          # the last v2 release; later Compose releases (v5) use module path .../compose/v5
PLUGIN_DIR="${COMPOSE_PLUGIN_DIR:-${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins}"
PLUGIN="$PLUGIN_DIR/docker-compose"
WANT="${COMPOSE_VERSION#v}"

log()  { printf '[install-compose] %s\n' "$*"; }
loud() {
  printf '\n[install-compose] %s\n' \
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!' >&2
  local line; for line in "$@"; do printf '[install-compose] !!! %s\n' "$line" >&2; done
  printf '[install-compose] %s\n\n' \
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!' >&2
}

# Version reported by `docker compose`, without the leading "v"; empty if unavailable.
current_version() {
  command -v docker >/dev/null 2>&1 || return 0
  docker compose version --short 2>/dev/null | sed 's/^v//' || true
}

# Version of the plugin binary at $PLUGIN (ours), empty if absent or broken.
plugin_version() {
  [ -x "$PLUGIN" ] || return 0
  "$PLUGIN" version --short 2>/dev/null | sed 's/^v//' || true
}

if ! command -v docker >/dev/null 2>&1; then
  log "note: the docker CLI is not installed; the plugin will be installed anyway, but"
  log "      \`docker compose\` needs the docker CLI (Debian: apt-get install docker-cli or docker.io)."
fi

# 1. Already done?
if [ "$(plugin_version)" = "$WANT" ]; then
  log "Docker Compose $COMPOSE_VERSION already installed at $PLUGIN; nothing to do."
  have="$(current_version)"
  if command -v docker >/dev/null 2>&1 && [ "$have" != "$WANT" ]; then
    log "warning: but \`docker compose\` reports '${have:-nothing}' - another plugin dir takes"
    log "         precedence, or DOCKER_CONFIG differs from when it was installed."
  fi
  exit 0
fi
have="$(current_version)"
if [ -n "$have" ] && [ ! -e "$PLUGIN" ]; then
  if [ "$have" = "$WANT" ]; then
    log "Docker Compose $COMPOSE_VERSION already available (installed elsewhere); nothing to do."
    exit 0
  fi
  if [ "${COMPOSE_FORCE:-}" != 1 ]; then
    log "Docker Compose v$have is already available (not the pinned $COMPOSE_VERSION, not ours)."
    log "Leaving it alone; set COMPOSE_FORCE=1 to install $COMPOSE_VERSION into $PLUGIN_DIR."
    exit 0
  fi
fi

# 2. Build the pinned release from source via the Go module proxy.
build_v2() {
  # The official Go tarball installs to /usr/local/go, which non-login shells may not have on PATH.
  command -v go >/dev/null 2>&1 || [ ! -x /usr/local/go/bin/go ] || PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null 2>&1 || { log "no Go toolchain on PATH"; return 1; }
  log "building Docker Compose $COMPOSE_VERSION from $COMPOSE_MODULE via the Go module proxy ($(go version))"
  local work src start
  start=$(date +%s)
  work="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "chmod -R u+w '$work' 2>/dev/null; rm -rf '$work'" EXIT

  # `go install $COMPOSE_MODULE/cmd@$COMPOSE_VERSION` is refused by the go tool because compose's
  # go.mod has `exclude` directives (only honoured in the main module). So download the exact
  # module version (hash-verified by the go tool), and build it as the main module, which applies
  # its go.mod/go.sum exactly like upstream's `make build`.
  src="$(cd "$work" && go mod download -json "$COMPOSE_MODULE@$COMPOSE_VERSION" |
         sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [ -n "$src" ] && [ -f "$src/go.mod" ] || { log "could not download $COMPOSE_MODULE@$COMPOSE_VERSION"; return 1; }
  cp -R "$src" "$work/src" && chmod -R u+w "$work/src" || return 1   # the module cache is read-only
  (
    cd "$work/src"
    # Same flags as upstream's Makefile/Dockerfile: static, trimmed, version stamped in.
    CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" \
      -o "$work/docker-compose" ./cmd
  ) || { log "go build failed"; return 1; }

  "$work/docker-compose" version >/dev/null || { log "built binary does not run"; return 1; }
  mkdir -p "$PLUGIN_DIR" &&
    install -m 0755 "$work/docker-compose" "$PLUGIN.tmp.$$" &&
    mv -f "$PLUGIN.tmp.$$" "$PLUGIN" || return 1   # atomic replace
  log "installed $PLUGIN ($(( $(date +%s) - start ))s)"
}

fallback_v1() {
  loud "COULD NOT BUILD DOCKER COMPOSE V2 - FALLING BACK TO DEBIAN'S docker-compose (COMPOSE V1)." \
       "Compose v1 is the standalone \`docker-compose\` command, NOT \`docker compose\`," \
       "it is end-of-life, and it lacks \`config --format json\`, so tests/integration/compose.test.mjs" \
       "WILL STILL FAIL. Fix the v2 build (needs Go >= 1.24 and the Go module proxy) and re-run."
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-compose
  docker-compose version
  loud "INSTALLED COMPOSE V1 ($(docker-compose version --short 2>/dev/null || echo '?')), NOT V2. Use \`docker-compose\`, not \`docker compose\`."
  exit 2
}

build_v2 || fallback_v1

# 3. Verify through the docker CLI, which is how users and the tests call it.
if command -v docker >/dev/null 2>&1; then
  have="$(current_version)"
  if [ "$have" != "$WANT" ]; then
    if [ -n "${COMPOSE_PLUGIN_DIR:-}" ]; then
      log "note: \`docker compose\` does not see $PLUGIN_DIR (reports '${have:-nothing}');"
      log "      expected for a custom COMPOSE_PLUGIN_DIR that the docker CLI does not search."
      exit 0
    fi
    log "error: $PLUGIN is installed but \`docker compose version\` reports '${have:-nothing}'."
    log "       Another plugin dir or DOCKER_CONFIG is shadowing it."
    exit 1
  fi
  docker compose version
fi
