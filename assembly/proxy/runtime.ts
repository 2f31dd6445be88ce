// AssemblyScript's runtime imports env.abort/env.trace by default; Envoy provides
// neither, and a missing import makes the module fail to load. These replacements
// route both through proxy_log. An abort still traps (it is a bug in this module,
// never a reaction to peer input), but the log line says where.
import { proxy_log } from "./imports";

function logCritical(message: string): void {
  const utf8 = String.UTF8.encode(message);
  proxy_log(5, changetype<usize>(utf8), utf8.byteLength);
}

/** env.abort (asc --use abort=): logs the message and source position at critical level, then traps. */
export function abortWithLog(message: string | null, fileName: string | null, line: u32, column: u32): void {
  logCritical(
    "kafka filter aborted: " + (message == null ? "" : message) + " at " +
    (fileName == null ? "?" : fileName) + ":" + line.toString() + ":" + column.toString(),
  );
  unreachable();
}

/** env.trace (asc --use trace=): logs `message` at critical level; the numeric arguments are dropped. */
export function traceToLog(message: string, n: i32 = 0, a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0): void {
  logCritical("kafka filter trace: " + message);
}
