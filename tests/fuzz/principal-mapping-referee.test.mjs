// acl.tls_principal_mapping_rules against Kafka itself: the same rule lists and
// distinguished names go to Kafka's org.apache.kafka.common.security.ssl.SslPrincipalMapper
// (tests/clients/java/PrincipalMapperReferee.java, on the Kafka client jar in .deps/kafka)
// and to the built filter module, run in-process under the proxy-wasm host
// (tests/fuzz/host.mjs). The filter's answer is read where an operator sees it: the
// principal of the audit line its denial writes, or the connection closed (and counted)
// when no rule matches, where Kafka fails the authentication.
//
// Cases: Kafka's own test and documentation rules, rules probing Kafka's replacement and
// list-splitting quirks, rule lists Kafka refuses or would throw on (the filter refuses
// them at load time), rules outside the supported regex subset (Kafka accepts, the filter
// refuses: the documented boundary), and random rules of the subset over random subjects.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { LogLevel, ProxyWasmHost } from "./host.mjs";
import { metadataRequest } from "../integration/support/kafka-wire.mjs";
import { javaClientClasspath } from "../integration/support/clients.mjs";
import { compiledFilter } from "../../scripts/lib/build.mjs";

const STAT_PREFIX = "mapping";
const UNMAPPED_STAT = `kafka.${STAT_PREFIX}.filter.acl_tls_subjects_unmapped`;

const KAFKA_TEST_RULES = "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L, " +
  "RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U, RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U, DEFAULT";

/** Rule lists whose every subject must map as Kafka maps it. */
const SAME = [
  KAFKA_TEST_RULES,
  "DEFAULT",
  "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/",
  "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT",
  "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/",
  "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L",
  "RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U",
  "RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/",
  "RULE:^CN=((\\\\, *|\\w)+)(,.*|$)/$1/,DEFAULT",
  "RULE:^CN=([^,]+),.*$/$1/",
  "RULE:^CN=([^,]+)(,.*|$)/$1/L, RULE:^(.*)$/other:$1/",
  "RULE:^CN=([^,]+),OU=eng(,.*)?$/$1/, RULE:^CN=([^,]+),OU=ops(,.*)?$/ops-$1/U",
  // Unanchored patterns: replaceAll replaces every match find() sees.
  "RULE:.*/x/",
  "RULE:(.*?)/x$1/",
  "RULE:[^,]*/<$0>/",
  "RULE:.+?/-/",
  // Replacement quirks: groups that took no part, $n past the group count, escapes.
  "RULE:^(a)(b)?$/[$2]$12/, DEFAULT",
  "RULE:^CN=(.*?),(.*)$/$2 $1 $3 \\$1 \\\\ $0/, DEFAULT",
  "RULE:^CN=(.*?),(.*)$/$10$20$21$02/, DEFAULT",
  "RULE:^(.*)$/$1\\/x/",
  "RULE:^CN=([^,]*)\\/(.*?)(,.*)?$/$2:$1/, DEFAULT",
  "RULE:^CN=.*$//, DEFAULT",
  // Alternation, non-capturing groups, counted and lazy quantifiers, shorthands.
  "RULE:^(?:CN|UID|cn)=(\\w+?)(?:,.*)?$/$1/U, DEFAULT",
  "RULE:^(CN|OU|O)=([^,]*)(?:,.*)?$/$2-$1/",
  "RULE:^CN=(\\w{2,4})\\w*(,.*)?$/$1/, RULE:^CN=(\\w{1,2}?)(.*)$/short:$1/",
  "RULE:^[A-Z]{1,2}=([\\w.\\-]+),.*$/$1/L, DEFAULT",
  "RULE:^CN=([a-z]+)(\\d+)(,.*)?$/$2.$1/, DEFAULT",
  "RULE:^CN=(\\S+)\\s(\\S+)(,.*)?$/$2_$1/, DEFAULT",
  "RULE:^CN=([^a-m,]+).*$/$1/, DEFAULT",
  "RULE:^(.*),DC=example,DC=org$/$1/, DEFAULT",
  "RULE:^(?:[^,]*,)*?O=([^,]+)(?:,.*)?$/org:$1/, DEFAULT",
  "RULE:^(.)(.)?.*$/$2$1/, DEFAULT",
  // Case changes with Locale.ENGLISH.
  "RULE:^CN=(.*?)(,.*)?$/$1/U",
  "RULE:^CN=(.*?)(,.*)?$/$1/L",
  "RULE:^(.*)$/$1/U",
  "RULE:^(.*)$/$1/L",
  // A leading (?i): ASCII letters in either case.
  "RULE:(?i)^cn=([^,]*).*$/$1/",
  "RULE:(?i)^CN=([A-Z]+)(,OU=eng.*)?$/$1/L, DEFAULT",
  "RULE:(?i)^[^c-e].*$/not-cde/, DEFAULT",
  // Line terminators: `.` stops at them, `$` also matches before a final one.
  "RULE:^CN=(.*)$/$1/, DEFAULT",
  "RULE:^CN=([\\s\\S]*)$/$1/",
  // List splitting: whitespace, empty entries, commas inside rules, ",\n" separators.
  ",,RULE:^CN=(.*?),.*$/$1/,,,DEFAULT,,",
  "  RULE:^CN=(.*?),.*$/$1/U   ,   DEFAULT  ",
  "RULE:^CN=(.*?),OU=(.*?)(,.*)?$/$1,$2/L,\n  RULE:^CN=([^,]*).*$/$1/,\n  DEFAULT",
  "RULE:^x$/y/",
];

