// Emits one AssemblyScript file per Kafka message: a class per struct with typed
// fields, decode/encode/size/isDefault, following the semantics of Kafka's own
// generator (versions, nullableVersions, defaults, ignorable, flexible versions,
// tagged fields, unknown tagged fields preserved).
//
// Wire rules worth knowing when reading the emitted code:
//  * In flexible versions strings/bytes/arrays/records use compact (varint N+1)
//    lengths and every struct ends with a tagged-field section.
//  * A nullable struct is prefixed with an int8 marker (-1 null, 1 present) in the
//    versions where it is nullable (KIP-893).
//  * Tagged fields are written only when different from their default, in ascending
//    tag order, interleaved with unknown tagged fields kept from decoding.

import { Code, and, not } from "./code.ts";
import { GENERATED_HEADER, KAFKA_VERSION } from "./config.ts";
import {
  FieldDef, FieldType, MessageDef, PrimitiveName, StructDef, hasNullDefault, isNullableProp, isTagged, structOf,
} from "./model.ts";
import { VersionRange, contains, each, isEmpty, versionCondition } from "./versions.ts";

interface Ctx {
  message: MessageDef;
  /** The message's valid versions: conditions are simplified against them. */
  within: VersionRange;
  /** Expression for "this version is flexible": "true", "false" or "flexible". */
  flexible: string;
}

const FIXED_SIZE: Partial<Record<PrimitiveName, number>> = {
  int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, bool: 1, uuid: 16,
};

const AS_TYPE: Record<PrimitiveName, string> = {
  int8: "i8", int16: "i16", uint16: "u16", int32: "i32", uint32: "u32", int64: "i64", float64: "f64",
  bool: "bool", string: "string", bytes: "ArrayBuffer", uuid: "Uuid", records: "RecordsView",
};

const READ: Partial<Record<PrimitiveName, string>> = {
  int8: "readInt8", int16: "readInt16", uint16: "readUint16", int32: "readInt32", uint32: "readUint32",
  int64: "readInt64", float64: "readFloat64", bool: "readBool", uuid: "readUuid",
};

const WRITE: Partial<Record<PrimitiveName, string>> = {
  int8: "writeInt8", int16: "writeInt16", uint16: "writeUint16", int32: "writeInt32", uint32: "writeUint32",
  int64: "writeInt64", float64: "writeFloat64", bool: "writeBool", uuid: "writeUuid",
};

export function messageFileName(m: MessageDef): string {
  return `${m.name}.ts`;
}

export function emitMessage(m: MessageDef): string {
  const c = new Code();
  c.line(GENERATED_HEADER.trimEnd());
  c.line("//");
  c.line(`// ${m.name}${m.apiKey !== undefined ? ` (api key ${m.apiKey})` : ""}: versions ${rangeText(m.validVersions)}, ` +
    `flexible ${rangeText(m.flexibleVersions)}${m.latestVersionUnstable ? ", latest version unstable" : ""}` +
    `${m.listeners.length ? `; listeners: ${m.listeners.join(", ")}` : ""}.`);
  c.line(`// Decode errors name fields as <Message>.<Struct>.<Field>; nested struct classes are`);
  c.line(`// prefixed with the message name because struct names repeat across messages.`);
  c.line("");
  c.line(`import { Reader } from "../reader";`);
  c.line(`import { Writer, sizeOfArrayLength, sizeOfBytes, sizeOfRecords, sizeOfString, sizeOfUnsignedVarint } from "../writer";`);
  c.line(`import { DecodeError, EncodeError } from "../errors";`);
  c.line(`import { RawTaggedField, RecordsView, Uuid } from "../types";`);
  c.line(`import { ErrorCodeSink, Message } from "../message";`);
  c.line(`import {`);
  c.line(`  EMPTY_BYTES, appendRawTaggedField, arrayNonEmptyOrNull, bytesNonEmptyOrNull, hasRawTaggedFields,`);
  c.line(`  rawTaggedFieldCount, sizeOfRawTaggedFields, stringDiffers, writeRawTaggedFieldsBelow,`);
  c.line(`} from "../support";`);

  const flexCond = versionCondition(m.flexibleVersions, m.validVersions);
  const ctx: Ctx = { message: m, within: m.validVersions, flexible: isConst(flexCond) ? flexCond : "flexible" };
  const minSizes = new Map<StructDef, number>();
  for (const s of m.structs) {
    c.line("");
    emitStruct(c, ctx, s, flexCond, minSizes);
  }
  return c.toString();
}

function rangeText(r: VersionRange): string {
  if (isEmpty(r)) return "none";
  if (r.hi === 0x7fff) return `${r.lo}+`;
  return r.lo === r.hi ? `${r.lo}` : `${r.lo}-${r.hi}`;
}

function isConst(cond: string): boolean {
  return cond === "true" || cond === "false";
}

// ---- types and defaults -------------------------------------------------------------

function elementType(t: FieldType): string {
  switch (t.kind) {
    case "primitive": return AS_TYPE[t.name];
    case "struct": return t.struct.className;
    case "array": return `Array<${elementType(t.element)}>`;
  }
}

function propType(f: FieldDef): string {
  const base = elementType(f.type);
  return isNullableProp(f) ? `${base} | null` : base;
}

