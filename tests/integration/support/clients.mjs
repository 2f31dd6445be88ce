// Real Kafka clients driven by the tests: kcat (librdkafka), kafkajs and Kafka's own
// Java clients (through tests/clients/java/AclClient.java).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { root } from "../../../scripts/lib/envoy.mjs";
import { compiledJavaClasspath, requireJava } from "../../../scripts/lib/java.mjs";

/** Fails loudly, naming the package, unless kcat runs; returns its `-V` output (version banner). */
export function requireKcat() {
  const probe = spawnSync("kcat", ["-V"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error("kcat is not installed (Debian package 'kcat'; scripts/setup.sh installs it)");
  }
  return probe.stdout;
}

/**
 * Runs kcat with `args`, feeding `input`; resolves { code, stdout, stderr } whatever the
 * exit code. Rejects (kcat killed) after `timeoutMs` ms, or when kcat cannot start.
 */
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

const JAVA_CLIENT_SOURCES = path.join(root, "tests/clients/java");

export { requireJava } from "../../../scripts/lib/java.mjs";

/**
 * Compiles tests/clients/java/*.java against the Kafka jars (scripts/lib/java.mjs), once
 * per source version; returns the classpath to run them with.
 */
export function javaClientClasspath() {
  return compiledJavaClasspath(JAVA_CLIENT_SOURCES);
}

/**
 * Runs one AclClient subcommand (see tests/clients/java/AclClient.java) with `args`
 * ({ bootstrap, topics: [..], count, ... } become --name value); resolves its JSON
 * result, with the client's log as `stderr` (not enumerable). A tool failure (no JSON,
 * non-zero exit) rejects with the log. `jvmArgs` go before the class path (e.g.
 * "-Djdk.net.hosts.file=…" to resolve test host names).
 */
export function javaClient(subcommand, args, { timeoutMs = 90000, jvmArgs = [] } = {}) {
  const argv = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto", ...jvmArgs, "-cp", javaClientClasspath(), "AclClient", subcommand];
  for (const [name, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    const option = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    argv.push(`--${option}`, Array.isArray(value) ? value.join(",") : String(value));
  }
  return new Promise((resolve, reject) => {
    const child = spawn("java", argv, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`java AclClient ${subcommand} timed out\n${stderr.slice(-4000)}`)); }, timeoutMs);
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("error", (error) => { clearTimeout(timer); reject(error); });
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").pop();
      let result;
      try { result = JSON.parse(line); } catch { result = null; }
      if (code !== 0 || result === null) {
        reject(new Error(`java AclClient ${subcommand} ${argv.slice(6 + jvmArgs.length).join(" ")} failed (exit ${code}):\n${stdout}\n${stderr.slice(-4000)}`));
        return;
      }
      Object.defineProperty(result, "stderr", { value: stderr, enumerable: false });
      resolve(result);
    });
  });
}

/**
 * The class path of Kafka's own tools (VerifiableProducer, VerifiableConsumer: the
 * kafka-tools jar in .deps/kafka/lib); fails loudly, naming it, when it is missing.
 */
export function kafkaToolsClasspath() {
  const lib = requireJava();
  if (!fs.readdirSync(lib).some((f) => /^kafka-tools-.*\.jar$/.test(f))) {
    throw new Error(`Kafka's tools jar (VerifiableProducer, VerifiableConsumer) is missing from ${lib} (scripts/install-kafka.sh installs it)`);
  }
  return `${lib}/*`;
}

/**
 * Runs one of Kafka's own command-line tools (ConfigCommand, ConsumerGroupCommand,
 * ConsoleConsumer, ProducerPerformance, ...) by its main class, with a small quick-start
 * JVM, and resolves to its standard output. Rejects when it exits non-zero (with the
 * tail of its output) or outlives `timeoutMs` (then it is killed).
 * @param {string} mainClass e.g. "kafka.admin.ConfigCommand"
 * @param {string[]} args
 * @param {{timeoutMs?: number}} [options]
 * @returns {Promise<string>}
 */
export function kafkaTool(mainClass, args, { timeoutMs = 90000 } = {}) {
  const classpath = kafkaToolsClasspath();
  return new Promise((resolve, reject) => {
    const child = spawn("java", ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath, mainClass, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`${mainClass} timed out\n${stderr.slice(-4000)}`)); }, timeoutMs);
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("error", (error) => { clearTimeout(timer); reject(error); });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${mainClass} ${args.join(" ")} exited ${code}:\n${stdout}\n${stderr.slice(-4000)}`));
      else resolve(stdout);
    });
  });
}

/**
 * JVM arguments that make a Kafka tool log to standard error as
 * "[<ms since the epoch>] LEVEL message (logger)": WARN and above, plus DEBUG from the
 * consumer's FetchCollector, which is where the Java consumer reports a Fetch partition
 * error such as UNKNOWN_TOPIC_ID ("Received unknown topic ID error in fetch for
 * partition …"; the producer's retried errors are WARN lines from its Sender). The
 * log4j2 configuration is written to `dir`.
 */
export function kafkaToolLogging(dir) {
  const file = path.join(dir, "kafka-tools-log4j2.properties");
  fs.writeFileSync(file, [
    "status = error",
    "appender.stderr.type = Console",
    "appender.stderr.name = STDERR",
    "appender.stderr.target = SYSTEM_ERR",
    "appender.stderr.layout.type = PatternLayout",
    "appender.stderr.layout.pattern = [%d{UNIX_MILLIS}] %p %m (%c)%n",
    "rootLogger.level = warn",
    "rootLogger.appenderRef.stderr.ref = STDERR",
    "logger.fetch.name = org.apache.kafka.clients.consumer.internals.FetchCollector",
    "logger.fetch.level = debug",
    "",
  ].join("\n"));
  return [`-Dlog4j2.configurationFile=${file}`];
}

/** The lines of a kafkaToolLogging log `file` that contain `text`, as [{ at (ms), line }]. */
export function kafkaToolLogLines(file, text) {
  return fs.readFileSync(file, "utf8").split("\n").filter((line) => line.includes(text))
    .map((line) => ({ at: Number(/^\[(\d+)\]/.exec(line)?.[1] ?? NaN), line }));
}
