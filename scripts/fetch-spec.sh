#!/usr/bin/env bash
# Vendors Apache Kafka's protocol message definitions (common/message/*.json from
# kafka-clients) into spec/kafka-<version>/, the single input of tools/gen.
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

# Extract into a scratch directory first so a failed run never leaves a half-updated spec.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
unzip -q -o "$jar" 'common/message/*.json' -d "$scratch"

count=$(find "$scratch/common/message" -name '*.json' | wc -l)
if [[ "$count" -eq 0 ]]; then
  echo "fetch-spec: no common/message/*.json in $jar" >&2
  exit 1
fi

mkdir -p "$spec_dir"
find "$spec_dir" -maxdepth 1 -name '*.json' -delete
cp "$scratch"/common/message/*.json "$spec_dir/"

cat > "$spec_dir/NOTICE.md" <<NOTICE
# Apache Kafka $KAFKA_VERSION message definitions

The \`*.json\` files in this directory are Apache Kafka's protocol message
definitions, copied **unchanged** (license headers included) from
\`common/message/\` inside \`org.apache.kafka:kafka-clients:$KAFKA_VERSION\`
(Maven Central). They are Copyright The Apache Software Foundation and are
distributed under the Apache License, Version 2.0
(https://www.apache.org/licenses/LICENSE-2.0); see the header of each file.

They are the only input of the codec generator (\`tools/gen\`), which turns
them into \`assembly/codec/generated/\`.

## Moving to a newer Kafka version

1. \`KAFKA_VERSION=<new> scripts/fetch-spec.sh\` — creates \`spec/kafka-<new>/\`.
2. Point \`tools/gen\` at it (the \`KAFKA_VERSION\` constant in \`tools/gen/config.ts\`),
   then \`npm run gen\` and review the diff of \`assembly/codec/generated/\`.
3. Run the codec tests (\`npm run test:unit\`), then delete the old
   \`spec/kafka-<old>/\` directory.
NOTICE

echo "fetch-spec: $count message definitions -> ${spec_dir#$repo_root/}" >&2