/** An AssemblyScript literal for a numeric/bool JSON default. */
function numericDefault(f: FieldDef, name: PrimitiveName): string {
  const text = f.defaultText;
  if (name === "bool") {
    if (text === undefined || text === "false") return "false";
    if (text === "true") return "true";
    throw new Error(`${f.name}: bad bool default ${text}`);
  }
  if (text === undefined || text === "") return name === "float64" ? "0.0" : "0";
  if (name === "float64") {
    const v = Number(text);
    if (!Number.isFinite(v)) throw new Error(`${f.name}: bad float default ${text}`);
    return Number.isInteger(v) ? `${v}.0` : String(v);
  }
  if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(text)) throw new Error(`${f.name}: bad integer default ${text}`);
  return text;
}

function defaultExpr(f: FieldDef): string {
  if (hasNullDefault(f)) return "null";
  const t = f.type;
  switch (t.kind) {
    case "array":
      if (f.defaultText !== undefined && f.defaultText !== "") throw new Error(`${f.name}: arrays only default to null or empty`);
      return `new ${elementType(t)}()`;
    case "struct":
      return `new ${t.struct.className}()`;
    case "primitive":
      switch (t.name) {
        case "string": return JSON.stringify(f.defaultText ?? "");
        case "bytes":
          if (f.defaultText !== undefined && f.defaultText !== "") throw new Error(`${f.name}: bytes only default to null or empty`);
          return "EMPTY_BYTES";
        case "uuid":
          if (f.defaultText !== undefined && f.defaultText !== "") throw new Error(`${f.name}: only the zero uuid default is supported`);
          return "new Uuid()";
        case "records": return "null";
        default: return numericDefault(f, t.name);
      }
  }
}

/** Statement restoring the default of a field absent from the decoded version. */
function resetStatement(f: FieldDef): string {
  return `this.${f.prop} = ${defaultExpr(f)};`;
}

/**
 * Fields whose default is a fresh object (arrays, structs, uuids). They are filled by
 * the constructor only on request, so that decoding, which assigns every field, does
 * not allocate defaults just to throw them away.
 */
function allocatesDefault(f: FieldDef): boolean {
  if (hasNullDefault(f)) return false;
  const t = f.type;
  return t.kind === "array" || t.kind === "struct" || (t.kind === "primitive" && t.name === "uuid");
}

/** Expression true when `this.<prop>` differs from the field's default. */
export function nonDefaultExpr(f: FieldDef): string {
  const v = `this.${f.prop}`;
  if (hasNullDefault(f)) return `${v} !== null`;
  const t = f.type;
  const nullable = isNullableProp(f);
  switch (t.kind) {
    case "array":
      return nullable ? `arrayNonEmptyOrNull<${elementType(t.element)}>(${v})` : `${v}.length != 0`;
    case "struct":
      return nullable ? `(${v} === null || !${v}!.isDefault())` : `!${v}.isDefault()`;
    case "primitive":
      switch (t.name) {
        case "string": {
          const d = JSON.stringify(f.defaultText ?? "");
          if (nullable) return `stringDiffers(${v}, ${d})`;
          return d === '""' ? `${v}.length != 0` : `${v} != ${d}`;
        }
        case "bytes": return nullable ? `bytesNonEmptyOrNull(${v})` : `${v}.byteLength != 0`;
        case "uuid": return `!${v}.isZero()`;
        case "bool": return numericDefault(f, "bool") === "true" ? `!${v}` : v;
        default: return `${v} != ${numericDefault(f, t.name)}`;
      }
  }
}

// ---- minimum encoded sizes ------------------------------------------------------------

/**
 * Fewest bytes one element of a struct can take in any valid version. Array counts are
 * checked against remaining/minSize before allocating, so a forged count cannot make
 * the decoder allocate more than the input justifies.
 */
function structMinSize(ctx: Ctx, s: StructDef, memo: Map<StructDef, number>): number {
  const known = memo.get(s);
  if (known !== undefined) return known;
  let best = Infinity;
  for (const v of each(ctx.within)) best = Math.min(best, structSizeAt(ctx, s, v));
  const result = best === Infinity ? 0 : best;
  memo.set(s, result);
  return result;
}

function structSizeAt(ctx: Ctx, s: StructDef, v: number): number {
  const flexible = contains(ctx.message.flexibleVersions, v);
  let n = flexible ? 1 : 0;
  for (const f of s.fields) {
    if (!contains(f.versions, v) || isTagged(f)) continue;
    n += typeMinSize(ctx, f.type, flexible, contains(f.nullableVersions, v), v);
  }
  return n;
}

function typeMinSize(ctx: Ctx, t: FieldType, flexible: boolean, nullable: boolean, v: number): number {
  switch (t.kind) {
    case "array": return flexible ? 1 : 4;
    case "struct": return nullable ? 1 : structSizeAt(ctx, t.struct, v);
    case "primitive": {
      const fixed = FIXED_SIZE[t.name];
      if (fixed !== undefined) return fixed;
      if (t.name === "string") return flexible ? 1 : 2;
      return flexible ? 1 : 4; // bytes, records
    }
  }
}

function elementMinSizeExpr(ctx: Ctx, t: FieldType, memo: Map<StructDef, number>): string {
  if (t.kind === "struct") return String(Math.max(1, structMinSize(ctx, t.struct, memo)));
  if (t.kind === "array") return `(${ctx.flexible} ? 1 : 4)`.replace("(true ? 1 : 4)", "1").replace("(false ? 1 : 4)", "4");
  const fixed = FIXED_SIZE[t.name];
  if (fixed !== undefined) return String(fixed);
  if (t.name === "string") return ctx.flexible === "true" ? "1" : ctx.flexible === "false" ? "2" : `(${ctx.flexible} ? 1 : 2)`;
  throw new Error(`no arrays of ${t.name}`);
}

// ---- struct ---------------------------------------------------------------------------

