// Command-line options for the bench scripts: one parser, so that every script answers
// --help the same way and an unknown or malformed option is refused with the usage
// rather than a Node stack trace.
import fs from "node:fs";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

/**
 * The script's header comment (the `//` lines from line 2 up to its first `import`),
 * which is each bench script's manual.
 * @param {string} scriptUrl the script's `import.meta.url`
 * @returns {string}
 */
export function usageOf(scriptUrl) {
  const lines = fs.readFileSync(fileURLToPath(scriptUrl), "utf8").split("\n");
  const end = lines.findIndex((line) => line.startsWith("import "));
  return lines.slice(1, end < 0 ? lines.length : end)
    .filter((line) => line.startsWith("//")).map((line) => line.replace(/^\/\/ ?/, "")).join("\n");
}

/**
 * Parses `process.argv` with node:util's parseArgs (strict, no positionals) plus
 * `--help`/`-h`. On `--help` prints the usage (and `extraHelp`) and exits 0; on an
 * unknown option, a missing value or a value that `numeric` names and that is not a
 * finite number, prints the error and the usage to stderr and exits 2.
 * @param {string} scriptUrl the script's `import.meta.url`
 * @param {Record<string, {type: "string" | "boolean", default?: string | boolean, short?: string}>} options
 * @param {{numeric?: string[], extraHelp?: string}} [settings]
 * @returns {Record<string, string | boolean>} the values, defaults filled in
 */
export function benchOptions(scriptUrl, options, { numeric = [], extraHelp = "" } = {}) {
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
  for (const name of numeric) {
    if (!Number.isFinite(Number(values[name]))) fail(scriptUrl, `--${name} must be a number, got ${JSON.stringify(values[name])}`);
  }
  return values;
}

function fail(scriptUrl, message) {
  console.error(`${message}\n\n${usageOf(scriptUrl)}`);
  process.exit(2);
}
