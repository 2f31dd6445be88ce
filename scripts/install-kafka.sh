#!/usr/bin/env bash
# Resolves Apache Kafka (broker, tools, clients) from Maven Central into .deps/kafka/lib.
# The version is pinned in tools/kafka/pom.xml (<kafka.version>).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
lib="$root/.deps/kafka/lib"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$root/tools/kafka/pom.xml")"
if [ -f "$lib/kafka_2.13-$version.jar" ] && [ -f "$lib/kafka-tools-$version.jar" ]; then
  echo "$lib"
  exit 0
fi
command -v java >/dev/null || { echo "install-kafka: java is required to run Apache Kafka" >&2; exit 1; }
command -v mvn >/dev/null || { echo "install-kafka: mvn is required to fetch Apache Kafka $version from Maven Central" >&2; exit 1; }
rm -rf "$lib"
mvn -q -B -f "$root/tools/kafka/pom.xml" dependency:copy-dependencies \
  -DoutputDirectory="$lib" -DincludeScope=runtime >&2 \
  || { echo "install-kafka: mvn could not resolve org.apache.kafka:kafka_2.13:$version" >&2; exit 1; }
echo "$lib"