function emitStruct(c: Code, ctx: Ctx, s: StructDef, flexCond: string, memo: Map<StructDef, number>): void {
  const m = ctx.message;
  const flexibleMessage = !isEmpty(m.flexibleVersions);
  const regular = s.fields.filter((f) => !isTagged(f));
  const tagged = s.fields.filter(isTagged).sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0));
  const declareFlexible = () => {
    if (ctx.flexible === "flexible") c.line(`const flexible = ${flexCond};`);
  };

  const header = s.isRoot
    ? `export class ${s.className} extends Message`
    : `export class ${s.className}`;
  const source = `spec/kafka-${KAFKA_VERSION}/${m.file}`;
  c.line(s.isRoot
    ? `/** A ${m.name} body (${source}): versions ${rangeText(m.validVersions)}, flexible ${rangeText(m.flexibleVersions)}. */`
    : `/** ${m.name}'s ${s.name} (${source}). */`);
  c.block(header, () => {
    if (s.isRoot && m.apiKey !== undefined) {
      c.line(`static readonly API_KEY: i16 = ${m.apiKey};`);
      c.line(`static readonly MIN_VERSION: i16 = ${isEmpty(m.validVersions) ? -1 : m.validVersions.lo};`);
      c.line(`static readonly MAX_VERSION: i16 = ${isEmpty(m.validVersions) ? -1 : m.validVersions.hi};`);
      c.line("");
    }
    for (const f of s.fields) {
      const notes: string[] = [];
      if (f.about) notes.push(f.about.replace(/\*\//g, "* /"));
      const facts = [`versions ${rangeText(f.versions)}`];
      if (!isEmpty(f.nullableVersions)) facts.push(`nullable ${rangeText(f.nullableVersions)}`);
      if (isTagged(f)) facts.push(`tag ${f.tag}`);
      if (f.ignorable) facts.push("ignorable");
      if (f.mapKey) facts.push("map key: Kafka keys a map by it; kept as an array here");
      notes.push(`(${facts.join("; ")})`);
      c.line(`/** ${notes.join(" ")} */`);
      if (allocatesDefault(f)) c.line(isNullableProp(f) ? `${f.prop}: ${propType(f)} = null;` : `${f.prop}!: ${propType(f)};`);
      else c.line(`${f.prop}: ${propType(f)} = ${defaultExpr(f)};`);
    }
    if (flexibleMessage) {
      c.line(`/** Tagged fields unknown to this codec, kept so re-encoding is byte-identical. */`);
      c.line(`unknownTaggedFields: Array<RawTaggedField> | null = null;`);
    }
    const allocated = s.fields.filter(allocatesDefault);
    {
      c.line("");
      c.line(`/**`);
      c.line(` * \`withDefaults\` false skips allocating default arrays/structs/uuids; decoders use it`);
      c.line(` * because decode assigns every field. Such an instance is only usable after a`);
      c.line(` * successful decode.`);
      c.line(` */`);
      c.block(`constructor(withDefaults: bool = true)`, () => {
        if (s.isRoot) c.line(`super();`);
        if (allocated.length === 0) return;
        c.block(`if (withDefaults)`, () => {
          for (const f of allocated) c.line(`this.${f.prop} = ${defaultExpr(f)};`);
        });
      });
    }

    if (s.isRoot) {
      c.line("");
      c.line(`apiKey(): i16 { return ${m.apiKey ?? -1}; }`);
      c.line(`isResponse(): bool { return ${m.kind === "response"}; }`);
      emitSetTopLevelErrorCode(c, ctx, s);
    }

    // decode
    c.line("");
    c.line(s.isRoot
      ? `/** Decodes the body at \`version\` from \`r\`; false with the error on \`r\` (UnsupportedVersion outside ${rangeText(m.validVersions)}). */`
      : `/** Decodes at \`version\` from \`r\`; false with the error on \`r\`, naming the innermost field. */`);
    c.block(`decode(r: Reader, version: i16): bool`, () => {
      if (s.isRoot) emitVersionGuard(c, m, "decode");
      declareFlexible();
      for (const f of regular) {
        const cond = versionCondition(f.versions, ctx.within);
        const err = `${s.errorPath}.${f.name}`;
        c.when(cond, () => emitDecodeValue(c, ctx, f, ctx.flexible, `this.${f.prop}`, err, memo),
          cond === "true" ? undefined : () => c.line(resetStatement(f)));
      }
      if (flexibleMessage) {
        c.when(ctx.flexible, () => emitDecodeTaggedSection(c, ctx, s, tagged, memo), () => {
          for (const f of tagged) c.line(resetStatement(f));
          c.line(`this.unknownTaggedFields = null;`);
        });
      }
      c.line(`return true;`);
    });

    // encode
    c.line("");
    c.line(`/** Encodes at \`version\`; a value that version cannot carry fails \`w\` (EncodeError), naming the field. */`);
    c.block(`encode(w: Writer, version: i16): void`, () => {
      if (s.isRoot) emitVersionGuard(c, m, "encode");
      declareFlexible();
      for (const f of regular) {
        const cond = versionCondition(f.versions, ctx.within);
        const err = `${s.errorPath}.${f.name}`;
        c.when(cond, () => emitEncodeValue(c, ctx, f, ctx.flexible, `this.${f.prop}`, err),
          cond === "true" || f.ignorable ? undefined : () => emitAbsentCheck(c, f, err));
      }
      if (flexibleMessage) {
        c.when(ctx.flexible, () => emitEncodeTaggedSection(c, ctx, s, tagged), () => {
          c.line(`if (hasRawTaggedFields(this.unknownTaggedFields)) {`);
          c.line(`  w.fail(EncodeError.FieldNotInVersion, "${s.errorPath}._tagged_fields");`);
          c.line(`  return;`);
          c.line(`}`);
          for (const f of tagged) if (!f.ignorable) emitAbsentCheck(c, f, `${s.errorPath}.${f.name}`);
        });
      }
    });

    // size
    c.line("");
    c.line(`/** Exact bytes encode writes at \`version\`. */`);
    c.block(`size(version: i16): i32`, () => {
      declareFlexible();
      c.line(`let n = 0;`);
      for (const f of regular) {
        const cond = versionCondition(f.versions, ctx.within);
        c.when(cond, () => emitSizeValue(c, ctx, f, ctx.flexible, `this.${f.prop}`, "n"));
      }
      if (flexibleMessage) {
        c.when(ctx.flexible, () => {
          c.line(`const unknown = this.unknownTaggedFields;`);
          c.line(`let taggedCount = rawTaggedFieldCount(unknown);`);
          c.line(`n += sizeOfRawTaggedFields(unknown);`);
          for (const f of tagged) {
            const cond = and(versionCondition(f.versions, ctx.within), nonDefaultExpr(f));
            c.when(cond, () => {
              c.line(`taggedCount++;`);
              c.line(`let valueSize = 0;`);
              emitSizeValue(c, ctx, f, "true", `this.${f.prop}`, "valueSize");
              c.line(`n += sizeOfUnsignedVarint(${f.tag}) + sizeOfUnsignedVarint(<u32>valueSize) + valueSize;`);
            });
          }
          c.line(`n += sizeOfUnsignedVarint(<u32>taggedCount);`);
        });
      }
      c.line(`return n;`);
    });

    // collectErrorCodes
    c.line("");
    emitCollectErrorCodes(c, s, regular, tagged, m.kind === "response" ? throttleTimeField(s) : undefined);

    if (m.kind === "response") {
      c.line("");
      emitWalkErrorCodes(c, ctx, s, regular, tagged, memo);
    }

    // isDefault
    c.line("");
    c.line(`/** True when every field holds its default (used for tagged and version-gated fields). */`);
    c.block(`isDefault(): bool`, () => {
      for (const f of s.fields) c.line(`if (${nonDefaultExpr(f)}) return false;`);
      if (flexibleMessage) c.line(`return !hasRawTaggedFields(this.unknownTaggedFields);`);
      else c.line(`return true;`);
    });
  });
}

// ---- error codes -------------------------------------------------------------------------

/** Kafka's error code fields: int16 `ErrorCode`, `TopicConfigErrorCode`, `PartitionErrorCode`, ... */
export function isErrorCodeField(f: FieldDef): boolean {
  if (!f.name.endsWith("ErrorCode")) return false;
  if (f.type.kind !== "primitive" || f.type.name !== "int16") {
    throw new Error(`${f.name}: an error code field that is not an int16 (collectErrorCodes would miss it)`);
  }
  return true;
}

const errorCodeMemo = new Map<StructDef, boolean>();

/** Whether a struct holds an error code field, itself or in any struct it contains. */
export function hasErrorCodes(s: StructDef): boolean {
  const known = errorCodeMemo.get(s);
  if (known !== undefined) return known;
  const inner = (f: FieldDef) => {
    const t = structOf(f.type);
    return t !== undefined && hasErrorCodes(t);
  };
  const result = s.fields.some((f) => isErrorCodeField(f) || inner(f));
  errorCodeMemo.set(s, result);
  return result;
}

/**
 * A response's top-level `ThrottleTimeMs` (int32, the time the broker's quota manager
 * delayed the response by, KIP-219), which the sink gets alongside the error codes;
 * undefined when the struct is not a root or has none.
 */
function throttleTimeField(s: StructDef): FieldDef | undefined {
  if (!s.isRoot) return undefined;
  return s.fields.find((f) => f.name === "ThrottleTimeMs" && !isTagged(f) && f.type.kind === "primitive" && f.type.name === "int32");
}

/**
 * `collectErrorCodes(sink)`: every error code of the struct and of the structs it
 * contains, in wire order (regular fields, then tagged fields by tag). Subtrees without
 * error codes are not visited; arrays are walked by index, so nothing is allocated.
 * A response's ThrottleTimeMs goes to the sink first (0 in versions without it).
 */
function emitCollectErrorCodes(c: Code, s: StructDef, regular: FieldDef[], tagged: FieldDef[], throttle: FieldDef | undefined): void {
  c.line(`/** Hands every error code field (\`...ErrorCode\`, int16), nested ones included, to \`sink\` in wire order. */`);
  const fields = [...regular, ...tagged].filter((f) => isErrorCodeField(f) || (structOf(f.type) !== undefined && hasErrorCodes(structOf(f.type)!)));
  if (fields.length === 0 && throttle === undefined) {
    c.line(`collectErrorCodes(sink: ErrorCodeSink): void {}`);
    return;
  }
  c.block(`collectErrorCodes(sink: ErrorCodeSink): void`, () => {
    if (throttle !== undefined) c.line(`sink.throttleTime(this.${throttle.prop});`);
    for (const f of fields) {
      const v = `this.${f.prop}`;
      const nullable = isNullableProp(f);
      const t = f.type;
      if (t.kind === "primitive") {
        c.line(`sink.errorCode(${v});`);
      } else if (t.kind === "struct") {
        if (nullable) {
          c.scoped(() => {
            c.line(`const value = ${v};`);
            c.line(`if (value !== null) value.collectErrorCodes(sink);`);
          });
        } else {
          c.line(`${v}.collectErrorCodes(sink);`);
        }
      } else {
        if (t.element.kind !== "struct") throw new Error(`${s.errorPath}.${f.name}: error codes in nested arrays are not supported`);
        c.scoped(() => {
          c.line(`const items = ${v};`);
          const loop = `for (let i = 0, count = items.length; i < count; i++) unchecked(items[i]).collectErrorCodes(sink);`;
          if (nullable) {
            c.block(`if (items !== null)`, () => c.line(loop));
          } else {
            c.line(loop);
          }
        });
      }
    }
  });
}

// ---- error code walk --------------------------------------------------------------------

/**
 * Error codes `collectErrorCodes` reports for a field holding its default value: the
 * decoder resets fields absent from a version to their default, and collect reports them.
 */
function defaultErrorCodes(f: FieldDef): string[] {
  if (isErrorCodeField(f)) return [numericDefault(f, "int16")];
  const t = f.type;
  if (t.kind !== "struct" || hasNullDefault(f) || !hasErrorCodes(t.struct)) return [];
  const inner = t.struct.fields.filter((x) => !isTagged(x));
  const innerTagged = t.struct.fields.filter(isTagged).sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0));
  return [...inner, ...innerTagged].flatMap(defaultErrorCodes);
}

