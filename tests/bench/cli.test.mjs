// Every benchmark script answers --help with its manual and refuses a bad option or a
// number it cannot use (0 connections, negative seconds, "1e3" records) with exit code 2
// and the same manual, before it builds, starts or measures anything.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const benchDir = path.join(root, "tools/bench");
const scripts = fs.readdirSync(benchDir).filter((name) => name.endsWith(".mjs")).sort();

function run(script, args) {
  return spawnSync(process.execPath, [path.join(benchDir, script), ...args], { encoding: "utf8", timeout: 30_000 });
}

test("the bench scripts are all covered", () => {
  assert.ok(scripts.length >= 6, `found only ${scripts.join(", ")}`);
});

for (const script of scripts) {
  test(`${script}: --help prints the manual and exits 0`, () => {
    const result = run(script, ["--help"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`${script.replace(".", "\\.")}|npm run bench`), "the usage names how to run the script");
    assert.ok(result.stdout.split("\n").length >= 3, result.stdout);
    assert.doesNotMatch(result.stdout + result.stderr, /building|starting|Kafka broker up/i, "nothing is built or started for --help");
  });

  test(`${script}: an unknown option is refused with exit 2 and the manual`, () => {
    const result = run(script, ["--no-such-option"]);
    assert.equal(result.status, 2, `exit ${result.status}\n${result.stderr}`);
    assert.match(result.stderr, /Unknown option '--no-such-option'/);
    assert.doesNotMatch(result.stderr, /at .*node:internal/, "no stack trace");
  });
}

// One numeric option per script, and values each must refuse.
const NUMERIC = {
  "codec-bench.mjs": [["--seconds", "0"], ["--seconds=-1"], ["--seconds="]],
  "connection-memory.mjs": [["--connections", "0"], ["--connections=-5"], ["--connections", "2.5"], ["--connections="]],
  "connections-bench.mjs": [["--busy", "0"], ["--idle", "1e3"], ["--seconds", "x"]],
  "host-calls.mjs": [["--pipeline", "0"], ["--seconds=-1"], ["--read-size", "0x10"]],
  "proxy-bench.mjs": [["--rounds", "0x3"], ["--records", "1e3"], ["--rounds", "0"], ["--acks", "banana"]],
  "rewrite-bench.mjs": [["--seconds=-1"], ["--seconds", "NaN"]],
};

test("every bench script has its numeric options checked here", () => {
  assert.deepEqual(Object.keys(NUMERIC).sort(), scripts);
});

for (const [script, cases] of Object.entries(NUMERIC)) {
  for (const args of cases) {
    test(`${script}: ${args.join(" ")} is refused with exit 2`, () => {
      const result = run(script, args);
      assert.equal(result.status, 2, `exit ${result.status}\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stderr, /must be/);
    });
  }
}
