// Certificates made when a test or benchmark runs, with the openssl CLI (nothing private
// is committed): a CA and the certificates it issues (server and client), as PEM files.
// Keys are EC P-256: quick to make, and read by Envoy (BoringSSL), librdkafka (OpenSSL)
// and the JDK alike. Test-only stores and Envoy contexts built on these are in
// tests/integration/support/certs.mjs.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const DAYS = "2";

/** Fails loudly, naming what is missing, unless the openssl CLI runs. */
export function requireOpenssl() {
  const openssl = spawnSync("openssl", ["version"], { encoding: "utf8" });
  if (openssl.error || openssl.status !== 0) throw new Error("the openssl CLI is not installed (Debian package 'openssl')");
}

/** Runs a certificate CLI (openssl, keytool) to completion in `cwd`; returns its stdout, throws with its output on failure. */
export function runCertificateTool(tool, args, cwd) {
  const result = spawnSync(tool, args, { cwd, encoding: "utf8" });
  if (result.error || result.status !== 0) {
    throw new Error(`${tool} ${args.join(" ")} failed (exit ${result.status}): ${result.error ?? ""}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/**
 * The openssl `-subj` form of an RFC 2253 DN. RFC 2253 (and Kafka, and Envoy's
 * subject_peer_certificate) write the most specific RDN first ("CN=alice,OU=eng,O=Example");
 * `-subj` takes the most general first ("/O=Example/OU=eng/CN=alice"). Values here hold
 * no escaped commas, slashes or plus signs.
 */
export function subjectArgument(rfc2253) {
  return "/" + rfc2253.split(",").reverse().join("/");
}

/**
 * A new CA in `dir`: { dir, cert, key, subject } (paths to PEM files; `subject` in
 * RFC 2253 form). It signs the certificates `issueCertificate` makes.
 */
export function createCertificateAuthority(dir, { subject = "CN=Test CA,O=Example" } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const cert = path.join(dir, "ca.crt");
  const key = path.join(dir, "ca.key");
  runCertificateTool("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", key, "-out", cert, "-days", DAYS, "-subj", subjectArgument(subject),
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  return { dir, cert, key, subject };
}

/**
 * A certificate `ca` signs for `name`: { name, cert, key, subject } (PEM paths). `subject`
 * is an RFC 2253 DN; `sans` are subjectAltName entries in openssl's form
 * ("DNS:localhost", "IP:127.0.0.1", "URI:spiffe://example.org/alice"); `usage` is
 * "server" or "client" (the extendedKeyUsage TLS checks). `subj` gives openssl's `-subj`
 * directly (UTF-8), for names `subject` cannot spell (multi-valued RDNs, escaped commas).
 */
export function issueCertificate(ca, name, { subject, subj = subjectArgument(subject), sans = [], usage = "client" }) {
  const key = path.join(ca.dir, `${name}.key`);
  const csr = path.join(ca.dir, `${name}.csr`);
  const cert = path.join(ca.dir, `${name}.crt`);
  const extensions = path.join(ca.dir, `${name}.ext`);
  const lines = [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    `extendedKeyUsage=${usage === "server" ? "serverAuth" : "clientAuth"}`,
  ];
  if (sans.length > 0) lines.push(`subjectAltName=${sans.join(",")}`);
  fs.writeFileSync(extensions, lines.join("\n") + "\n");
  runCertificateTool("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", key, "-out", csr, "-utf8", "-subj", subj], ca.dir);
  runCertificateTool("openssl", ["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial",
    "-days", DAYS, "-out", cert, "-extfile", extensions], ca.dir);
  return { name, cert, key, subject };
}

/** The subject of a PEM certificate as openssl prints it in RFC 2253 form. */
export function certificateSubject(certFile) {
  return runCertificateTool("openssl", ["x509", "-in", certFile, "-noout", "-subject", "-nameopt", "RFC2253"]).trim().replace(/^subject=/, "");
}