function carriesErrorCodes(f: FieldDef): boolean {
  const st = structOf(f.type);
  return isErrorCodeField(f) || (st !== undefined && hasErrorCodes(st));
}

/**
 * `static walkErrorCodes(r, version, sink)`: reads a struct straight off the wire and
 * hands `sink` exactly the codes decode + collectErrorCodes would, in the same order,
 * without allocating: strings, bytes and records are skipped by length, arrays walked
 * by count. It fails wherever decode fails, so a false here is a decode error there.
 */
function emitWalkErrorCodes(c: Code, ctx: Ctx, s: StructDef, regular: FieldDef[], tagged: FieldDef[], memo: Map<StructDef, number>): void {
  const m = ctx.message;
  const flexibleMessage = !isEmpty(m.flexibleVersions);
  const flexCond = versionCondition(m.flexibleVersions, m.validVersions);
  const taggedCodes = tagged.filter(carriesErrorCodes);
  for (const f of taggedCodes) {
    if (!isErrorCodeField(f)) throw new Error(`${s.errorPath}.${f.name}: error codes inside tagged structs are not walked`);
  }
  c.line(`/** Reads this struct off \`r\` handing its error codes to \`sink\` as decode + collectErrorCodes would; no allocation. */`);
  c.block(`static walkErrorCodes(r: Reader, version: i16, sink: ErrorCodeSink): bool`, () => {
    if (s.isRoot) emitVersionGuard(c, m, "decode");
    if (ctx.flexible === "flexible") c.line(`const flexible = ${flexCond};`);
    const throttle = throttleTimeField(s);
    for (const f of regular) {
      const cond = versionCondition(f.versions, ctx.within);
      if (f === throttle) {
        c.when(cond, () => c.scoped(() => {
          c.line(`const throttleMs = r.readInt32();`);
          c.line(`if (!r.ok) return false;`);
          c.line(`sink.throttleTime(throttleMs);`);
        }));
        continue;
      }
      const defaults = defaultErrorCodes(f);
      c.when(cond, () => emitWalkValue(c, ctx, f, ctx.flexible, memo),
        cond === "true" || defaults.length === 0 ? undefined : () => {
          for (const d of defaults) c.line(`sink.errorCode(${d});`);
        });
    }
    if (flexibleMessage) {
      for (const f of taggedCodes) c.line(`let ${f.prop}: i16 = ${numericDefault(f, "int16")};`);
      c.when(ctx.flexible, () => {
        c.line(`let taggedCount = r.readTaggedFieldCount();`);
        c.line(`if (!r.ok) return false;`);
        c.block(`while (taggedCount-- > 0)`, () => {
          c.line(`const tag = r.readUnsignedVarint();`);
          c.line(`const tagSize = r.readTaggedFieldSize();`);
          c.line(`if (!r.ok) return false;`);
          if (tagged.length > 0) c.line(`const tagEnd = r.pos + tagSize;`);
          for (const f of tagged) {
            const cond = and(`tag == ${f.tag}`, versionCondition(f.versions, ctx.within));
            c.block(`if (${cond})`, () => {
              if (isErrorCodeField(f)) {
                c.line(`${f.prop} = r.readInt16();`);
                c.line(`if (!r.ok) return false;`);
              } else {
                emitWalkValue(c, ctx, f, "true", memo);
              }
              c.line(`if (r.pos != tagEnd) return r.failWith(DecodeError.InvalidTaggedField, "${s.errorPath}.${f.name}");`);
              c.line(`continue;`);
            });
          }
          c.line(`r.skip(tagSize);`);
          c.line(`if (!r.ok) return false;`);
        });
      });
      for (const f of taggedCodes) c.line(`sink.errorCode(${f.prop});`);
    }
    c.line(`return true;`);
  });
}

