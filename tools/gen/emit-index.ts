// Emits assembly/codec/generated/index.ts: message factories and decode entry points
// keyed by api key, re-exporting the API table.

import { GENERATED_HEADER } from "./config.ts";
import { SpecModel } from "./model.ts";

export function emitIndex(model: SpecModel): string {
  const out: string[] = [GENERATED_HEADER];
  out.push(`import { Reader } from "../reader";`);
  out.push(`import { DecodeError } from "../errors";`);
  out.push(`import { ErrorCodeSink, Message } from "../message";`);
  for (const m of model.messages) out.push(`import { ${m.name} } from "./${m.name}";`);
  out.push("");
  out.push(`export * from "./apis";`);
  for (const m of model.messages) out.push(`export { ${m.name} } from "./${m.name}";`);
  out.push("");
  for (const [fn, kind] of [["newRequest", "request"], ["newResponse", "response"]] as const) {
    out.push(`/**`);
    out.push(` * A default-valued ${kind} of \`apiKey\`, or null for keys this spec does not define.`);
    out.push(` * \`withDefaults\` false is for decoding into it (see the message constructors).`);
    out.push(` */`);
    out.push(`export function ${fn}(apiKey: i32, withDefaults: bool = true): Message | null {`);
    out.push(`  switch (apiKey) {`);
    for (const a of model.apis) out.push(`    case ${a.apiKey}: return new ${a[kind].name}(withDefaults);`);
    out.push(`  }`);
    out.push(`  return null;`);
    out.push(`}`);
    out.push("");
  }
  for (const [fn, factory, kind] of [
    ["decodeRequestBody", "newRequest", "request"],
    ["decodeResponseBody", "newResponse", "response"],
  ] as const) {
    out.push(`/**`);
    out.push(` * Decodes a ${kind} body (the bytes after the header) of (apiKey, version) from \`r\`.`);
    out.push(` * Returns null on failure, with the error recorded on \`r\` (UnknownApi, UnsupportedVersion, ...).`);
    out.push(` */`);
    out.push(`export function ${fn}(apiKey: i32, version: i16, r: Reader): Message | null {`);
    out.push(`  const message = ${factory}(apiKey, false);`);
    out.push(`  if (message === null) {`);
    out.push(`    r.failWith(DecodeError.UnknownApi, "${kind}");`);
    out.push(`    return null;`);
    out.push(`  }`);
    out.push(`  return message.decode(r, version) ? message : null;`);
    out.push(`}`);
    out.push("");
  }
  out.push(`/**`);
  out.push(` * Walks a response body of (apiKey, version) handing \`sink\` the same error codes, in the`);
  out.push(` * same order, as decodeResponseBody + collectErrorCodes, without building the message.`);
  out.push(` * False (error recorded on \`r\`) exactly where decodeResponseBody would return null.`);
  out.push(` */`);
  out.push(`export function collectResponseErrorCodes(apiKey: i32, version: i16, r: Reader, sink: ErrorCodeSink): bool {`);
  out.push(`  switch (apiKey) {`);
  for (const a of model.apis) out.push(`    case ${a.apiKey}: return ${a.response.name}.walkErrorCodes(r, version, sink);`);
  out.push(`  }`);
  out.push(`  return r.failWith(DecodeError.UnknownApi, "response");`);
  out.push(`}`);
  out.push("");
  return out.join("\n");
}
