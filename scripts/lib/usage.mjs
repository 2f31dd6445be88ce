// A script's manual is its header comment: --help prints that, so there is one copy.
import fs from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The script's header comment (the `//` lines from line 2 up to its first `import`),
 * which is each script's manual (the bench scripts, `npm start`).
 * @param {string} scriptUrl the script's `import.meta.url`
 * @returns {string}
 */
export function usageOf(scriptUrl) {
  const lines = fs.readFileSync(fileURLToPath(scriptUrl), "utf8").split("\n");
  const end = lines.findIndex((line) => line.startsWith("import "));
  return lines.slice(1, end < 0 ? lines.length : end)
    .filter((line) => line.startsWith("//")).map((line) => line.replace(/^\/\/ ?/, "")).join("\n");
}
