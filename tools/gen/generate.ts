// Maps the model to the full set of generated files (path relative to the repository
// root -> content). Pure: the same spec always yields byte-identical output.

import { CODEC_OUT, TESTS_OUT } from "./config.ts";
import { emitBuilders } from "./emit-tests.ts";
import { SpecModel } from "./model.ts";
import { emitApis } from "./emit-apis.ts";
import { emitIndex } from "./emit-index.ts";
import { emitErrors } from "./emit-errors.ts";
import { emitMessage, messageFileName } from "./emit-message.ts";

export function generateAll(model: SpecModel): Map<string, string> {
  const files = new Map<string, string>();
  files.set(`${CODEC_OUT}/apis.ts`, emitApis(model));
  for (const m of model.messages) files.set(`${CODEC_OUT}/${messageFileName(m)}`, emitMessage(m));
  files.set(`${CODEC_OUT}/index.ts`, emitIndex(model));
  files.set(`${CODEC_OUT}/errors.ts`, emitErrors(model));
  files.set(`${TESTS_OUT}/builders.ts`, emitBuilders(model));
  return files;
}