function emitWalkValue(c: Code, ctx: Ctx, f: FieldDef, F: string, memo: Map<StructDef, number>): void {
  const N = isNullableProp(f) ? versionCondition(f.nullableVersions, ctx.within) : "false";
  const t = f.type;
  if (t.kind === "primitive") {
    if (isErrorCodeField(f)) {
      c.scoped(() => {
        c.line(`const code = r.readInt16();`);
        c.line(`if (!r.ok) return false;`);
        c.line(`sink.errorCode(code);`);
      });
      return;
    }
    const fixed = FIXED_SIZE[t.name];
    if (fixed !== undefined) c.line(`r.skip(${fixed});`);
    else if (t.name === "string") c.line(`r.readStringView(${F}, ${N});`);
    else if (t.name === "bytes") c.line(`r.readBytesView(${F}, ${N});`);
    else c.line(`r.readBytesView(${F}, ${versionCondition(f.nullableVersions, ctx.within)});`);
    c.line(`if (!r.ok) return false;`);
    return;
  }
  if (t.kind === "struct") {
    const walk = `if (!${t.struct.className}.walkErrorCodes(r, version, sink)) return false;`;
    if (!isNullableProp(f)) {
      c.line(walk);
      return;
    }
    c.when(N, () => {
      c.line(`const marker = r.readInt8();`);
      c.line(`if (!r.ok) return false;`);
      c.line(`if (marker >= 0 && !${t.struct.className}.walkErrorCodes(r, version, sink)) return false;`);
    }, () => c.line(walk));
    return;
  }
  const element = t.element;
  c.scoped(() => {
    c.line(`const count = r.readArrayLength(${F}, ${N}, ${elementMinSizeExpr(ctx, element, memo)});`);
    c.line(`if (!r.ok) return false;`);
    if (element.kind === "struct") {
      c.line(`for (let i = 0; i < count; i++) if (!${element.struct.className}.walkErrorCodes(r, version, sink)) return false;`);
    } else if (element.kind === "primitive") {
      const fixed = FIXED_SIZE[element.name];
      if (fixed !== undefined) {
        c.line(`if (count > 0) r.skip(count * ${fixed});`);
      } else if (element.name === "string") {
        c.line(`for (let i = 0; i < count && r.ok; i++) r.readStringView(${F}, false);`);
      } else {
        throw new Error(`${f.name}: no arrays of ${element.name}`);
      }
      c.line(`if (!r.ok) return false;`);
    } else {
      throw new Error(`${f.name}: nested arrays are not supported`);
    }
  });
}