/** Rule lists Kafka refuses when it reads them. */
const KAFKA_INVALID = [
  "default", "DEFAUL", "DEFAULT/L", "DEFAULT/U",
  "RULE:CN=(.*?),OU=ServiceUsers.*/$1",
  "rule:^CN=(.*?),OU=ServiceUsers.*$/$1/",
  "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U",
  "RULE:^CN=(.*?),OU=ServiceUsers.*$/L",
  "RULE:^CN=(.*?),OU=ServiceUsers.*$/U",
  "RULE:^CN=(.*?),OU=ServiceUsers.*$/LU",
  "RULE:^CN=(.*?),OU=.*$/$1/\nRULE:^(.*)$/x$1/",
  "RULE:^CN=(.*)$/$1/ L, DEFAULT",
];

/** Rule lists Kafka accepts but throws on when a rule matches (the filter refuses them). */
const KAFKA_THROWS = [
  "RULE:^CN=.*$/$1/",
  "RULE:^CN=(.*)$/$5$6/",
  "RULE:^CN=(.*)$/${name}/",
  "RULE:^CN=(.*)$/a$b/",
  "RULE:^CN=(.*)$/$1$/",
  "RULE:^CN=(.*)$/$99999999999/",
];

/** Rule lists Kafka accepts whose patterns are outside the supported subset (the filter refuses them). */
const UNSUPPORTED = [
  "RULE:^CN=(?i)([^,]*).*$/$1/",
  "RULE:(?s)^CN=(.*)$/$1/",
  "RULE:^CN=(?<name>[^,]*).*$/$1/",
  "RULE:^CN=(\\w+)(?=,OU=eng).*$/$1/",
  "RULE:^CN=(\\w)\\1.*$/$1/",
  "RULE:^\\bCN=([^,]*).*$/$1/",
  "RULE:^CN=(\\p{L}+).*$/$1/",
  "RULE:^CN=([^,]*+).*$/$1/",
  "RULE:^CN=([a-z&&[^x]]+).*$/$1/",
  "RULE:^CN=((a*)*)$/$1/",
];

/** Subjects, in Java's RFC 2253 form, tried with every rule list. */
const SUBJECTS = [
  "CN=Duke,OU=ServiceUsers,O=Org,C=US",
  "CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US",
  "cn=duke,ou=sme,dc=mycp,dc=com",
  "cN=duke,OU=JavaSoft,O=Sun Microsystems",
  "OU=JavaSoft,O=Sun Microsystems,C=US",
  "cn=d,ou=s,dc=m,dc=c",
  "CN=Tkac\\, Adam,OU=ITZ,DC=geodis,DC=cz",
  "CN=alice,OU=eng,O=Example",
  "CN=bob,OU=ops,O=Example",
  "CN=carol",
  "CN=dave42,O=Example",
  "CN=Zoë Smith,OU=eng,O=Example\\, Inc.,DC=example,DC=org",
  "CN=straße,O=Example",
  "CN=ΣΑΣ,O=Ελλάδα",
  "CN=ΟΔΥΣΣΕΥΣ ΣΑΣ1 Σ,O=x",
  "CN=İstanbul,O=x",
  "CN=中文名,OU=部门",
  "CN=smile😀,O=emoji",
  "CN=a/b,O=slash",
  "CN=first last,O=Example",
  "CN=,O=empty",
  "UID=u123,DC=example,DC=org",
  "O=Example",
  "CN=x",
  "a",
  "ab",
  "abc",
  "CN=trailing\n",
  "CN=two\nlines",
  "CN=crlf\r\n",
  "1.2.840.113549.1.9.1=#160f7a6f65406578616d706c652e6f7267,CN=Zoë Smith,O=Example",
  "CN=mixed Case.Name-1_2,OU=Dev,O=Example",
];

