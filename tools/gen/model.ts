// The generator's model: Kafka's JSON message definitions resolved into messages,
// structs and fields with parsed version ranges, resolved struct references and
// AssemblyScript names. Emitters only read this model; all interpretation of the
// JSON happens here.

import * as fs from "node:fs";
import * as path from "node:path";
import { readCommentedJson } from "./json.ts";
import { NO_VERSIONS, VersionRange, covers, intersect, isEmpty, parseVersions } from "./versions.ts";

export type PrimitiveName =
  | "int8" | "int16" | "int32" | "int64" | "uint16" | "uint32" | "float64" | "bool"
  | "string" | "bytes" | "uuid" | "records";

export type FieldType =
  | { kind: "primitive"; name: PrimitiveName }
  | { kind: "struct"; struct: StructDef }
  | { kind: "array"; element: FieldType };

export interface FieldDef {
  /** Kafka's name, e.g. "TopicData". */
  name: string;
  /** AssemblyScript property name, e.g. "topicData". */
  prop: string;
  type: FieldType;
  /** Versions the field exists in, clipped to the message's valid versions. */
  versions: VersionRange;
  nullableVersions: VersionRange;
  /** Non-empty for tagged fields; always equal to `versions` in Kafka 4.x definitions. */
  taggedVersions: VersionRange;
  tag: number | undefined;
  ignorable: boolean;
  /** The JSON "default", as text; undefined when absent. */
  defaultText: string | undefined;
  /** Kafka generates a hash map keyed by this field; we keep arrays, order preserved. */
  mapKey: boolean;
  about: string;
}

export interface StructDef {
  /** Kafka's struct name, e.g. "TopicProduceData" (the message name for the root). */
  name: string;
  /** AssemblyScript class name, unique across all generated files. */
  className: string;
  /** Prefix for error field names, e.g. "ProduceRequest.TopicProduceData". */
  errorPath: string;
  fields: FieldDef[];
  isRoot: boolean;
}

export type MessageKind = "request" | "response" | "header" | "data";

export interface MessageDef {
  file: string;
  name: string;
  kind: MessageKind;
  apiKey: number | undefined;
  validVersions: VersionRange;
  flexibleVersions: VersionRange;
  listeners: string[];
  latestVersionUnstable: boolean;
  root: StructDef;
  /** Every struct of the message, root last, each after the structs it contains. */
  structs: StructDef[];
}

export interface ApiDef {
  apiKey: number;
  /** "Produce", from "ProduceRequest". */
  name: string;
  request: MessageDef;
  response: MessageDef;
}

export interface SpecModel {
  messages: MessageDef[];
  /** Sorted by api key. */
  apis: ApiDef[];
  /** Kafka's error codes (the `Errors` enum), sorted by code. */
  errors: ErrorDef[];
}

/** One constant of `org.apache.kafka.common.protocol.Errors`, from `errors.json`. */
export interface ErrorDef {
  code: number;
  /** The enum constant's name, e.g. "UNKNOWN_TOPIC_OR_PARTITION". */
  name: string;
}

/**
 * `errors.json` sits next to the message definitions but is not one: it is dumped from
 * kafka-clients' `Errors` enum by tools/errors/DumpErrors.java (see scripts/fetch-spec.sh).
 */
export const ERRORS_FILE = "errors.json";

// ---- raw JSON shapes ---------------------------------------------------------------

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  ignorable?: boolean;
  default?: string | number | boolean;
  mapKey?: boolean;
  flexibleVersions?: string;
  about?: string;
  fields?: RawField[];
}

interface RawMessage {
  apiKey?: number;
  type: MessageKind;
  name: string;
  validVersions: string;
  flexibleVersions?: string;
  listeners?: string[];
  latestVersionUnstable?: boolean;
  fields?: RawField[];
  commonStructs?: { name: string; versions?: string; fields: RawField[] }[];
}

const PRIMITIVES = new Set<string>([
  "int8", "int16", "int32", "int64", "uint16", "uint32", "float64", "bool",
  "string", "bytes", "uuid", "records",
]);

/** Property names that would collide with generated members or AssemblyScript keywords. */
const RESERVED_PROPS = new Set<string>([
  "decode", "encode", "size", "isDefault", "unknownTaggedFields", "constructor",
  "default", "delete", "new", "null", "switch", "case", "return", "class", "function",
]);

export function propName(kafkaName: string): string {
  const prop = kafkaName.charAt(0).toLowerCase() + kafkaName.slice(1);
  return RESERVED_PROPS.has(prop) ? prop + "_" : prop;
}

// ---- loading -----------------------------------------------------------------------

