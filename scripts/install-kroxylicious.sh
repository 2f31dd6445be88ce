#!/usr/bin/env bash
# Resolves Kroxylicious (benchmark-only anchor: npm run bench:proxy -- --kroxylicious) from
# Maven Central into .deps/kroxylicious/lib. The version is pinned in
# tools/kroxylicious/pom.xml (<kroxylicious.version>). Prints the jar directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
lib="$root/.deps/kroxylicious/lib"
version="$(sed -n 's:.*<kroxylicious.version>\(.*\)</kroxylicious.version>.*:\1:p' "$root/tools/kroxylicious/pom.xml")"
if [ -f "$lib/kroxylicious-runtime-$version.jar" ] && ls "$lib"/slf4j-simple-*.jar >/dev/null 2>&1; then
  echo "$lib"
  exit 0
fi
command -v java >/dev/null || { echo "install-kroxylicious: java (17+) is required to run Kroxylicious" >&2; exit 1; }
command -v mvn >/dev/null || { echo "install-kroxylicious: mvn is required to fetch Kroxylicious $version from Maven Central" >&2; exit 1; }
rm -rf "$lib"
mvn -q -B -f "$root/tools/kroxylicious/pom.xml" dependency:copy-dependencies \
  -DoutputDirectory="$lib" -DincludeScope=runtime >&2 \
  || { echo "install-kroxylicious: mvn could not resolve io.kroxylicious:kroxylicious-runtime:$version" >&2; exit 1; }
echo "$lib"
