#!/usr/bin/env bash
# Pushes the filter module to an OCI registry as an image Istio's WasmPlugin can pull
# (README "OCI image"), in either or both of the two formats Istio's image fetcher
# reads (istio pkg/wasm/imagefetcher.go; the formats are solo-io/wasm's spec/spec.md and
# spec/spec-compat.md):
#
#   --oci REF     the Wasm OCI artifact ("oci" variant): an image manifest with exactly two
#                 layers, runtime-config.json (application/vnd.module.wasm.config.v1+json)
#                 and plugin.wasm, the raw module (application/vnd.module.wasm.content.layer.v1+wasm);
#                 the manifest config is runtime-config.json too.
#   --compat REF  the "compat" variant, an ordinary container image: one
#                 application/vnd.oci.image.layer.v1.tar+gzip layer holding plugin.wasm and
#                 runtime-config.json, an OCI image config, and the manifest annotation
#                 module.wasm.image/variant=compat: an ordinary container image, for
#                 registries and tools that accept nothing else.
#
#   scripts/oci-image.sh --oci registry.example.com/kafka-filter:0.1.0 \
#                        --compat registry.example.com/kafka-filter:0.1.0-compat
#
# Options: --wasm FILE (default build/kafka_filter.wasm; build it first with `npm run build`),
# --plain-http (a registry without TLS, such as a local test registry), --oras PATH (default
# .deps/bin/oras, then oras on PATH; `bash scripts/install-go-tools.sh` installs the pinned one).
# Credentials: `oras login` (or Docker's config.json), as for any oras command.
#
# The images are reproducible: no timestamps but SOURCE_DATE_EPOCH (default 0) in the
# manifest annotation org.opencontainers.image.created and the tar entries, so the same
# module gives the same digests. Prints "<variant> <ref>@<digest>" per pushed image.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

usage() { echo "usage: scripts/oci-image.sh [--wasm FILE] [--plain-http] [--oras PATH] [--oci REF] [--compat REF]" >&2; exit 1; }
fail() { echo "oci-image: $*" >&2; exit 1; }

wasm="$root/build/kafka_filter.wasm"
oras=""
oci_ref=""
compat_ref=""
plain_http=()
while [ $# -gt 0 ]; do
  case "$1" in
    --wasm) [ $# -ge 2 ] || usage; wasm="$(realpath "$2")"; shift 2 ;;
    --oras) [ $# -ge 2 ] || usage; oras="$2"; shift 2 ;;
    --oci) [ $# -ge 2 ] || usage; oci_ref="$2"; shift 2 ;;
    --compat) [ $# -ge 2 ] || usage; compat_ref="$2"; shift 2 ;;
    --plain-http) plain_http=(--plain-http); shift ;;
    *) usage ;;
  esac
done
[ -n "$oci_ref$compat_ref" ] || fail "give --oci REF, --compat REF or both"
[ -f "$wasm" ] || fail "no module at $wasm (build it with \`npm run build\`)"
[ "$(head -c 4 "$wasm" | od -An -tx1 | tr -d ' \n')" = "0061736d" ] || fail "$wasm is not a WebAssembly module"
if [ -z "$oras" ]; then
  if [ -x "$root/.deps/bin/oras" ]; then oras="$root/.deps/bin/oras"
  elif command -v oras >/dev/null 2>&1; then oras="$(command -v oras)"
  else fail "oras is not installed: run \`bash scripts/install-go-tools.sh\`"; fi
fi

epoch="${SOURCE_DATE_EPOCH:-0}"
created="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"   # oras names each layer by the file's relative path (its title annotation)
cp "$wasm" plugin.wasm
# The runtime configuration of solo-io/wasm's spec: the Envoy proxy-wasm ABI the module
# exports (proxy_abi_version_0_2_1) and its root id (envoy.yaml's root_id).
printf '%s\n' '{"type":"envoy_proxy","abiVersions":["proxy_abi_version_0_2_1"],"config":{"root_ids":["kafka_filter"]}}' > runtime-config.json

digest_of() { "$oras" resolve "${plain_http[@]}" "$1"; }

if [ -n "$oci_ref" ]; then
  "$oras" push "${plain_http[@]}" --no-tty \
    --config runtime-config.json:application/vnd.module.wasm.config.v1+json \
    --annotation "org.opencontainers.image.created=$created" \
    "$oci_ref" \
    runtime-config.json:application/vnd.module.wasm.config.v1+json \
    plugin.wasm:application/vnd.module.wasm.content.layer.v1+wasm >&2
  echo "oci $oci_ref@$(digest_of "$oci_ref")"
fi

if [ -n "$compat_ref" ]; then
  mkdir layer
  cp plugin.wasm runtime-config.json layer/
  # A reproducible tar: fixed order, owner, mode and time.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mode=0644 --mtime="@$epoch" --format=ustar \
    -C layer -cf plugin.tar plugin.wasm runtime-config.json
  gzip -9 -n -c plugin.tar > plugin.tar.gz
  diff_id="sha256:$(sha256sum plugin.tar | cut -d' ' -f1)"
  # An OCI image config (image-spec config.md). The platform is Docker's for Wasm images;
  # Istio reads only the layer.
  printf '{"architecture":"wasm","os":"wasi","created":"%s","config":{},"rootfs":{"type":"layers","diff_ids":["%s"]}}\n' \
    "$created" "$diff_id" > image-config.json
  "$oras" push "${plain_http[@]}" --no-tty \
    --config image-config.json:application/vnd.oci.image.config.v1+json \
    --annotation "module.wasm.image/variant=compat" \
    --annotation "org.opencontainers.image.created=$created" \
    "$compat_ref" \
    plugin.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip >&2
  echo "compat $compat_ref@$(digest_of "$compat_ref")"
fi
