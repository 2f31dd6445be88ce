// Kafka API names and versions, read from the vendored message definitions in
// spec/kafka-<version>/ (not from the filter under test).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

let apis = null;

function parseVersions(text) {
  if (!text || text === "none") return null;
  const m = /^(\d+)(?:-(\d+)|(\+))?$/.exec(text.trim());
  if (!m) return null;
  const min = Number(m[1]);
  return { min, max: m[3] ? Infinity : m[2] !== undefined ? Number(m[2]) : min };
}

/** Map apiKey -> { name, minVersion, maxVersion, flexibleSince }. */
export function kafkaApis() {
  if (apis) return apis;
  const pom = fs.readFileSync(path.join(root, "tools/kafka/pom.xml"), "utf8");
  const version = /<kafka.version>([^<]+)<\/kafka.version>/.exec(pom)[1];
  const dir = path.join(root, "spec", `kafka-${version}`);
  apis = new Map();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith("Request.json"))) {
    const text = fs.readFileSync(path.join(dir, file), "utf8").split("\n")
      .filter((line) => !line.trim().startsWith("//")).join("\n");
    const spec = JSON.parse(text);
    const valid = parseVersions(spec.validVersions) ?? { min: 0, max: 0 };
    const flexible = parseVersions(spec.flexibleVersions);
    apis.set(spec.apiKey, {
      name: spec.name.replace(/Request$/, ""),
      minVersion: valid.min,
      maxVersion: valid.max,
      flexibleSince: flexible ? flexible.min : Infinity,
    });
  }
  return apis;
}

export function apiNameOf(apiKey) {
  return kafkaApis().get(apiKey)?.name ?? `Unknown${apiKey}`;
}