/** A seeded PRNG (mulberry32), so a failure reproduces. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random subjects over a small alphabet, so random patterns often match them. */
function randomSubjects(next, count) {
  const pick = (list) => list[Math.floor(next() * list.length)];
  const types = ["CN", "OU", "O", "L", "C", "DC", "UID", "cn", "ou"];
  // No capital sigma: with L, its final or medial form depends on Java's word boundaries
  // (BreakIterator), which the filter follows only for plain words (README, Principal
  // mapping rules); the hand-written subjects hold the sigmas it must get right.
  const chars = ["a", "b", "c", "A", "B", "x", "1", "2", " ", ".", "-", "_", "\\,", "é", "ß"];
  const out = [];
  for (let i = 0; i < count; i++) {
    const rdns = [];
    const n = 1 + Math.floor(next() * 4);
    for (let r = 0; r < n; r++) {
      // Most subjects start with a CN, as client certificates do.
      const type = r === 0 && next() < 0.6 ? "CN" : pick(types);
      let value = "";
      const length = Math.floor(next() * 5);
      for (let k = 0; k < length; k++) value += pick(chars);
      rdns.push(`${type}=${value}`);
    }
    out.push(rdns.join(","));
  }
  return out;
}

/** A random pattern of the supported subset (nothing repeated that can match empty) and a replacement for it. */
function randomRule(next) {
  const pick = (list) => list[Math.floor(next() * list.length)];
  let groups = 0;
  // Returns [pattern text, nullable].
  const atom = (depth) => {
    const r = next();
    if (r < 0.3) return [pick(["a", "b", "c", "A", "x", "1", " ", "\\.", "-", "\\,", "é", "=", ","]), false];
    if (r < 0.45) return [".", false];
    if (r < 0.65) return [pick(["[a-z]", "[^,]", "[A-Za-z0-9]", "[Cc]", "\\w", "\\d", "\\s", "[^a-c]", "[.\\-_]", "\\W"]), false];
    if (depth < 2) {
      const capture = next() < 0.7;
      if (capture) groups++;
      const [a, an] = sequence(depth + 1);
      let body = a;
      let nullable = an;
      if (next() < 0.3) {
        const [b, bn] = sequence(depth + 1);
        body = `${a}|${b}`;
        nullable = an || bn;
      }
      return [capture ? `(${body})` : `(?:${body})`, nullable];
    }
    return [pick(["a", "b", ","]), false];
  };
  const quantified = (depth) => {
    const [text, nullable] = atom(depth);
    const r = next();
    if (r < 0.5) return [text, nullable];
    const lazy = next() < 0.35 ? "?" : "";
    if (nullable || r < 0.62) return [`${text}?${lazy}`, true];
    const q = pick(["*", "+", "{1,3}", "{2}", "{0,2}", "{1,}"]);
    return [`${text}${q}${lazy}`, q === "*" || q === "{0,2}" ? true : nullable];
  };
  const sequence = (depth) => {
    const n = 1 + Math.floor(next() * 3);
    let text = "";
    let nullable = true;
    for (let i = 0; i < n; i++) {
      const [t, tn] = quantified(depth);
      text += t;
      nullable = nullable && tn;
    }
    return [text, nullable];
  };
  const [body] = sequence(0);
  // Shapes of real rules (a type prefix, a value pattern, the rest) and bare ones.
  const prefix = pick(["^CN=", "^(?:CN|cn)=", "^[A-Za-z]+=", "^(\\w+)=", "^.*?=", "^", "", ".*"]);
  if (prefix === "^(\\w+)=") groups++;
  const suffix = pick(["(?:,.*)?$", ".*", "$", ",.*$", "(,.*|$)", ""]);
  if (suffix === "(,.*|$)") groups++;
  const pattern = `${next() < 0.15 ? "(?i)" : ""}${prefix}${body}${suffix}`;
  let replacement = "";
  const parts = 1 + Math.floor(next() * 3);
  for (let i = 0; i < parts; i++) {
    const r = next();
    if (r < 0.6 && groups > 0) replacement += `$${1 + Math.floor(next() * groups)}`;
    else if (r < 0.7) replacement += "$0";
    else replacement += pick(["x", "@", "-", "\\$", "\\\\", ":"]);
  }
  const flag = pick(["", "", "L", "U"]);
  return `RULE:${pattern}/${replacement}/${flag}, DEFAULT`;
}

