// Child-process plumbing shared by the stack launcher and the integration tests:
// free ports, waiting for readiness, and stopping what was started.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function isPortOpen(port, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value; throws `what` with `hint()` on timeout. */
export async function waitFor(what, check, { timeoutMs = 60000, intervalMs = 200, hint = () => "" } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${hint()}`);
    await sleep(intervalMs);
  }
}

/** Starts a long-running process with its output in `logFile`; it dies with this process group. */
export function startProcess(name, command, args, { logFile, cwd, env } = {}) {
  const out = fs.openSync(logFile, "a");
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  child.name = name;
  child.logFile = logFile;
  child.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.once("error", (error) => fs.appendFileSync(logFile, `\n[launcher] ${name} failed to start: ${error.message}\n`));
  return child;
}

/** SIGTERM, then SIGKILL if the process does not exit within `graceMs`. */
export async function stopProcess(child, graceMs = 10000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Runs a set-up script and returns its last stdout line; fails loudly naming the component. */
export function runInstaller(component, script) {
  const result = spawnSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (result.status !== 0) {
    throw new Error(`${component} is not available: ${script} exited with ${result.status}`);
  }
  return result.stdout.trim().split("\n").pop();
}
