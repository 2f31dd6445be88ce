// Small Java programs built on Kafka's own client classes (tests/clients/java for the
// tests, tools/bench/java for the benchmarks), compiled on first use with javac against
// the Kafka jars in .deps/kafka/lib.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The vendored Kafka distribution's jar directory (.deps/kafka/lib), the Java clients' classpath. */
export const KAFKA_LIB = path.join(root, ".deps/kafka/lib");

/** Fails loudly, naming what is missing, unless java, javac and the Kafka client jars are there; returns the jar directory. */
export function requireJava() {
  for (const tool of ["java", "javac"]) {
    const probe = spawnSync(tool, ["-version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) throw new Error(`${tool} is not installed (a JDK 17+; scripts/setup.sh installs one)`);
  }
  if (!fs.existsSync(KAFKA_LIB) || !fs.readdirSync(KAFKA_LIB).some((f) => /^kafka-clients-.*\.jar$/.test(f))) {
    throw new Error(`the Kafka client jars are missing from ${KAFKA_LIB} (scripts/install-kafka.sh installs them)`);
  }
  return KAFKA_LIB;
}

const compiled = new Map();

/**
 * Compiles every *.java file in `sourceDir` against the Kafka jars into
 * .run/java-clients/<hash of the sources>, once per source version (a later call, or
 * another process, reuses it); returns the class path to run them with (classes, then
 * the jars). Throws with javac's output when compilation fails.
 */
export function compiledJavaClasspath(sourceDir) {
  if (compiled.has(sourceDir)) return compiled.get(sourceDir);
  const lib = requireJava();
  const sources = fs.readdirSync(sourceDir).filter((f) => f.endsWith(".java")).sort();
  const hash = crypto.createHash("sha256");
  for (const file of sources) hash.update(file).update(fs.readFileSync(path.join(sourceDir, file)));
  const out = path.join(root, ".run/java-clients", hash.digest("hex").slice(0, 16));
  if (!fs.existsSync(path.join(out, ".complete"))) {
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    const result = spawnSync("javac", ["-cp", `${lib}/*`, "-d", out, ...sources.map((f) => path.join(sourceDir, f))],
      { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`javac failed on ${sourceDir} (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
    fs.writeFileSync(path.join(out, ".complete"), "");
  }
  const classpath = `${out}:${lib}/*`;
  compiled.set(sourceDir, classpath);
  return classpath;
}
