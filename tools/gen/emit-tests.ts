// Emits tests/unit/codec/generated/builders.ts: for every message a builder that, for a
// given version, sets EVERY field present in that version to a non-default value
// (nested arrays with elements, tagged fields set, unknown tagged fields added in
// flexible versions). Variant 1 sets nullable fields to null where the version allows
// it. The hand-written roundtrip spec drives these through encode/decode/encode.

import { Code } from "./code.ts";
import { CODEC_OUT, GENERATED_HEADER, TESTS_OUT } from "./config.ts";
import { FieldDef, FieldType, MessageDef, SpecModel, StructDef, hasNullDefault } from "./model.ts";
import { VersionRange, each, isEmpty, versionCondition } from "./versions.ts";

/** Tag used for a second unknown tagged field; above every known tag (2-byte varint). */
const HIGH_UNKNOWN_TAG = 0x3fff;

export function emitBuilders(model: SpecModel): string {
  const c = new Code();
  c.line(GENERATED_HEADER.trimEnd());
  c.line("//");
  c.line("// Populated-instance builders for the round-trip spec; see tools/gen/emit-tests.ts.");
  c.line("");
  c.line(`import { Message } from "${relCodec("message")}";`);
  c.line(`import { RecordsView, Uuid } from "${relCodec("types")}";`);
  c.line(`import { arrayOf1, arrayOf2, sampleBytes, sampleRecords, sampleString, sampleUnknownTags } from "../samples";`);
  const dataMessages = model.messages.filter((m) => m.kind === "data" && !isEmpty(m.validVersions));
  const messages = model.apis.flatMap((a) => [a.request, a.response]).filter((m) => !isEmpty(m.validVersions))
    .concat(dataMessages);
  for (const m of messages) {
    c.line(`import { ${m.structs.map((s) => s.className).join(", ")} } from "${relCodec(`generated/${m.name}`)}";`);
  }
  c.line("");
  c.line(`// Silence "unused import" in messages without records/uuid fields.`);
  c.line(`export type UnusedRecordsView = RecordsView;`);
  c.line(`export type UnusedUuid = Uuid;`);
  c.line("");
  let triples = 0;
  for (const a of model.apis) {
    if (isEmpty(a.request.validVersions)) continue;
    for (const _ of each(a.request.validVersions)) triples += 2;
  }
  c.line(`/** (api key, version, direction) triples the builders cover: every valid one. */`);
  c.line(`export const ROUND_TRIP_TRIPLES: i32 = ${triples};`);
  c.line("");
  for (const [fn, kind] of [["buildRequest", "request"], ["buildResponse", "response"]] as const) {
    c.line(`/** A populated ${kind} of (apiKey, version), or null when there is no builder for it. */`);
    c.block(`export function ${fn}(apiKey: i32, version: i16, variant: i32): Message | null`, () => {
      c.block(`switch (apiKey)`, () => {
        for (const a of model.apis) {
          if (isEmpty(a.request.validVersions)) continue;
          const m = a[kind];
          c.line(`case ${a.apiKey}: return build_${m.root.className}(version, variant, ${a.apiKey + 1});`);
        }
      });
      c.line(`return null;`);
    });
    c.line("");
  }
  emitDataTable(c, dataMessages);
  for (const m of messages) {
    for (const s of m.structs) emitBuilder(c, m, s);
  }
  return c.toString();
}

function relCodec(module: string): string {
  // builders.ts lives in TESTS_OUT; both paths are relative to the repository root.
  const depth = TESTS_OUT.split("/").length;
  return `${"../".repeat(depth)}${CODEC_OUT.replace(/\/generated$/, "")}/${module}`;
}

function emitBuilder(c: Code, m: MessageDef, s: StructDef): void {
  const within = m.validVersions;
  const flexible = versionCondition(m.flexibleVersions, within);
  c.block(`function build_${s.className}(version: i16, variant: i32, seed: i32): ${s.className}`, () => {
    c.line(`const s = new ${s.className}();`);
    s.fields.forEach((f, index) => {
      const present = versionCondition(f.versions, within);
      if (present === "false") return;
      const nullable = versionCondition(f.nullableVersions, within);
      const value = sampleValue(f.type, `seed + ${index + 1}`, f, within);
      const assign = nullable === "false"
        ? `s.${f.prop} = ${value};`
        : `s.${f.prop} = ${and2(nullable, "variant == 1")} ? null : ${value};`;
      if (present === "true") c.line(assign);
      else c.line(`if (${present}) ${assign}`);
    });
    if (!isEmpty(m.flexibleVersions)) {
      const line = `s.unknownTaggedFields = sampleUnknownTags(${lowUnknownTag(s)}, ${HIGH_UNKNOWN_TAG});`;
      if (flexible === "true") c.line(line);
      else if (flexible !== "false") c.line(`if (${flexible}) ${line}`);
    }
    c.line(`return s;`);
  });
  c.line("");
}

