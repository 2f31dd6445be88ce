// Emits `errors.ts`: Kafka's name for every error code, from spec/kafka-<v>/errors.json
// (itself dumped from kafka-clients' `Errors` enum by tools/errors/DumpErrors.java).
// The names are static string literals, so looking one up allocates nothing.

import { Code } from "./code.ts";
import { GENERATED_HEADER, KAFKA_VERSION } from "./config.ts";
import { SpecModel } from "./model.ts";

export const UNKNOWN_ERROR_NAME = "UNKNOWN_ERROR_CODE";

export function emitErrors(model: SpecModel): string {
  const c = new Code();
  c.line(GENERATED_HEADER.trimEnd());
  c.line("//");
  c.line(`// Kafka error codes and their names, from the constants of`);
  c.line(`// org.apache.kafka.common.protocol.Errors in kafka-clients ${KAFKA_VERSION}`);
  c.line(`// (spec/kafka-${KAFKA_VERSION}/errors.json).`);
  c.line("");
  const codes = model.errors.map((e) => e.code);
  c.line(`/** Lowest error code Kafka ${KAFKA_VERSION} defines. */`);
  c.line(`export const MIN_ERROR_CODE: i32 = ${Math.min(...codes)};`);
  c.line(`/** Highest error code Kafka ${KAFKA_VERSION} defines. */`);
  c.line(`export const MAX_ERROR_CODE: i32 = ${Math.max(...codes)};`);
  c.line("");
  c.line(`/** What errorName returns for a code Kafka ${KAFKA_VERSION} does not define. */`);
  c.line(`export const UNKNOWN_ERROR_CODE_NAME = ${JSON.stringify(UNKNOWN_ERROR_NAME)};`);
  c.line("");
  c.line(`/** Kafka's enum name for \`code\` (e.g. 3 -> "UNKNOWN_TOPIC_OR_PARTITION"), or "${UNKNOWN_ERROR_NAME}". */`);
  c.block(`export function errorName(code: i32): string`, () => {
    c.block(`switch (code)`, () => {
      for (const e of model.errors) c.line(`case ${e.code}: return ${JSON.stringify(e.name)};`);
      c.line(`default: return UNKNOWN_ERROR_CODE_NAME;`);
    });
  });
  c.line("");
  c.line(`/** Whether Kafka ${KAFKA_VERSION} defines \`code\`. */`);
  c.block(`export function isKnownErrorCode(code: i32): bool`, () => {
    const contiguous = model.errors.every((e, i) => e.code === model.errors[0].code + i);
    if (contiguous) {
      c.line(`return code >= MIN_ERROR_CODE && code <= MAX_ERROR_CODE;`);
      return;
    }
    c.block(`switch (code)`, () => {
      for (let i = 0; i < model.errors.length; i += 8) {
        c.line(model.errors.slice(i, i + 8).map((e) => `case ${e.code}:`).join(" "));
      }
      c.line(`  return true;`);
      c.line(`default: return false;`);
    });
  });
  return c.toString();
}