export function loadSpec(specDir: string): SpecModel {
  const files = fs.readdirSync(specDir).filter((f) => f.endsWith(".json") && f !== ERRORS_FILE).sort();
  const messages: MessageDef[] = [];
  for (const f of files) {
    const raw = readCommentedJson(path.join(specDir, f)) as RawMessage;
    // Request/response headers are hand-written (assembly/codec/header.ts): they must be
    // decodable without allocation, and ClientId uses a per-field flexibleVersions.
    if (raw.type === "header") continue;
    messages.push(buildMessage(f, raw));
  }

  const requests = new Map<number, MessageDef>();
  const responses = new Map<number, MessageDef>();
  for (const m of messages) {
    if (m.apiKey === undefined) continue;
    const table = m.kind === "request" ? requests : m.kind === "response" ? responses : undefined;
    if (!table) continue;
    if (table.has(m.apiKey)) throw new Error(`duplicate ${m.kind} for api key ${m.apiKey}: ${m.name}`);
    table.set(m.apiKey, m);
  }
  const apis: ApiDef[] = [];
  for (const [apiKey, request] of [...requests].sort((a, b) => a[0] - b[0])) {
    const response = responses.get(apiKey);
    if (!response) throw new Error(`${request.name} has no response definition`);
    if (request.validVersions.lo !== response.validVersions.lo || request.validVersions.hi !== response.validVersions.hi) {
      throw new Error(`${request.name} and ${response.name} disagree on validVersions`);
    }
    apis.push({ apiKey, name: request.name.replace(/Request$/, ""), request, response });
  }
  for (const k of responses.keys()) {
    if (!requests.has(k)) throw new Error(`response for api key ${k} has no request`);
  }
  return { messages, apis, errors: loadErrors(path.join(specDir, ERRORS_FILE)) };
}