function and2(a: string, b: string): string {
  return a === "true" ? b : `(${a}) && ${b}`;
}

/** Smallest tag no known field of the struct uses, so unknown and known tags interleave. */
function lowUnknownTag(s: StructDef): number {
  const used = new Set(s.fields.filter((f) => f.tag !== undefined).map((f) => f.tag));
  let t = 0;
  while (used.has(t)) t++;
  return t;
}

/** An expression of the field's type that differs from its default. */
function sampleValue(t: FieldType, seed: string, f: FieldDef, within: VersionRange): string {
  switch (t.kind) {
    case "struct":
      return `build_${t.struct.className}(version, variant, ${seed})`;
    case "array": {
      const element = t.element;
      const elemType = element.kind === "struct" ? element.struct.className : primitiveAsType(element.name);
      const values = element.kind === "struct"
        ? [sampleValue(element, `${seed} * 7`, f, within)]
        : [sampleValue(element, `${seed} * 7`, f, within), sampleValue(element, `${seed} * 7 + 3`, f, within)];
      return `arrayOf${values.length}<${elemType}>(${values.join(", ")})`;
    }
    case "primitive": {
      // Element values of arrays ignore the field default; scalars step away from it.
      const isElement = f.type.kind === "array";
      const d = isElement || hasNullDefault(f) ? undefined : f.defaultText;
      switch (t.name) {
        case "bool": return d === "true" ? "false" : "true";
        case "int8": return `<i8>(${num(d)} + 1 + (${seed}) % 50)`;
        case "int16": return `<i16>(${num(d)} + 1 + (${seed}) % 1000)`;
        case "uint16": return `<u16>(${num(d)} + 1 + (${seed}) % 1000)`;
        case "int32": return `<i32>(${num(d)} + 1 + (${seed}))`;
        case "uint32": return `<u32>(${num(d)} + 1 + (${seed}))`;
        case "int64": return `<i64>(${num(d)} + 1 + <i64>(${seed}) * 1000000007)`;
        case "float64": return `<f64>(${num(d)} + 1.5 + <f64>(${seed}))`;
        case "string": return `sampleString(${seed})`;
        case "bytes": return `sampleBytes(${seed})`;
        case "uuid": return `new Uuid(<u64>(${seed}) + 1, <u64>(${seed}) * 31 + 7)`;
        case "records": return `sampleRecords(${seed})`;
      }
    }
  }
}

function primitiveAsType(name: string): string {
  const map: Record<string, string> = {
    int8: "i8", int16: "i16", uint16: "u16", int32: "i32", uint32: "u32", int64: "i64", float64: "f64",
    bool: "bool", string: "string", bytes: "ArrayBuffer", uuid: "Uuid", records: "RecordsView",
  };
  return map[name];
}

function num(d: string | undefined): string {
  return d === undefined || d === "" ? "0" : `(${d})`;
}

/**
 * "data" definitions (consumer protocol, control records, KRaft records) are not
 * requests or responses but are generated too; a small table lets the spec round-trip them.
 */
function emitDataTable(c: Code, data: MessageDef[]): void {
  c.line(`/** Generated "data" messages (not requests/responses), by index. */`);
  c.line(`export const DATA_MESSAGE_COUNT: i32 = ${data.length};`);
  c.line("");
  const table = (signature: string, value: (m: MessageDef) => string, fallback: string) => {
    c.block(`export function ${signature}`, () => {
      c.block(`switch (index)`, () => {
        data.forEach((m, i) => c.line(`case ${i}: return ${value(m)};`));
      });
      c.line(`return ${fallback};`);
    });
    c.line("");
  };
  table(`dataMessageName(index: i32): string`, (m) => JSON.stringify(m.name), `"Unknown"`);
  table(`dataMinVersion(index: i32): i16`, (m) => String(m.validVersions.lo), "-1");
  table(`dataMaxVersion(index: i32): i16`, (m) => String(m.validVersions.hi), "-1");
  table(`newDataMessage(index: i32): Message | null`, (m) => `new ${m.root.className}(false)`, "null");
  table(`buildDataMessage(index: i32, version: i16, variant: i32): Message | null`,
    (m) => `build_${m.root.className}(version, variant, ${data.indexOf(m) + 200})`, "null");
}
