// Command-line options for the bench scripts: one parser, so that every script answers
// --help the same way and an unknown or malformed option is refused with the usage
// rather than a Node stack trace.
import { parseArgs } from "node:util";
import { usageOf } from "../../../scripts/lib/usage.mjs";

/**
 * Parses `process.argv` with node:util's parseArgs (strict, no positionals) plus
 * `--help`/`-h`. On `--help` prints the usage (and `extraHelp`) and exits 0; on an
 * unknown option, a missing value or a value that does not fit the kind `numbers` gives
 * it, prints the error and the usage to stderr and exits 2.
 * Kinds: "positive" (a decimal number > 0, e.g. seconds), "positive-integer",
 * "non-negative-integer"; written in decimal digits (no "0x3", "1e3" or "").
 * @param {string} scriptUrl the script's `import.meta.url`
 * @param {Record<string, {type: "string" | "boolean", default?: string | boolean, short?: string}>} options
 * @param {{numbers?: Record<string, "positive" | "positive-integer" | "non-negative-integer">, extraHelp?: string}} [settings]
 * @returns {Record<string, string | boolean>} the values, defaults filled in
 */
export function benchOptions(scriptUrl, options, { numbers = {}, extraHelp = "" } = {}) {
  let values;
  try {
    ({ values } = parseArgs({ options: { ...options, help: { type: "boolean", short: "h", default: false } } }));
  } catch (error) {
    fail(scriptUrl, error.message);
  }
  if (values.help) {
    console.log(usageOf(scriptUrl) + (extraHelp ? `\n${extraHelp}` : ""));
    process.exit(0);
  }
  for (const [name, kind] of Object.entries(numbers)) {
    const text = String(values[name]);
    const integer = kind !== "positive";
    const value = (integer ? /^\d+$/ : /^\d+(\.\d+)?$/).test(text) ? Number(text) : NaN;
    const fits = Number.isFinite(value) && (kind === "non-negative-integer" ? value >= 0 : value > 0) && (!integer || Number.isSafeInteger(value));
    if (!fits) fail(scriptUrl, `--${name} must be ${KIND_TEXT[kind]}, got ${JSON.stringify(values[name])}`);
  }
  return values;
}

const KIND_TEXT = {
  "positive": "a number above 0",
  "positive-integer": "a whole number above 0",
  "non-negative-integer": "a whole number, 0 or more",
};

function fail(scriptUrl, message) {
  console.error(`${message}\n\n${usageOf(scriptUrl)}`);
  process.exit(2);
}