/**
 * `setTopLevelErrorCode(version, code)` on responses with a top-level int16 `ErrorCode`:
 * the ACL gates answer a request denied as a whole with an empty response carrying it.
 * Returns false in versions without the field (a non-default value there would not encode).
 */
function emitSetTopLevelErrorCode(c: Code, ctx: Ctx, s: StructDef): void {
  if (ctx.message.kind !== "response") return;
  const f = s.fields.find((x) => x.name === "ErrorCode" && !isTagged(x) && x.type.kind === "primitive" && x.type.name === "int16");
  if (f === undefined) return;
  const cond = versionCondition(f.versions, ctx.within);
  c.line("");
  c.line(`/** Sets the top-level ErrorCode; false when \`version\` has no such field. */`);
  c.block(`setTopLevelErrorCode(version: i16, code: i16): bool`, () => {
    if (cond !== "true") c.line(`if (!(${cond})) return false;`);
    c.line(`this.${f.prop} = code;`);
    c.line(`return true;`);
  });
}

function emitVersionGuard(c: Code, m: MessageDef, op: "decode" | "encode"): void {
  const r = m.validVersions;
  const cond = isEmpty(r) ? "true" : r.hi === 0x7fff ? `version < ${r.lo}` : `version < ${r.lo} || version > ${r.hi}`;
  if (op === "decode") {
    c.line(`if (${cond}) return r.failWith(DecodeError.UnsupportedVersion, "${m.name}");`);
  } else {
    c.line(`if (${cond}) {`);
    c.line(`  w.fail(EncodeError.UnsupportedVersion, "${m.name}");`);
    c.line(`  return;`);
    c.line(`}`);
  }
}

/** A field missing from this version must hold its default unless it is ignorable. */
function emitAbsentCheck(c: Code, f: FieldDef, err: string): void {
  c.line(`if (${nonDefaultExpr(f)}) {`);
  c.line(`  w.fail(EncodeError.FieldNotInVersion, "${err}");`);
  c.line(`  return;`);
  c.line(`}`);
}

// ---- decode -----------------------------------------------------------------------------

function stringRead(F: string): string {
  if (F === "true") return "r.readCompactString()";
  if (F === "false") return "r.readString()";
  return `(${F} ? r.readCompactString() : r.readString())`;
}

function bytesRead(F: string): string {
  if (F === "true") return "r.readCompactBytes()";
  if (F === "false") return "r.readBytes()";
  return `(${F} ? r.readCompactBytes() : r.readBytes())`;
}

function primitiveRead(name: PrimitiveName, F: string): string {
  if (name === "string") return stringRead(F);
  const m = READ[name];
  if (!m) throw new Error(`no element reader for ${name}`);
  return `r.${m}()`;
}

