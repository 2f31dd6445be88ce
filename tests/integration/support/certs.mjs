// Test certificates, made when a test runs with the openssl CLI (nothing private is
// committed): a CA, certificates it issues (server and client; scripts/lib/certs.mjs),
// and the PKCS12 key and trust stores Kafka's Java clients read.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { requireOpenssl, runCertificateTool as run } from "../../../scripts/lib/certs.mjs";

// The CA and the certificates it issues are shared with the benchmarks (scripts/lib/certs.mjs).
export { certificateSubject, createCertificateAuthority, issueCertificate, subjectArgument } from "../../../scripts/lib/certs.mjs";

/** Fails loudly, naming what is missing, unless the openssl and keytool CLIs run. */
export function requireCertificateTools() {
  requireOpenssl();
  const keytool = spawnSync("keytool", ["-help"], { encoding: "utf8" });
  if (keytool.error) throw new Error("keytool is not installed (it comes with the JDK; scripts/setup.sh installs one)");
}

/**
 * A PKCS12 key store holding `issued`'s key and certificate (with the CA certificate
 * as its chain), for ssl.keystore.location. Returns { path, password, type: "PKCS12" }.
 */
export function pkcs12KeyStore(ca, issued, { password = "changeit" } = {}) {
  const file = path.join(ca.dir, `${issued.name}.p12`);
  run("openssl", ["pkcs12", "-export", "-in", issued.cert, "-inkey", issued.key, "-certfile", ca.cert,
    "-name", issued.name, "-out", file, "-passout", `pass:${password}`], ca.dir);
  return { path: file, password, type: "PKCS12" };
}

/**
 * A PKCS12 trust store holding the CA certificate as a trusted entry (keytool writes the
 * Java trust attribute that openssl's own PKCS12 export leaves out), for
 * ssl.truststore.location. Returns { path, password, type: "PKCS12" }.
 */
export function pkcs12TrustStore(ca, { password = "changeit" } = {}) {
  const file = path.join(ca.dir, "truststore.p12");
  fs.rmSync(file, { force: true });
  run("keytool", ["-importcert", "-noprompt", "-alias", "ca", "-file", ca.cert, "-keystore", file,
    "-storetype", "PKCS12", "-storepass", password], ca.dir);
  return { path: file, password, type: "PKCS12" };
}

/**
 * Envoy's DownstreamTlsContext terminating mutual TLS with `server`'s certificate and
 * requiring a client certificate `ca` signed. Envoy reads the PEM files at start-up.
 */
export function downstreamMutualTls(ca, server) {
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
      require_client_certificate: true,
      common_tls_context: {
        tls_certificates: [{
          certificate_chain: { filename: server.cert },
          private_key: { filename: server.key },
        }],
        validation_context: { trusted_ca: { filename: ca.cert } },
      },
    },
  };
}