function loadErrors(file: string): ErrorDef[] {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing; run scripts/fetch-spec.sh`);
  const raw = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
  if (!Array.isArray(raw) || raw.length === 0) throw new Error(`${file}: expected a non-empty array`);
  const byCode = new Map<number, ErrorDef>();
  const names = new Set<string>();
  for (const e of raw as { code?: unknown; name?: unknown }[]) {
    const { code, name } = e;
    if (typeof code !== "number" || !Number.isInteger(code) || code < -32768 || code > 32767) {
      throw new Error(`${file}: bad code ${JSON.stringify(code)}`);
    }
    if (typeof name !== "string" || !/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`${file}: bad name ${JSON.stringify(name)}`);
    if (byCode.has(code)) throw new Error(`${file}: code ${code} appears twice`);
    if (names.has(name)) throw new Error(`${file}: name ${name} appears twice`);
    byCode.set(code, { code, name });
    names.add(name);
  }
  return [...byCode.values()].sort((a, b) => a.code - b.code);
}

function buildMessage(file: string, raw: RawMessage): MessageDef {
  const validVersions = parseVersions(raw.validVersions);
  const flexibleVersions = intersect(parseVersions(raw.flexibleVersions, NO_VERSIONS), validVersions);
  const structs: StructDef[] = [];
  const byName = new Map<string, StructDef>();

  // commonStructs may be referenced before (or without) being defined inline, so they
  // are registered first; their fields are resolved once every struct name is known.
  const pending: { struct: StructDef; fields: RawField[] }[] = [];
  for (const cs of raw.commonStructs ?? []) {
    const struct = newStruct(raw.name, cs.name, false);
    register(byName, struct);
    pending.push({ struct, fields: cs.fields });
  }
  const root = newStruct(raw.name, raw.name, true);
  root.errorPath = raw.name;
  root.className = raw.name;

  // Nested struct definitions are registered on the way down so references to them
  // (by a field with the struct's type and no "fields") resolve.
  const collectNested = (fields: RawField[]) => {
    for (const f of fields) {
      if (f.fields) {
        const typeName = f.type.startsWith("[]") ? f.type.slice(2) : f.type;
        const struct = newStruct(raw.name, typeName, false);
        register(byName, struct);
        pending.push({ struct, fields: f.fields });
        collectNested(f.fields);
      }
    }
  };
  for (const p of [...pending]) collectNested(p.fields);
  collectNested(raw.fields ?? []);

  const ctx: BuildContext = { message: raw.name, validVersions, byName };
  for (const p of pending) p.struct.fields = p.fields.map((f) => buildField(ctx, p.struct, f));
  root.fields = (raw.fields ?? []).map((f) => buildField(ctx, root, f));

  // Emit order: a struct after every struct it contains (AssemblyScript does not need
  // it, but it reads top-down like the JSON).
  const visited = new Set<StructDef>();
  const visit = (s: StructDef) => {
    if (visited.has(s)) return;
    visited.add(s);
    for (const f of s.fields) {
      const inner = structOf(f.type);
      if (inner) visit(inner);
    }
    structs.push(s);
  };
  for (const p of pending) visit(p.struct);
  visit(root);

  if (raw.fields) checkFieldsAgainstFlexible(raw.name, root, flexibleVersions, new Set());

  return {
    file,
    name: raw.name,
    kind: raw.type,
    apiKey: raw.apiKey,
    validVersions,
    flexibleVersions,
    listeners: raw.listeners ?? [],
    latestVersionUnstable: raw.latestVersionUnstable === true,
    root,
    structs,
  };
}

interface BuildContext {
  message: string;
  validVersions: VersionRange;
  byName: Map<string, StructDef>;
}

function newStruct(message: string, name: string, isRoot: boolean): StructDef {
  return { name, className: `${message}_${name}`, errorPath: `${message}.${name}`, fields: [], isRoot };
}

function register(byName: Map<string, StructDef>, s: StructDef): void {
  if (byName.has(s.name)) throw new Error(`struct ${s.errorPath} is defined twice`);
  byName.set(s.name, s);
}

function buildField(ctx: BuildContext, owner: StructDef, raw: RawField): FieldDef {
  const where = `${owner.errorPath}.${raw.name}`;
  const versions = intersect(parseVersions(raw.versions ?? raw.taggedVersions), ctx.validVersions);
  const taggedVersions = intersect(parseVersions(raw.taggedVersions, NO_VERSIONS), ctx.validVersions);
  if ((raw.tag === undefined) !== (raw.taggedVersions === undefined)) {
    throw new Error(`${where}: "tag" and "taggedVersions" must come together`);
  }
  if (!isEmpty(taggedVersions) && (taggedVersions.lo !== versions.lo || taggedVersions.hi !== versions.hi)) {
    // Kafka allows a field to turn tagged in a later version; no 4.x message does it
    // and supporting it would complicate every emitter, so refuse loudly instead.
    throw new Error(`${where}: taggedVersions differ from versions (unsupported)`);
  }
  if (raw.flexibleVersions !== undefined) {
    throw new Error(`${where}: field-level flexibleVersions are only supported in the hand-written headers`);
  }
  const type = resolveType(ctx, where, raw.type);
  const nullableVersions = intersect(parseVersions(raw.nullableVersions, NO_VERSIONS), versions);
  if (!isEmpty(nullableVersions) && type.kind === "primitive" && !["string", "bytes", "records"].includes(type.name)) {
    throw new Error(`${where}: type ${raw.type} cannot be nullable`);
  }
  const defaultText = raw.default === undefined ? undefined : String(raw.default);
  if (defaultText === "null" && isEmpty(parseVersions(raw.nullableVersions, NO_VERSIONS))) {
    throw new Error(`${where}: default null on a field that is never nullable`);
  }
  return {
    name: raw.name,
    prop: propName(raw.name),
    type,
    versions,
    nullableVersions,
    taggedVersions,
    tag: raw.tag,
    ignorable: raw.ignorable === true,
    defaultText,
    mapKey: raw.mapKey === true,
    about: raw.about ?? "",
  };
}

function resolveType(ctx: BuildContext, where: string, type: string): FieldType {
  if (type.startsWith("[]")) {
    const element = resolveType(ctx, where, type.slice(2));
    if (element.kind === "primitive" && ["bytes", "records", "bool"].includes(element.name)) {
      throw new Error(`${where}: arrays of ${element.name} are not supported`);
    }
    return { kind: "array", element };
  }
  if (PRIMITIVES.has(type)) return { kind: "primitive", name: type as PrimitiveName };
  const struct = ctx.byName.get(type);
  if (!struct) throw new Error(`${where}: unknown type ${type}`);
  return { kind: "struct", struct };
}

/** Tagged fields only exist in flexible versions; a definition saying otherwise is broken. */
function checkFieldsAgainstFlexible(message: string, s: StructDef, flexible: VersionRange, seen: Set<StructDef>): void {
  if (seen.has(s)) return;
  seen.add(s);
  for (const f of s.fields) {
    if (!isEmpty(f.taggedVersions) && !covers(flexible, f.taggedVersions)) {
      throw new Error(`${message}: ${s.errorPath}.${f.name} is tagged outside flexibleVersions`);
    }
    const inner = structOf(f.type);
    if (inner) checkFieldsAgainstFlexible(message, inner, flexible, seen);
  }
}

// ---- helpers for emitters ------------------------------------------------------------

export function structOf(t: FieldType): StructDef | undefined {
  if (t.kind === "struct") return t.struct;
  if (t.kind === "array") return structOf(t.element);
  return undefined;
}

export function isTagged(f: FieldDef): boolean {
  return !isEmpty(f.taggedVersions);
}

/** Whether the property can hold null in some version (its AssemblyScript type is `T | null`). */
export function isNullableProp(f: FieldDef): boolean {
  if (!isEmpty(f.nullableVersions)) return true;
  // records default to null (as in Kafka) even where they are not nullable on the wire.
  return f.type.kind === "primitive" && f.type.name === "records";
}

export function hasNullDefault(f: FieldDef): boolean {
  if (f.defaultText === "null") return true;
  return f.type.kind === "primitive" && f.type.name === "records";
}

export function isFlexibleMessage(m: MessageDef): boolean {
  return !isEmpty(m.flexibleVersions);
}