function emitDecodeValue(c: Code, ctx: Ctx, f: FieldDef, F: string, target: string, err: string, memo: Map<StructDef, number>): void {
  const N = versionCondition(f.nullableVersions, ctx.within);
  const nullable = isNullableProp(f);
  const fail = `return r.failedAt("${err}");`;
  const t = f.type;
  if (t.kind === "primitive") {
    switch (t.name) {
      case "string":
        c.line(`${target} = ${nullable ? `r.readStringOf(${F}, ${N})` : stringRead(F)};`);
        break;
      case "bytes":
        c.line(`${target} = ${nullable ? `r.readBytesOf(${F}, ${N})` : bytesRead(F)};`);
        break;
      case "records":
        c.line(`const recordsStart = r.readBytesView(${F}, ${N});`);
        c.line(`if (!r.ok) ${fail}`);
        c.line(`${target} = r.lastLength < 0 ? null : new RecordsView(r.buffer, recordsStart, r.lastLength);`);
        return;
      case "uuid":
        c.line(`${target} = r.readUuid();`);
        break;
      default:
        c.line(`${target} = ${primitiveRead(t.name, F)};`);
    }
    c.line(`if (!r.ok) ${fail}`);
    return;
  }
  if (t.kind === "struct") {
    const cls = t.struct.className;
    const readPresent = () => {
      c.line(`const item = new ${cls}(false);`);
      c.line(`if (!item.decode(r, version)) ${fail}`);
      c.line(`${target} = item;`);
    };
    if (!nullable) {
      readPresent();
      return;
    }
    c.when(N, () => {
      c.line(`const marker = r.readInt8();`);
      c.line(`if (!r.ok) ${fail}`);
      c.line(`if (marker < 0) {`);
      c.line(`  ${target} = null;`);
      c.line(`} else {`);
      c.line(`  const item = new ${cls}(false);`);
      c.line(`  if (!item.decode(r, version)) ${fail}`);
      c.line(`  ${target} = item;`);
      c.line(`}`);
    }, readPresent);
    return;
  }
  // array
  const element = t.element;
  const elemType = elementType(element);
  c.line(`const count = r.readArrayLength(${F}, ${nullable ? N : "false"}, ${elementMinSizeExpr(ctx, element, memo)});`);
  c.line(`if (!r.ok) ${fail}`);
  const fill = () => {
    c.line(`const items = new Array<${elemType}>(count);`);
    if (element.kind === "struct") {
      c.block(`for (let i = 0; i < count; i++)`, () => {
        c.line(`const item = new ${element.struct.className}(false);`);
        c.line(`if (!item.decode(r, version)) ${fail}`);
        c.line(`unchecked(items[i] = item);`);
      });
    } else if (element.kind === "primitive") {
      c.line(`for (let i = 0; i < count; i++) unchecked(items[i] = ${primitiveRead(element.name, F)});`);
      c.line(`if (!r.ok) ${fail}`);
    } else {
      throw new Error(`${err}: nested arrays are not supported`);
    }
    c.line(`${target} = items;`);
  };
  if (nullable) {
    c.line(`if (count < 0) {`);
    c.line(`  ${target} = null;`);
    c.line(`} else {`);
    c.indented(fill);
    c.line(`}`);
  } else {
    fill();
  }
}

function emitDecodeTaggedSection(c: Code, ctx: Ctx, s: StructDef, tagged: FieldDef[], memo: Map<StructDef, number>): void {
  const sectionErr = `${s.errorPath}._tagged_fields`;
  for (const f of tagged) c.line(resetStatement(f));
  c.line(`this.unknownTaggedFields = null;`);
  c.line(`let taggedCount = r.readTaggedFieldCount();`);
  c.line(`if (!r.ok) return r.failedAt("${sectionErr}");`);
  c.block(`while (taggedCount-- > 0)`, () => {
    c.line(`const tag = r.readUnsignedVarint();`);
    c.line(`const tagSize = r.readTaggedFieldSize();`);
    c.line(`if (!r.ok) return r.failedAt("${sectionErr}");`);
    if (tagged.length > 0) c.line(`const tagEnd = r.pos + tagSize;`);
    for (const f of tagged) {
      const err = `${s.errorPath}.${f.name}`;
      const cond = and(`tag == ${f.tag}`, versionCondition(f.versions, ctx.within));
      c.block(`if (${cond})`, () => {
        emitDecodeValue(c, ctx, f, "true", `this.${f.prop}`, err, memo);
        c.line(`if (r.pos != tagEnd) return r.failWith(DecodeError.InvalidTaggedField, "${err}");`);
        c.line(`continue;`);
      });
    }
    c.line(`const raw = r.readRawTaggedField(tag, tagSize);`);
    c.line(`if (raw === null) return r.failedAt("${sectionErr}");`);
    c.line(`this.unknownTaggedFields = appendRawTaggedField(this.unknownTaggedFields, raw);`);
  });
}

// ---- encode -----------------------------------------------------------------------------

function emitNullCheck(c: Code, N: string, value: string, err: string): void {
  if (N === "true") return;
  const cond = N === "false" ? `${value} === null` : `${value} === null && !(${N})`;
  c.line(`if (${cond}) {`);
  c.line(`  w.fail(EncodeError.NullNotAllowed, "${err}");`);
  c.line(`  return;`);
  c.line(`}`);
}

function primitiveWrite(name: PrimitiveName, F: string, value: string): string {
  if (name === "string") return `w.writeStringOf(${value}, ${F});`;
  const m = WRITE[name];
  if (!m) throw new Error(`no element writer for ${name}`);
  return `w.${m}(${value});`;
}

