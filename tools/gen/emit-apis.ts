// Emits assembly/codec/generated/apis.ts: the API table the filter consults for every
// frame (names, version ranges, header versions). Everything is a switch over
// constants so lookups allocate nothing and return static string literals.

import { GENERATED_HEADER } from "./config.ts";
import { ApiDef, SpecModel } from "./model.ts";
import { isEmpty } from "./versions.ts";

/**
 * Request header version for (api, version), following Kafka's rules:
 * v2 in flexible versions, else v1; v0 only for ControlledShutdown v0 (api key 7).
 */
export function requestHeaderVersionOf(api: ApiDef, version: number): number {
  if (version < api.request.validVersions.lo || version > api.request.validVersions.hi) return -1;
  if (api.apiKey === CONTROLLED_SHUTDOWN && version === 0) return 0;
  const f = api.request.flexibleVersions;
  return version >= f.lo && version <= f.hi ? 2 : 1;
}

/** Response header version: v1 in flexible versions, else v0; ApiVersions always v0. */
export function responseHeaderVersionOf(api: ApiDef, version: number): number {
  if (version < api.response.validVersions.lo || version > api.response.validVersions.hi) return -1;
  // Clients parse the ApiVersions response before knowing the broker's versions, so it
  // keeps the v0 header even in flexible versions (KIP-511).
  if (api.apiKey === API_VERSIONS) return 0;
  const f = api.response.flexibleVersions;
  return version >= f.lo && version <= f.hi ? 1 : 0;
}

const API_VERSIONS = 18;
const CONTROLLED_SHUTDOWN = 7;

