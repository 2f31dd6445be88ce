// SASL/PLAIN on the broker, through Envoy: authentication passes through, the filter
// stays in step, and the password never reaches Envoy's log.
//
// The legacy exchange (SaslHandshake v0 followed by raw token frames) has its own
// file, sasl-legacy.test.mjs: every client library allowed here picks
// SaslAuthenticate when the broker offers it, so a hand-built client drives it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { startStack } from "./support/stack.mjs";
import { kcat, requireKcat } from "./support/clients.mjs";

const PREFIX = "wasmcustom.kafka.broker1";
const PASSWORD = "alice-s3cret-never-logged";
let stack;

before(async () => {
  requireKcat();
  stack = await startStack({
    name: "sasl",
    kafkaProperties: {
      "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,DIRECT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "sasl.enabled.mechanisms": "PLAIN",
      "listener.name.client.sasl.enabled.mechanisms": "PLAIN",
      "listener.name.client.plain.sasl.jaas.config":
        `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="${PASSWORD}" user_bob="bob-secret";`,
    },
  });
}, { timeout: 180000 });

after(async () => { await stack?.stop(); });

const sasl = ["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=alice", "-X", `sasl.password=${PASSWORD}`];
const sum = (stats, pattern) => [...stats].filter(([name]) => pattern.test(name)).reduce((n, [, v]) => n + v, 0);

test("a client using SaslAuthenticate works through Envoy, and a wrong password is refused by the broker", async () => {
  const ok = await kcat(["-b", stack.bootstrap, "-L", ...sasl]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /1 brokers/);
  const stats = await stack.stats(PREFIX);
  assert.ok(sum(stats, /\.api\.SaslHandshake\.v\d+\.responses$/) >= 1);
  assert.ok(sum(stats, /\.api\.SaslAuthenticate\.v\d+\.responses$/) >= 1);
  assert.ok(sum(stats, /\.api\.Metadata\.v\d+\.responses$/) >= 1, "Kafka traffic after authentication is read normally");
  for (const health of ["unknown_api_requests", "unmatched_responses", "request_header_errors", "unanswered_requests", "framing_errors", "sasl_tokens"]) {
    assert.equal(sum(stats, new RegExp(`\\.filter\\.${health}$`)), 0, health);
  }

  const wrong = await kcat(["-b", stack.bootstrap, "-L", "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN",
    "-X", "sasl.username=alice", "-X", "sasl.password=wrong", "-m", "5"]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /Authentication failed|SASL authentication error/i);
});

test("the password never appears in Envoy's log", () => {
  assert.ok(!fs.readFileSync(stack.envoy.logFile, "utf8").includes(PASSWORD));
});