function emitEncodeValue(c: Code, ctx: Ctx, f: FieldDef, F: string, source: string, err: string): void {
  const N = versionCondition(f.nullableVersions, ctx.within);
  const nullable = isNullableProp(f);
  const t = f.type;
  if (t.kind === "primitive") {
    if (nullable) {
      c.line(`const value = ${source};`);
      emitNullCheck(c, N, "value", err);
      const call = t.name === "string" ? "writeStringOf" : t.name === "bytes" ? "writeBytesOf" : "writeRecords";
      c.line(`w.${call}(value, ${F});`);
      return;
    }
    if (t.name === "bytes") c.line(`w.writeBytesOf(${source}, ${F});`);
    else c.line(primitiveWrite(t.name, F, source));
    return;
  }
  if (t.kind === "struct") {
    if (!nullable) {
      c.line(`${source}.encode(w, version);`);
      return;
    }
    c.line(`const value = ${source};`);
    c.when(N, () => {
      c.line(`if (value === null) {`);
      c.line(`  w.writeInt8(-1);`);
      c.line(`} else {`);
      c.line(`  w.writeInt8(1);`);
      c.line(`  value.encode(w, version);`);
      c.line(`}`);
    }, () => {
      emitNullCheck(c, "false", "value", err);
      c.line(`value!.encode(w, version);`);
    });
    return;
  }
  const element = t.element;
  c.line(`const items = ${source};`);
  const writeItems = () => {
    c.line(`const count = items.length;`);
    c.line(`w.writeArrayLength(${F}, count);`);
    if (element.kind === "struct") {
      c.line(`for (let i = 0; i < count; i++) unchecked(items[i]).encode(w, version);`);
    } else if (element.kind === "primitive") {
      c.line(`for (let i = 0; i < count; i++) ${primitiveWrite(element.name, F, "unchecked(items[i])")}`);
    }
  };
  if (nullable) {
    c.line(`if (items === null) {`);
    c.line(`  ${N === "true" ? "" : `if (!(${N})) { w.fail(EncodeError.NullNotAllowed, "${err}"); return; }`}`.trimEnd());
    c.line(`  w.writeArrayLength(${F}, -1);`);
    c.line(`} else {`);
    c.indented(writeItems);
    c.line(`}`);
  } else {
    writeItems();
  }
}

function emitEncodeTaggedSection(c: Code, ctx: Ctx, s: StructDef, tagged: FieldDef[]): void {
  c.line(`const unknown = this.unknownTaggedFields;`);
  c.line(`let taggedCount = rawTaggedFieldCount(unknown);`);
  const present = new Map<FieldDef, string>();
  for (const f of tagged) {
    const cond = versionCondition(f.versions, ctx.within);
    const flag = `write${f.name}`;
    if (cond !== "true" && !f.ignorable) {
      c.line(`if (!(${cond}) && ${nonDefaultExpr(f)}) {`);
      c.line(`  w.fail(EncodeError.FieldNotInVersion, "${s.errorPath}.${f.name}");`);
      c.line(`  return;`);
      c.line(`}`);
    }
    const writeCond = and(cond, nonDefaultExpr(f));
    if (writeCond === "false") continue;
    c.line(`const ${flag} = ${writeCond};`);
    c.line(`if (${flag}) taggedCount++;`);
    present.set(f, flag);
  }
  c.line(`w.writeUnsignedVarint(<u32>taggedCount);`);
  if (present.size === 0) {
    c.line(`writeRawTaggedFieldsBelow(w, unknown, 0, -1);`);
    return;
  }
  c.line(`let nextUnknown = 0;`);
  for (const [f, flag] of present) {
    const err = `${s.errorPath}.${f.name}`;
    c.block(`if (${flag})`, () => {
      c.line(`nextUnknown = writeRawTaggedFieldsBelow(w, unknown, nextUnknown, ${f.tag});`);
      c.line(`w.writeUnsignedVarint(${f.tag});`);
      c.line(`let valueSize = 0;`);
      emitSizeValue(c, ctx, f, "true", `this.${f.prop}`, "valueSize");
      c.line(`w.writeUnsignedVarint(<u32>valueSize);`);
      emitEncodeValue(c, ctx, f, "true", `this.${f.prop}`, err);
    });
  }
  c.line(`writeRawTaggedFieldsBelow(w, unknown, nextUnknown, -1);`);
}

// ---- size -------------------------------------------------------------------------------

function emitSizeValue(c: Code, ctx: Ctx, f: FieldDef, F: string, source: string, acc: string): void {
  const N = versionCondition(f.nullableVersions, ctx.within);
  const nullable = isNullableProp(f);
  const t = f.type;
  if (t.kind === "primitive") {
    const fixed = FIXED_SIZE[t.name];
    if (fixed !== undefined) c.line(`${acc} += ${fixed};`);
    else if (t.name === "string") c.line(`${acc} += sizeOfString(${source}, ${F});`);
    else if (t.name === "bytes") c.line(`${acc} += sizeOfBytes(${source}, ${F});`);
    else c.line(`${acc} += sizeOfRecords(${source}, ${F});`);
    return;
  }
  if (t.kind === "struct") {
    if (!nullable) {
      c.line(`${acc} += ${source}.size(version);`);
      return;
    }
    c.scoped(() => {
      c.line(`const value = ${source};`);
      const marker = N === "true" ? "1 + " : N === "false" ? "" : `(${N} ? 1 : 0) + `;
      c.line(`if (value !== null) ${acc} += ${marker}value.size(version);`);
      if (N !== "false") c.line(`else ${acc} += 1;`);
    });
    return;
  }
  const element = t.element;
  c.scoped(() => {
    c.line(`const items = ${source};`);
    const sumItems = () => {
      c.line(`const count = items.length;`);
      c.line(`${acc} += sizeOfArrayLength(count, ${F});`);
      if (element.kind === "struct") {
        c.line(`for (let i = 0; i < count; i++) ${acc} += unchecked(items[i]).size(version);`);
      } else if (element.kind === "primitive") {
        const fixed = FIXED_SIZE[element.name];
        if (fixed !== undefined) c.line(`${acc} += ${fixed} * count;`);
        else c.line(`for (let i = 0; i < count; i++) ${acc} += sizeOfString(unchecked(items[i]), ${F});`);
      }
    };
    if (nullable) {
      c.line(`if (items === null) ${acc} += sizeOfArrayLength(-1, ${F});`);
      c.line(`else {`);
      c.indented(sumItems);
      c.line(`}`);
    } else {
      sumItems();
    }
  });
}

export { structOf };
