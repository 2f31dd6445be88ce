// Entry point of the codec generator.
//
//   npm run gen          regenerate assembly/codec/generated/ and tests/unit/codec/generated/
//   npm run gen:check    regenerate into a temporary directory and fail, listing the
//                        differing files, when the committed output is out of date

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CODEC_OUT, REPO_ROOT, SPEC_DIR, TESTS_OUT } from "./config.ts";
import { loadSpec } from "./model.ts";
import { generateAll } from "./generate.ts";

function writeTree(root: string, files: Map<string, string>): void {
  for (const dir of [CODEC_OUT, TESTS_OUT]) fs.rmSync(path.join(root, dir), { recursive: true, force: true });
  for (const [rel, content] of files) {
    const full = path.join(root, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
}

function listFiles(root: string, rel: string): string[] {
  const dir = path.join(root, rel);
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const child = path.posix.join(rel, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(root, child));
    else out.push(child);
  }
  return out;
}

function check(files: Map<string, string>): number {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), "codec-gen-"));
  try {
    writeTree(temp, files);
    const differing: string[] = [];
    const all = new Set<string>();
    for (const dir of [CODEC_OUT, TESTS_OUT]) {
      for (const f of listFiles(temp, dir)) all.add(f);
      for (const f of listFiles(REPO_ROOT, dir)) all.add(f);
    }
    for (const rel of [...all].sort()) {
      const expected = path.join(temp, rel);
      const actual = path.join(REPO_ROOT, rel);
      if (!fs.existsSync(actual)) differing.push(`missing:   ${rel}`);
      else if (!fs.existsSync(expected)) differing.push(`stale:     ${rel}`);
      else if (!fs.readFileSync(expected).equals(fs.readFileSync(actual))) differing.push(`outdated:  ${rel}`);
    }
    if (differing.length > 0) {
      console.error(`gen:check: generated code is out of date (run \`npm run gen\`):`);
      for (const d of differing) console.error(`  ${d}`);
      return 1;
    }
    console.log(`gen:check: ${files.size} generated files are up to date`);
    return 0;
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

function main(argv: string[]): number {
  const model = loadSpec(SPEC_DIR);
  const files = generateAll(model);
  if (argv.includes("--check")) return check(files);
  writeTree(REPO_ROOT, files);
  console.log(`gen: wrote ${files.size} files from ${model.messages.length} message definitions (${model.apis.length} APIs)`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
