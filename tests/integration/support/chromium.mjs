// Headless Chromium (Debian's `chromium` package, installed by scripts/setup.sh --for-tests)
// for screenshots and rendered DOMs of web pages the tests serve, such as Prometheus's graph page.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";

/** Chromium's version line; throws naming the package when it is missing. */
export function requireChromium() {
  const probe = spawnSync("chromium", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error("chromium is not installed (Debian package 'chromium'; scripts/setup.sh --for-tests installs it)");
  }
  return probe.stdout.trim();
}

/**
 * Runs headless Chromium on `url` with a fresh profile (removed afterwards) and `extra`
 * arguments (--screenshot=FILE, --dump-dom, …). `virtualTimeMs` lets the page's scripts
 * run (and its requests finish) before the capture. Resolves { code, stdout, stderr }.
 * The flags keep it from reaching anything but `url`: no sync, updates or background
 * networking; --no-sandbox because tests may run as root.
 */
export function runHeadlessChromium(url, extra, { width = 1280, height = 800, virtualTimeMs = 8000, timeoutMs = 60000 } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "chromium-profile-"));
  const args = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--hide-scrollbars", `--user-data-dir=${profile}`, `--window-size=${width},${height}`,
    `--virtual-time-budget=${virtualTimeMs}`, ...extra, url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("chromium", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const done = (fn) => { clearTimeout(timer); fs.rmSync(profile, { recursive: true, force: true }); fn(); };
    const timer = setTimeout(() => { child.kill("SIGKILL"); }, timeoutMs);
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("error", (error) => done(() => reject(error)));
    child.on("close", (code, signal) => done(() => resolve({ code: code ?? signal, stdout, stderr })));
  });
}

/** Width, height and size of PNG `file`, read from its signature and IHDR chunk; throws if it is not a PNG. */
export function pngInfo(file) {
  const bytes = fs.readFileSync(file);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(signature) || bytes.toString("latin1", 12, 16) !== "IHDR") {
    throw new Error(`${file} is not a PNG`);
  }
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), bytes: bytes.length };
}
