// API names by key, read straight from the vendored Kafka message definitions, so
// the tests do not take them from the code under test.
import fs from "node:fs";
import path from "node:path";
import { root } from "../../../scripts/lib/envoy.mjs";

/**
 * The Kafka version the project pins (tools/kafka/pom.xml's kafka.version), e.g. "4.3.1"; names the spec/ directory.
 */
export function kafkaVersion() {
  const pom = fs.readFileSync(path.join(root, "tools/kafka/pom.xml"), "utf8");
  return /<kafka.version>([^<]+)<\/kafka.version>/.exec(pom)[1];
}

/** Map of api key (number) → API name without "Request" (e.g. 3 → "Metadata"), removed APIs included. */
export function apiNamesByKey() {
  const dir = path.join(root, "spec", `kafka-${kafkaVersion()}`);
  const names = new Map();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith("Request.json"))) {
    const text = fs.readFileSync(path.join(dir, file), "utf8").split("\n")
      .filter((line) => !line.trim().startsWith("//")).join("\n");
    const spec = JSON.parse(text);
    names.set(spec.apiKey, spec.name.replace(/Request$/, ""));
  }
  return names;
}

/**
 * Request version ranges by API key, { name, min, max }, from the vendored definitions'
 * validVersions; APIs Kafka removed ("validVersions": "none") are left out.
 */
export function apiVersionRanges() {
  const dir = path.join(root, "spec", `kafka-${kafkaVersion()}`);
  const ranges = new Map();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith("Request.json"))) {
    const text = fs.readFileSync(path.join(dir, file), "utf8").split("\n")
      .filter((line) => !line.trim().startsWith("//")).join("\n");
    const spec = JSON.parse(text);
    if (spec.validVersions === "none") continue;
    const [min, max] = spec.validVersions.split("-").map(Number);
    ranges.set(spec.apiKey, { name: spec.name.replace(/Request$/, ""), min, max: max ?? min });
  }
  return ranges;
}
