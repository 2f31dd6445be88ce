// Child-process plumbing shared by the stack launcher and the integration tests:
// free ports, waiting for readiness, and stopping what was started.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

// Ports handed out by this process, so two callers never get the same one before either binds it.
const handedOut = new Set();
let nextCandidate = 0;

/**
 * The range ports are handed out from: below the kernel's ephemeral range
 * (/proc/sys/net/ipv4/ip_local_port_range), so that no outgoing connection (Kafka's own
 * controller and replica fetchers, the clients) can take a port between the moment it is
 * handed out and the moment Envoy or Kafka binds it. A port the kernel picked with
 * listen(0) comes from the ephemeral range and loses that race under load: an admin port
 * was once "already in use" by the time Envoy started. Returns [low, high], or null when
 * the ephemeral range leaves no room (then the kernel picks, as before).
 */
function handOutRange() {
  let low = 32768, high = 60999;
  try {
    [low, high] = fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
  } catch { /* not Linux: assume the default range */ }
  if (low - 1 - 10000 >= 2000) return [10000, low - 1];
  if (65535 - (high + 1) >= 2000) return [high + 1, 65535];
  return null;
}

function canListen(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function kernelPickedPort() {
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

/**
 * The first of `count` consecutive TCP ports that nothing listens on, on any local address
 * (the probe binds 0.0.0.0, which conflicts with a listener on 127.0.0.x), and that no
 * earlier call in this process handed out. Ports come from outside the ephemeral range
 * (see handOutRange); each process starts at its own offset, so parallel test processes
 * rarely probe the same ports. Throws when no such run exists.
 */
export async function freePortRun(count = 1) {
  const range = handOutRange();
  if (!range) {
    if (count === 1) return kernelPickedPort();
    throw new Error("no port range outside the ephemeral range to take consecutive ports from");
  }
  const [low, high] = range;
  const span = high - low + 1;
  if (nextCandidate === 0) nextCandidate = low + ((process.pid * 7919) % span);
  for (let tried = 0; tried < span; tried++) {
    let first = nextCandidate;
    if (first + count - 1 > high) first = low;
    nextCandidate = first + count > high ? low : first + count;
    let free = true;
    for (let i = 0; i < count && free; i++) {
      free = !handedOut.has(first + i) && await canListen(first + i, "0.0.0.0");
    }
    if (free) {
      for (let i = 0; i < count; i++) handedOut.add(first + i);
      return first;
    }
  }
  throw new Error(`no run of ${count} free ports in ${low}-${high}`);
}

/** A TCP port that nothing listens on right now and that no outgoing connection will take; see freePortRun. */
export function freePort() {
  return freePortRun(1);
}

/**
 * Resolves true when a TCP connection to `host`:`port` succeeds (it is closed at once), false on any error; never
 * rejects.
 */
export function isPortOpen(port, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` (sync or async) every `intervalMs` ms until it returns a truthy value, and
 * resolves that value; after `timeoutMs` ms throws naming `what`, followed by `hint()`.
 */
export async function waitFor(what, check, { timeoutMs = 60000, intervalMs = 200, hint = () => "" } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${hint()}`);
    await sleep(intervalMs);
  }
}

/**
 * Starts a long-running process with stdout and stderr appended to `logFile`; it dies with
 * this process group. Returns the ChildProcess with `name`, `logFile` and `exited` (a
 * promise of { code, signal }); a failure to start is written to the log.
 */
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

/** The last `lines` lines of the text file `file`, for error messages; "(no log)" when it cannot be read. */
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