const RANDOM_RULES = [];
const RANDOM_SUBJECTS = [];
{
  // PRINCIPAL_MAPPING_SEED explores other random cases; the default keeps runs repeatable.
  const next = random(Number(process.env.PRINCIPAL_MAPPING_SEED ?? 0x4b414641));
  for (let i = 0; i < 120; i++) RANDOM_RULES.push(randomRule(next));
  RANDOM_SUBJECTS.push(...randomSubjects(next, 60));
}

const b64 = (text) => Buffer.from(text, "utf8").toString("base64");
const unb64 = (text) => Buffer.from(text, "base64").toString("utf8");

/** Kafka's answers: for each rule list { ok, error, names: [{ name } | { nomatch } | { error }] } per subject. */
function kafkaAnswers(cases) {
  let input = "";
  for (const { rules, subjects } of cases) {
    input += `R ${b64(rules)}\n`;
    for (const subject of subjects) input += `D ${b64(subject)}\n`;
  }
  const run = spawnSync("java", ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", javaClientClasspath(), "PrincipalMapperReferee"],
    { input, encoding: "utf8", maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`PrincipalMapperReferee failed (exit ${run.status}):\n${run.stderr}`);
  const lines = run.stdout.trim().split("\n");
  const answers = [];
  let at = 0;
  for (const { subjects } of cases) {
    const [kind, verdict, message] = lines[at++].split(" ");
    assert.equal(kind, "R");
    const answer = { ok: verdict === "ok", error: message ? unb64(message) : "", names: [] };
    for (let i = 0; i < subjects.length; i++) {
      const [k, what, value] = lines[at++].split(" ");
      assert.equal(k, "D");
      answer.names.push(what === "name" ? { name: unb64(value) } : what === "nomatch" ? { nomatch: true } : { error: value });
    }
    answers.push(answer);
  }
  assert.equal(at, lines.length, "one answer per line");
  return answers;
}

/** Envoy's RFC 2253 text for a subject in Java's form: bytes above 0x7F as \XX (subject.ts undoes it). */
function envoySubject(subject) {
  let out = "";
  for (const ch of subject) {
    if (ch.codePointAt(0) < 0x80) { out += ch; continue; }
    for (const byte of Buffer.from(ch, "utf8")) out += `\\${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * The filter's answers for one rule list: { refused: message } when the configuration is
 * refused, else per subject { name } (the audit line's principal without "User:") or
 * { nomatch, log } (the connection was closed before its request reached the broker).
 */
function filterAnswers(rules, subjects) {
  const logs = [];
  const host = new ProxyWasmHost(compiledFilter(), {
    config: {
      stat_prefix: STAT_PREFIX,
      acl: { default: "deny", principal_sources: ["tls_subject"], tls_principal_mapping_rules: rules, rules: [] },
    },
    keepLogs: LogLevel.Info,
    onLog: (level, message) => logs.push(message),
  });
  try {
    host.start();
  } catch (error) {
    return { refused: logs.find((line) => line.includes("tls_principal_mapping_rules")) ?? String(error.message) };
  }
  const names = [];
  let id = 2;
  for (const subject of subjects) {
    logs.length = 0;
    const connection = host.openConnection(id, {
      properties: { "connection.subject_peer_certificate": envoySubject(subject), "source.address": "10.0.0.1:40000" },
    });
    host.downstreamData(id, metadataRequest({ correlationId: 7, topics: ["t"] }));
    if (connection.closed) {
      assert.equal(connection.sentUpstreamBytes, 0, `nothing of ${JSON.stringify(subject)} reached the broker`);
      names.push({ nomatch: true, log: logs.join("\n") });
    } else {
      const audit = logs.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
      assert.ok(audit.length > 0, `an audit line for ${JSON.stringify(subject)}: ${logs.join("\n")}`);
      assert.ok(audit[0].principal.startsWith("User:"));
      names.push({ name: loneSurrogatesAsJava(audit[0].principal.slice("User:".length)) });
    }
    host.closeConnection(id);
    id++;
  }
  assert.deepEqual(host.violations, []);
  const unmapped = names.filter((n) => n.nomatch).length;
  assert.equal(host.metric(UNMAPPED_STAT) ?? 0, unmapped, `${UNMAPPED_STAT} counts the closed connections`);
  return { names };
}

/**
 * A name with a lone surrogate (replaceAll can split a surrogate pair: after an empty
 * match Java's find() moves on by one UTF-16 unit, and so does the filter) reaches the
 * two sides' UTF-8 output differently: Java's encoder writes "?", the module's log line
 * the surrogate's 3-byte form, which Node decodes as three U+FFFD. Same name, either way.
 */
function loneSurrogatesAsJava(name) {
  return name.replace(/\uFFFD{3}/g, "?");
}

let answers;
const CASES = [
  ...SAME.map((rules) => ({ rules, subjects: SUBJECTS, kind: "same" })),
  ...RANDOM_RULES.map((rules) => ({ rules, subjects: [...SUBJECTS.slice(0, 12), ...RANDOM_SUBJECTS], kind: "same", random: true })),
  ...KAFKA_INVALID.map((rules) => ({ rules, subjects: [], kind: "invalid" })),
  ...KAFKA_THROWS.map((rules) => ({ rules, subjects: SUBJECTS, kind: "throws" })),
  ...UNSUPPORTED.map((rules) => ({ rules, subjects: SUBJECTS, kind: "unsupported" })),
];

before(() => {
  answers = kafkaAnswers(CASES);
});

function check(kind) {
  let subjects = 0;
  let randomRuleApplied = 0;
  let randomSubjects = 0;
  for (const [i, c] of CASES.entries()) {
    if (c.kind !== kind) continue;
    const kafka = answers[i];
    const ours = filterAnswers(c.rules, c.subjects);
    const label = JSON.stringify(c.rules);
    if (kind === "invalid") {
      assert.equal(kafka.ok, false, `Kafka refuses ${label}`);
      assert.ok(ours.refused, `the filter refuses ${label}`);
      continue;
    }
    assert.equal(kafka.ok, true, `Kafka reads ${label}: ${kafka.error}`);
    if (kind === "throws") {
      assert.ok(kafka.names.some((n) => n.error), `Kafka throws mapping some subject with ${label}`);
      assert.ok(ours.refused, `the filter refuses ${label}`);
      assert.match(ours.refused, /replacement/, ours.refused);
      continue;
    }
    assert.deepEqual(kafka.names.filter((n) => n.error), [], `Kafka maps every subject with ${label}`);
    if (kind === "unsupported") {
      assert.ok(ours.refused, `the filter refuses ${label}`);
      assert.match(ours.refused, /pattern at character \d+/, ours.refused);
      continue;
    }
    assert.equal(ours.refused, undefined, `the filter accepts ${label}: ${ours.refused}`);
    for (const [k, subject] of c.subjects.entries()) {
      const expected = kafka.names[k];
      const got = ours.names[k];
      const where = `${label} on ${JSON.stringify(subject)}`;
      if (expected.nomatch) {
        assert.equal(got.nomatch, true, `${where}: Kafka finds no rule, the filter named ${JSON.stringify(got.name)}`);
        assert.match(got.log, /matches no rule of acl\.tls_principal_mapping_rules/, `${where}: ${got.log}`);
      } else {
        assert.equal(got.name, expected.name, `${where}: Kafka gives ${JSON.stringify(expected.name)}${got.nomatch ? `, the filter closed: ${got.log}` : ""}`);
      }
      subjects++;
      if (c.random) {
        randomSubjects++;
        if (expected.name !== subject) randomRuleApplied++;
      }
    }
  }
  if (kind === "same") {
    // The random rules end in DEFAULT; their own RULE must decide a fair share of subjects
    // for the comparison to test the matcher rather than DEFAULT.
    assert.ok(randomRuleApplied >= randomSubjects / 12, `random rules mapped ${randomRuleApplied} of ${randomSubjects} subjects themselves`);
    console.log(`compared ${subjects} subjects; random rules mapped ${randomRuleApplied} of ${randomSubjects} themselves`);
  }
  return subjects;
}

test("rule lists from Kafka's tests and docs, and its quirks, map every subject as Kafka's SslPrincipalMapper does", () => {
  requireReferee();
  const compared = check("same");
  assert.ok(compared >= (SAME.length + RANDOM_RULES.length) * 40, `compared ${compared} subjects`);
});

test("rule lists Kafka refuses are refused at load time", () => { check("invalid"); });
test("rule lists whose replacement makes Kafka throw are refused at load time", () => { check("throws"); });
test("patterns outside the supported subset (which Kafka accepts) are refused at load time, naming the position", () => { check("unsupported"); });

function requireReferee() {
  assert.equal(answers.length, CASES.length);
}
