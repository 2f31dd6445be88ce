// The api key constants the generator writes into assembly/codec/generated/apis.ts
// (PRODUCE, FETCH, ... which every module imports instead of keeping its own copy) against
// Kafka's own table: org.apache.kafka.common.protocol.ApiKeys in the Kafka 4.3.1 client jar
// (tests/clients/java/ApiKeysTable.java). Same names, same keys, nothing missing either way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { javaClientClasspath } from "../integration/support/clients.mjs";

const APIS_TS = fileURLToPath(new URL("../../assembly/codec/generated/apis.ts", import.meta.url));

test("every generated api key constant is Kafka's ApiKeys name for that key, and every ApiKeys value has one", () => {
  const ours = new Map([...readFileSync(APIS_TS, "utf8").matchAll(/^export const ([A-Z_]+): i16 = (\d+);$/gm)].map((m) => [m[1], Number(m[2])]));
  const run = spawnSync("java", ["-cp", javaClientClasspath(), "ApiKeysTable"], { encoding: "utf8" });
  assert.equal(run.status, 0, `ApiKeysTable failed: ${run.error?.message ?? run.stderr}`);
  const kafka = new Map(run.stdout.trim().split("\n").map((line) => line.split(" ")).map(([name, key]) => [name, Number(key)]));
  assert.ok(kafka.size >= 90 && kafka.get("PRODUCE") === 0 && kafka.get("API_VERSIONS") === 18, `Kafka's table: ${run.stdout}`);
  const differences = [];
  for (const [name, key] of kafka) if (ours.get(name) !== key) differences.push(`Kafka ${name}=${key}, apis.ts ${ours.has(name) ? `${name}=${ours.get(name)}` : "has no such constant"}`);
  for (const [name, key] of ours) if (!kafka.has(name)) differences.push(`apis.ts ${name}=${key}, Kafka has no such ApiKeys value`);
  assert.deepEqual(differences, []);
});
