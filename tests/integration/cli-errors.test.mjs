// The command-line tools a new user meets first (scripts/cluster-config.mjs, scripts/stack.mjs
// behind `npm start`) refuse bad arguments with one line that names the problem and a
// non-zero exit status, before starting anything: no stack trace, nothing on standard output.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { root } from "../../scripts/lib/envoy.mjs";
import { freePort } from "../../scripts/lib/processes.mjs";

function run(script, args) {
  const result = spawnSync("node", [path.join(root, "scripts", script), ...args],
    { cwd: root, encoding: "utf8", timeout: 60000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
}

function assertRefused({ status, stdout, stderr }, prefix, pattern) {
  assert.equal(status, 1, `exit status 1, got ${status}; stderr:\n${stderr}`);
  assert.equal(stdout, "", "nothing on standard output");
  const lines = stderr.split("\n");
  assert.equal(lines.length, 1, `one line on standard error, got:\n${stderr}`);
  assert.ok(lines[0].startsWith(prefix), `starts with "${prefix}": ${lines[0]}`);
  assert.match(lines[0], pattern);
}

test("cluster-config.mjs: bad arguments exit 1 with one line naming the problem", async () => {
  const closedPort = await freePort();
  const cases = [
    [[], /exactly one of --bootstrap .* or --nodes/],
    [["--bootstrap"], /--bootstrap <value>' argument missing/],
    [["--bootstrap", "--port", "9000"], /Option '--bootstrap' argument is ambiguous/],
    [["--nodes", "1=a:9092", "--bogus"], /Unknown option '--bogus'/],
    [["--bootstrap", "foo"], /--bootstrap: not a HOST:PORT address: "foo"/],
    [["--bootstrap", "127.0.0.1:99999"], /--bootstrap: not a HOST:PORT address: "127.0.0.1:99999"/],
    [["--bootstrap", `127.0.0.1:${closedPort}`], new RegExp(`could not discover the brokers through 127\\.0\\.0\\.1:${closedPort}: .*ECONNREFUSED`)],
    [["--nodes", "1=a"], /--nodes: not a HOST:PORT address: "a"/],
    [["--nodes", "x=a:1"], /--nodes entries are NODE_ID=HOST:PORT, got "x=a:1"/],
    [["--nodes", "1=a:1,1=b:1"], /broker node ids repeat/],
    [["--nodes", "1=a:1", "--port", "0"], /--port must be a port number, got "0"/],
    [["--nodes", "1=a:1", "--admin-port", "x"], /--admin-port must be a port number, got "x"/],
    [["--nodes", "1=a:1,2=b:1", "--port", "65535"], /listener ports 65535\.\.65536 are not all valid ports/],
    [["--nodes", "1=a:1,2=b:1", "--port", "9000", "--admin-port", "9001"], /admin port 9001 is one of the listener ports 9000\.\.9001/],
    [["--nodes", "1=a:1", "--config", "/nonexistent/plugin.json"], /--config \/nonexistent\/plugin\.json: ENOENT/],
    // TLS options (README "TLS"): incomplete combinations are refused before anything is written.
    [["--nodes", "1=a:1", "--tls-cert", "server.crt"], /downstream TLS needs both a certificate \(--tls-cert\) and a private key \(--tls-key\)/],
    [["--nodes", "1=a:1", "--require-client-cert"], /downstream TLS needs both a certificate \(--tls-cert\) and a private key \(--tls-key\)/],
    [["--nodes", "1=a:1", "--tls-cert", "s.crt", "--tls-key", "s.key", "--require-client-cert"], /requiring client certificates needs the CA that issues them \(--tls-ca\)/],
    [["--nodes", "1=a:1", "--upstream-tls"], /--upstream-tls needs --upstream-ca/],
    [["--nodes", "1=a:1", "--upstream-ca", "ca.crt"], /--upstream-ca is only meaningful with --upstream-tls/],
    [["--nodes", "1=a:1", "--sni-port", "9092"], /SNI mode needs all of --sni-host-template, --sni-port and --bootstrap-host/],
  ];
  for (const [args, pattern] of cases) {
    assertRefused(run("cluster-config.mjs", ["--skip-validate", ...args]), "cluster-config: ", pattern);
  }
});

test("cluster-config.mjs: good --nodes arguments write the YAML to standard output", () => {
  const result = run("cluster-config.mjs", ["--nodes", "1=a:9092,2=b:9092", "--port", "9000", "--admin-port", "9002", "--skip-validate"]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^# Envoy in front of a Kafka cluster/);
  assert.match(result.stdout, /"nodes": \{\s*"1": "[^"]+:9000",\s*"2": "[^"]+:9001"\s*\}/);
});

test("npm start (stack.mjs): bad arguments exit 1 with one line naming the problem, starting nothing", () => {
  const cases = [
    [["--bogus"], /Unknown option '--bogus'/],
    [["--brokers"], /--brokers <value>' argument missing/],
    [["--port", "abc"], /--port must be a port number, got "abc"/],
    [["--admin-port", "70000"], /--admin-port must be a port number, got "70000"/],
    [["--prometheus", "--prometheus-port", "x"], /--prometheus-port must be a port number, got "x"/],
    [["--prometheus-port", "9999"], /--prometheus-port needs --prometheus/],
  ];
  for (const [args, pattern] of cases) assertRefused(run("stack.mjs", args), "npm start failed: ", pattern);
});

test("npm start (stack.mjs) --help prints its manual and starts nothing", () => {
  const result = run("stack.mjs", ["--help"]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^`npm start`: Kafka behind Envoy/);
  for (const option of ["--brokers", "--bootstrap", "--broker", "--port", "--admin-port", "--config", "--prometheus", "--prometheus-port"]) {
    assert.ok(result.stdout.includes(option), `the manual names ${option}`);
  }
  assert.equal(result.stderr, "");
});

test("npm start (stack.mjs) refuses to run beside another npm start of the same checkout, naming its pid", async () => {
  const lockFile = path.join(root, ".run/stack.pid");
  const other = spawn("sleep", ["60"], { stdio: "ignore" });
  try {
    const existing = fs.existsSync(lockFile) ? Number(fs.readFileSync(lockFile, "utf8")) : 0;
    let holder = existing;
    try { process.kill(existing, 0); } catch { holder = 0; }
    if (holder === 0) {
      // No live stack here: stand one in with a live process of our own.
      fs.mkdirSync(path.dirname(lockFile), { recursive: true });
      fs.writeFileSync(lockFile, String(other.pid));
      holder = other.pid;
    }
    const before = fs.readFileSync(lockFile, "utf8");
    assertRefused(run("stack.mjs", ["--port", "1"]), "npm start failed: ",
      new RegExp(`another npm start \\(pid ${holder}\\) is running in this checkout`));
    assert.equal(fs.readFileSync(lockFile, "utf8"), before, "the other stack's lock is left alone");
  } finally {
    if (fs.existsSync(lockFile) && Number(fs.readFileSync(lockFile, "utf8")) === other.pid) fs.rmSync(lockFile);
    other.kill();
  }
});
