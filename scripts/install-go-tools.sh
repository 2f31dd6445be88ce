#!/usr/bin/env bash
# Installs the Go tools the OCI-image and Istio-manifest checks use, pinned, into
# .deps/bin, by compiling their released module versions fetched through the Go module
# proxy (checksums verified against the Go checksum database by the go tool):
#
#   oras        pushes and pulls the filter's OCI images (scripts/oci-image.sh)
#   registry    go-containerregistry's registry (pkg/registry, served by its cmd/registry), run
#               locally by tests/integration/oci-image.test.mjs. The CNCF Distribution registry
#               was the first choice, but its storage drivers and tracing pull in gRPC, OpenTelemetry
#               and three cloud SDKs: a cold build took over 7 minutes on the 2-core machine,
#               against seconds for this one, whose module istio-wasm-fetch needs anyway
#   kubeconform validates deploy/istio/ against Istio's CRD schemas
#
# and tools/istio-wasm-fetch (ours: go-containerregistry, the library Istio's Wasm image
# fetcher uses, reading an image by that fetcher's rules; for tests/integration/oci-image.test.mjs).
#
# It also converts Istio's CRDs (kubernetes/customresourcedefinitions.gen.yaml of the
# pinned istio.io/api module) to JSON schemas for kubeconform, with kubeconform's own
# converter (scripts/openapi2jsonschema.py of the pinned kubeconform module), into
# .deps/istio-schemas/<istio.io/api version>/.
#
# Idempotent: a tool whose binary already reports the pinned module version (its Go
# build info) is left alone; a cold run compiles for 2-4 minutes on 2 CPUs.
# Prints one line naming the installed versions.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.deps/bin"

ORAS="oras.land/oras/cmd/oras@v1.3.6"
REGISTRY="github.com/google/go-containerregistry/cmd/registry@v0.22.1"
KUBECONFORM="github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0"
ISTIO_API="istio.io/api@v1.32.0"

fail() { echo "install-go-tools: FAILED: $*" >&2; exit 1; }
say() { echo "install-go-tools: $*" >&2; }

# The official Go tarball installs to /usr/local/go, which non-login shells may not have on
# PATH; it comes first, since a distribution's older go may also be installed. (A go older than
# a module's go.mod asks for fetches that Go release from the module proxy, GOTOOLCHAIN=auto.)
[ ! -x /usr/local/go/bin/go ] || PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null 2>&1 || fail "no Go toolchain (go) on PATH; scripts/setup.sh --for-tests installs one"

# The module version recorded in a binary's build info ("" when absent or not a Go binary).
built_version() {
  [ -x "$1" ] || return 0
  go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

mkdir -p "$bin"
for spec in "$ORAS" "$REGISTRY" "$KUBECONFORM"; do
  package="${spec%@*}"
  version="${spec#*@}"
  name="${package##*/}"
  if [ "$(built_version "$bin/$name")" = "$version" ]; then continue; fi
  say "building $package@$version ($(go version | awk '{print $3}'))"
  start=$(date +%s)
  # GOFLAGS is cleared so a caller's -mod setting cannot make `go install pkg@version` refuse.
  GOBIN="$bin" GOFLAGS= CGO_ENABLED=0 go install -trimpath "$spec" >&2 \
    || fail "go install $spec"
  [ "$(built_version "$bin/$name")" = "$version" ] || fail "$bin/$name does not report $version after go install"
  say "installed $bin/$name ($(( $(date +%s) - start ))s)"
done

# Our go-containerregistry reader of Wasm images (tools/istio-wasm-fetch: Istio's fetch rules,
# with the library Istio's fetcher uses), rebuilt whenever its sources change.
fetch_src="$root/tools/istio-wasm-fetch"
fetch_stamp="$(cat "$fetch_src/go.mod" "$fetch_src/go.sum" "$fetch_src"/*.go | sha256sum | cut -d' ' -f1)"
if [ ! -x "$bin/istio-wasm-fetch" ] || [ "$(cat "$bin/istio-wasm-fetch.sources-sha256" 2>/dev/null)" != "$fetch_stamp" ]; then
  say "building tools/istio-wasm-fetch"
  (cd "$fetch_src" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -o "$bin/istio-wasm-fetch" .) >&2 \
    || fail "go build tools/istio-wasm-fetch"
  echo "$fetch_stamp" > "$bin/istio-wasm-fetch.sources-sha256"
fi

# Istio's CRD schemas, as JSON schemas kubeconform reads ({kind}-{group}-{version}.json).
schemas="$root/.deps/istio-schemas/${ISTIO_API#*@}"
if [ ! -f "$schemas/.complete" ]; then
  python3 -c 'import yaml' 2>/dev/null || fail "Python's yaml module is missing (Debian: python3-yaml); kubeconform's converter needs it"
  # `go mod download` outside any module: it only fetches (hash-verified) into the module cache.
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  module_dir() { (cd "$scratch" && GOFLAGS= go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'); }
  istio_api_dir="$(module_dir "$ISTIO_API")"
  crds="$istio_api_dir/kubernetes/customresourcedefinitions.gen.yaml"
  [ -f "$crds" ] || fail "could not download $ISTIO_API (no $crds)"
  kubeconform_dir="$(module_dir "${KUBECONFORM%%/cmd/*}@${KUBECONFORM#*@}")"
  converter="$kubeconform_dir/scripts/openapi2jsonschema.py"
  [ -f "$converter" ] || fail "kubeconform's converter is missing ($converter)"
  rm -rf "$schemas.tmp" && mkdir -p "$schemas.tmp"
  # The converter writes into the current directory. FILENAME_FORMAT keeps the group in the
  # name, since two API groups may define the same kind.
  (cd "$schemas.tmp" && FILENAME_FORMAT='{kind}-{fullgroup}-{version}' python3 "$converter" "$crds" >/dev/null) \
    || fail "converting Istio's CRDs to JSON schemas"
  [ -f "$schemas.tmp/wasmplugin-extensions.istio.io-v1alpha1.json" ] || fail "no WasmPlugin schema among the converted CRDs"
  touch "$schemas.tmp/.complete"
  rm -rf "$schemas" && mv "$schemas.tmp" "$schemas"
  say "converted Istio's CRDs ($ISTIO_API) into $schemas"
fi

echo "oras ${ORAS#*@}, registry ${REGISTRY#*@}, kubeconform ${KUBECONFORM#*@}, istio-wasm-fetch, Istio CRDs ${ISTIO_API#*@}"