/** "DescribeTopicPartitions" -> "DESCRIBE_TOPIC_PARTITIONS", as Kafka's ApiKeys enum names it. */
export function apiKeyConstant(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

function firstFlexible(range: { lo: number; hi: number }): number {
  return isEmpty(range) ? -1 : range.lo;
}

export function emitApis(model: SpecModel): string {
  const apis = model.apis;
  const supported = apis.filter((a) => !isEmpty(a.request.validVersions));
  const limit = Math.max(...apis.map((a) => a.apiKey)) + 1;
  const out: string[] = [];
  out.push(GENERATED_HEADER);
  out.push(`// The API table: every api key defined by a *Request.json, including APIs whose`);
  out.push(`// validVersions are "none" in this release (removed from the protocol: they are still`);
  out.push(`// known by name, but have no valid version, so every header lookup returns -1).`);
  out.push("");
  out.push(`/** One more than the largest api key. */`);
  out.push(`export const API_KEY_LIMIT: i32 = ${limit};`);
  out.push("");
  out.push(`/** Number of APIs with at least one valid version; see apiKeyAt. */`);
  out.push(`export const API_COUNT: i32 = ${supported.length};`);
  out.push("");
  // Kafka's own names (ApiKeys.java): the message name in upper snake case.
  out.push(`// Api keys by Kafka's name for them (org.apache.kafka.common.protocol.ApiKeys), so no`);
  out.push(`// module keeps its own copy of a key.`);
  for (const a of apis) out.push(`export const ${apiKeyConstant(a.name)}: i16 = ${a.apiKey};`);
  out.push("");
  out.push(`const SUPPORTED_API_KEYS: StaticArray<i16> = [${supported.map((a) => a.apiKey).join(", ")}];`);
  out.push("");
  out.push(`/** The i-th api key (ascending) among those with valid versions; -1 when out of range. */`);
  out.push(`export function apiKeyAt(index: i32): i16 {`);
  out.push(`  if (index < 0 || index >= API_COUNT) return -1;`);
  out.push(`  return unchecked(SUPPORTED_API_KEYS[index]);`);
  out.push(`}`);
  out.push("");

  out.push(`/** True for every api key defined by the spec, including ones without valid versions. */`);
  out.push(`export function isKnownApi(apiKey: i32): bool {`);
  out.push(`  switch (apiKey) {`);
  for (const a of apis) out.push(`    case ${a.apiKey}:`);
  out.push(`      return true;`);
  out.push(`  }`);
  out.push(`  return false;`);
  out.push(`}`);
  out.push("");

  out.push(`/** The API's name ("Produce", "Fetch", ...) or "Unknown"; a static literal, no allocation. */`);
  out.push(`export function apiName(apiKey: i32): string {`);
  out.push(`  switch (apiKey) {`);
  for (const a of apis) out.push(`    case ${a.apiKey}: return "${a.name}";`);
  out.push(`  }`);
  out.push(`  return "Unknown";`);
  out.push(`}`);
  out.push("");

  const versionSwitch = (fn: string, doc: string, value: (a: ApiDef) => number) => {
    out.push(`/** ${doc} */`);
    out.push(`export function ${fn}(apiKey: i32): i16 {`);
    out.push(`  switch (apiKey) {`);
    for (const a of apis) out.push(`    case ${a.apiKey}: return ${value(a)};`);
    out.push(`  }`);
    out.push(`  return -1;`);
    out.push(`}`);
    out.push("");
  };
  const lo = (a: ApiDef) => (isEmpty(a.request.validVersions) ? -1 : a.request.validVersions.lo);
  const hi = (a: ApiDef) => (isEmpty(a.request.validVersions) ? -1 : a.request.validVersions.hi);
  versionSwitch("apiMinVersion", "Lowest valid version; -1 for unknown or removed APIs.", lo);
  versionSwitch("apiMaxVersion", "Highest valid version (unstable latest versions included); -1 for unknown or removed APIs.", hi);
  versionSwitch(
    "requestFlexibleSince",
    "First flexible request version (compact encodings, tagged fields); -1 if none.",
    (a) => firstFlexible(a.request.flexibleVersions),
  );
  versionSwitch(
    "responseFlexibleSince",
    "First flexible response version; -1 if none.",
    (a) => firstFlexible(a.response.flexibleVersions),
  );

  out.push(`/** True when the highest version is marked latestVersionUnstable in the spec. */`);
  out.push(`export function isLatestVersionUnstable(apiKey: i32): bool {`);
  const unstable = apis.filter((a) => a.request.latestVersionUnstable || a.response.latestVersionUnstable);
  if (unstable.length === 0) {
    out.push(`  return false;`);
  } else {
    out.push(`  switch (apiKey) {`);
    for (const a of unstable) out.push(`    case ${a.apiKey}:`);
    out.push(`      return true;`);
    out.push(`  }`);
    out.push(`  return false;`);
  }
  out.push(`}`);
  out.push("");

  out.push(`/** True when \`apiVersion\` is a valid version of \`apiKey\`. */`);
  out.push(`export function isSupportedVersion(apiKey: i32, apiVersion: i32): bool {`);
  out.push(`  const min = apiMinVersion(apiKey);`);
  out.push(`  return min >= 0 && apiVersion >= min && apiVersion <= apiMaxVersion(apiKey);`);
  out.push(`}`);
  out.push("");

  // Header versions are derived by the same functions the tests use (requestHeaderVersionOf),
  // then emitted as version thresholds per api.
  out.push(`/**`);
  out.push(` * Request header version for a request of (apiKey, apiVersion): 2 in flexible versions,`);
  out.push(` * else 1 (0 only for ControlledShutdown v0, when the spec still has it); -1 when the`);
  out.push(` * key or version is unknown.`);
  out.push(` */`);
  out.push(`export function requestHeaderVersion(apiKey: i16, apiVersion: i16): i16 {`);
  out.push(`  if (!isSupportedVersion(apiKey, apiVersion)) return -1;`);
  out.push(`  switch (apiKey) {`);
  for (const a of supported) out.push(`    case ${a.apiKey}: ${headerExpr(a, (v) => requestHeaderVersionOf(a, v))}`);
  out.push(`  }`);
  out.push(`  return -1;`);
  out.push(`}`);
  out.push("");
  out.push(`/**`);
  out.push(` * Response header version for a response of (apiKey, apiVersion): 1 in flexible`);
  out.push(` * versions, else 0; ApiVersions responses always use 0. -1 when unknown.`);
  out.push(` */`);
  out.push(`export function responseHeaderVersion(apiKey: i16, apiVersion: i16): i16 {`);
  out.push(`  if (!isSupportedVersion(apiKey, apiVersion)) return -1;`);
  out.push(`  switch (apiKey) {`);
  for (const a of supported) out.push(`    case ${a.apiKey}: ${headerExpr(a, (v) => responseHeaderVersionOf(a, v))}`);
  out.push(`  }`);
  out.push(`  return -1;`);
  out.push(`}`);
  out.push("");
  return out.join("\n");
}

/**
 * A `return` statement mapping apiVersion to the header version, as a chain of
 * thresholds (header versions only ever increase with the api version).
 */
function headerExpr(api: ApiDef, headerOf: (v: number) => number): string {
  const range = api.request.validVersions;
  const steps: { from: number; header: number }[] = [];
  for (let v = range.lo; v <= range.hi; v++) {
    const h = headerOf(v);
    if (steps.length === 0 || steps[steps.length - 1].header !== h) steps.push({ from: v, header: h });
  }
  for (let i = 1; i < steps.length; i++) {
    if (steps[i].header < steps[i - 1].header) throw new Error(`${api.name}: header version decreases`);
  }
  if (steps.length === 1) return `return ${steps[0].header};`;
  let expr = `${steps[0].header}`;
  for (let i = 1; i < steps.length; i++) expr = `apiVersion >= ${steps[i].from} ? ${steps[i].header} : ${expr}`;
  return `return ${expr};`;
}
