// Real Kafka clients driven by the tests: kcat (librdkafka) and kafkajs.
import { spawn, spawnSync } from "node:child_process";

export function requireKcat() {
  const probe = spawnSync("kcat", ["-V"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error("kcat is not installed (Debian package 'kcat'; scripts/setup.sh installs it)");
  }
  return probe.stdout;
}

/** Runs kcat with `args`, feeding `input`; resolves { code, stdout, stderr }. */
export function kcat(args, { input = "", timeoutMs = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn("kcat", args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`kcat ${args.join(" ")} timed out\n${stderr}`)); }, timeoutMs);
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("error", (error) => { clearTimeout(timer); reject(error); });
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(input);
  });
}
