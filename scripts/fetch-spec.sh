#!/usr/bin/env bash
# Vendors Apache Kafka's protocol message definitions (common/message/*.json from
# kafka-clients) into spec/kafka-<version>/, the single input of tools/gen, together
# with errors.json: the error codes and names of kafka-clients' Errors enum, dumped by
# tools/errors/DumpErrors.java (needs java 11+ and slf4j-api, which Errors loads).
#
#   scripts/fetch-spec.sh            # uses KAFKA_VERSION, default below
#   KAFKA_VERSION=4.4.0 scripts/fetch-spec.sh
#
# The jar is taken from .deps/kafka/lib when the lead's Maven resolution already put it
# there; otherwise only kafka-clients is fetched from Maven Central with `mvn`.
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lib_dir="$repo_root/.deps/kafka/lib"
jar="$lib_dir/kafka-clients-$KAFKA_VERSION.jar"
spec_dir="$repo_root/spec/kafka-$KAFKA_VERSION"

if [[ ! -f "$jar" ]]; then
  command -v mvn >/dev/null || { echo "fetch-spec: mvn is required to download $jar" >&2; exit 1; }
  mkdir -p "$lib_dir"
  echo "fetch-spec: downloading org.apache.kafka:kafka-clients:$KAFKA_VERSION" >&2
  mvn -q dependency:copy \
    "-Dartifact=org.apache.kafka:kafka-clients:$KAFKA_VERSION:jar" \
    "-DoutputDirectory=$lib_dir"
fi

# org.apache.kafka.common.protocol.Errors has a static slf4j logger, so loading it needs
# slf4j-api next to kafka-clients (install-kafka.sh puts one there; otherwise fetch it).
SLF4J_VERSION="${SLF4J_VERSION:-1.7.36}"
slf4j_jar="$(find "$lib_dir" -maxdepth 1 -name 'slf4j-api-*.jar' | sort | tail -n 1)"
if [[ -z "$slf4j_jar" ]]; then
  command -v mvn >/dev/null || { echo "fetch-spec: mvn is required to download slf4j-api" >&2; exit 1; }
  echo "fetch-spec: downloading org.slf4j:slf4j-api:$SLF4J_VERSION" >&2
  mvn -q dependency:copy \
    "-Dartifact=org.slf4j:slf4j-api:$SLF4J_VERSION:jar" \
    "-DoutputDirectory=$lib_dir"
  slf4j_jar="$lib_dir/slf4j-api-$SLF4J_VERSION.jar"
fi
command -v java >/dev/null || { echo "fetch-spec: java (11+) is required to dump the Errors enum" >&2; exit 1; }

# Extract into a scratch directory first so a failed run never leaves a half-updated spec.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
unzip -q -o "$jar" 'common/message/*.json' -d "$scratch"

# Error codes, as data: tools/gen turns errors.json into assembly/codec/generated/errors.ts.
java -cp "$jar:$slf4j_jar" "$repo_root/tools/errors/DumpErrors.java" > "$scratch/errors.json"
if ! grep -q '"name": "UNKNOWN_SERVER_ERROR"' "$scratch/errors.json"; then
  echo "fetch-spec: DumpErrors produced no UNKNOWN_SERVER_ERROR; see $scratch/errors.json" >&2
  exit 1
fi

count=$(find "$scratch/common/message" -name '*.json' | wc -l)
if [[ "$count" -eq 0 ]]; then
  echo "fetch-spec: no common/message/*.json in $jar" >&2
  exit 1
fi

mkdir -p "$spec_dir"
find "$spec_dir" -maxdepth 1 -name '*.json' -delete
cp "$scratch"/common/message/*.json "$spec_dir/"
cp "$scratch/errors.json" "$spec_dir/errors.json"

cat > "$spec_dir/NOTICE.md" <<NOTICE
# Apache Kafka $KAFKA_VERSION message definitions

The \`*.json\` files in this directory, except \`errors.json\` (below), are Apache Kafka's protocol message
definitions, copied **unchanged** (license headers included) from
\`common/message/\` inside \`org.apache.kafka:kafka-clients:$KAFKA_VERSION\`
(Maven Central). They are Copyright The Apache Software Foundation and are
distributed under the Apache License, Version 2.0
(https://www.apache.org/licenses/LICENSE-2.0); see the header of each file.

\`errors.json\` is derived from the same jar: the code and name of every constant
of Kafka's \`org.apache.kafka.common.protocol.Errors\` enum, in declaration order,
printed by \`tools/errors/DumpErrors.java\`. It is data taken from Apache Kafka
(Copyright The Apache Software Foundation, Apache License, Version 2.0).

These files are the only input of the codec generator (\`tools/gen\`), which turns
them into \`assembly/codec/generated/\` (\`errors.json\` becomes \`errors.ts\`).

## Moving to a newer Kafka version

1. \`KAFKA_VERSION=<new> scripts/fetch-spec.sh\` — creates \`spec/kafka-<new>/\`.
2. Point \`tools/gen\` at it (the \`KAFKA_VERSION\` constant in \`tools/gen/config.ts\`),
   then \`npm run gen\` and review the diff of \`assembly/codec/generated/\`.
3. Run the codec tests (\`npm run test:unit\`), then delete the old
   \`spec/kafka-<old>/\` directory.
NOTICE

echo "fetch-spec: $count message definitions and errors.json -> ${spec_dir#$repo_root/}" >&2
