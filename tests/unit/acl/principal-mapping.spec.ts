// Kafka's ssl.principal.mapping.rules (assembly/acl/principal-mapping.ts): the rule list
// parser and the mapping. The cases come from Kafka's own SslPrincipalMapperTest and
// its documentation; tests/fuzz/principal-mapping-referee.test.mjs compares many more
// with Kafka's SslPrincipalMapper itself.
import {
  MappingResult, PrincipalMapping, PrincipalMappingParse, parsePrincipalMappingRuleList, parsePrincipalMappingRules,
} from "../../../assembly/acl/principal-mapping";
import { ANONYMOUS, PrincipalResolver, PrincipalSource } from "../../../assembly/acl/principal";
import { FixedProperties } from "./helpers";

function rules(text: string): PrincipalMapping {
  const parsed = parsePrincipalMappingRules(text);
  if (parsed.mapping == null) throw new Error("rules " + text + " refused: " + parsed.error);
  return parsed.mapping!;
}

function error(text: string): string {
  return parsePrincipalMappingRules(text).error;
}

/** The rules of a list as Kafka's SslPrincipalMapper.toString() lists them (without its brackets). */
function listed(text: string): string {
  const parsed = parsePrincipalMappingRules(text);
  if (parsed.mapping == null) return "refused: " + parsed.error;
  const out: string[] = [];
  const list = parsed.mapping!.rules;
  for (let i = 0; i < list.length; i++) out.push(list[i].text);
  return out.join(" | ");
}

/** The short name `subject` gets, "<no match>" or "<gave up>". */
function mapped(mapping: PrincipalMapping, subject: string): string {
  const result = mapping.map(subject);
  if (result == MappingResult.NoMatch) return "<no match>";
  if (result == MappingResult.GaveUp) return "<gave up at rule " + mapping.gaveUpRule.toString() + ">";
  return mapping.name;
}

describe("rule lists", () => {
  it("accept what Kafka's SslPrincipalMapperTest calls valid", () => {
    const valid = [
      "DEFAULT",
      "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/",
      "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT",
      "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/",
      "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L",
      "RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U",
      "RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/",
      "RULE:^CN=([^,DEFAULT,]+)(,.*|$)/$1/",
    ];
    for (let i = 0; i < valid.length; i++) expect(parsePrincipalMappingRules(valid[i]).error).toBe("", valid[i]);
  });
  it("refuse what Kafka's SslPrincipalMapperTest calls invalid, naming the rule", () => {
    const invalid = [
      "default", "DEFAUL", "DEFAULT/L", "DEFAULT/U",
      "RULE:CN=(.*?),OU=ServiceUsers.*/$1",
      "rule:^CN=(.*?),OU=ServiceUsers.*$/$1/",
      "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U",
      "RULE:^CN=(.*?),OU=ServiceUsers.*$/L",
      "RULE:^CN=(.*?),OU=ServiceUsers.*$/U",
      "RULE:^CN=(.*?),OU=ServiceUsers.*$/LU",
    ];
    for (let i = 0; i < invalid.length; i++) expect(error(invalid[i]).startsWith("rule 0 (`")).toBe(true, invalid[i] + " => " + error(invalid[i]));
    expect(error("default")).toBe("rule 0 (`default`): must be DEFAULT or RULE:<pattern>/<replacement>/ with an optional L or U");
    expect(error("RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/LU")).toBe("rule 0 (`RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/LU`): unexpected text after the rule: `U`");
    // The list is cut at the first comma where the rule syntax ends: here inside the pattern.
    expect(error("RULE:CN=(.*?),OU=ServiceUsers.*/$1"))
      .toBe("rule 0 (`RULE:CN=(.*?)`): no \"/\" after the pattern (RULE:<pattern>/<replacement>/)");
  });
  it("split as Kafka's testRulesSplitting shows", () => {
    expect(listed("DEFAULT")).toBe("DEFAULT");
    expect(listed("RULE://")).toBe("RULE://");
    expect(listed("RULE:/.*/")).toBe("RULE:/.*/");
    expect(listed("RULE:/.*/L")).toBe("RULE:/.*/L");
    expect(listed("RULE://,DEFAULT")).toBe("RULE:// | DEFAULT");
    expect(listed("  RULE:// ,  DEFAULT  ")).toBe("RULE:// | DEFAULT");
    expect(listed("  RULE:   /     / ,  DEFAULT  ")).toBe("RULE:   /     / | DEFAULT");
    expect(listed("  RULE:  /     /U   ,DEFAULT  ")).toBe("RULE:  /     /U | DEFAULT");
    expect(listed("  RULE:([A-Z]*)/$1/U   ,RULE:([a-z]+)/$1/,   DEFAULT  ")).toBe("RULE:([A-Z]*)/$1/U | RULE:([a-z]+)/$1/ | DEFAULT");
    expect(listed(",,RULE://,,,DEFAULT,,")).toBe("RULE:// | DEFAULT");
    expect(listed(",  , RULE: /   /    ,,,   DEFAULT, ,   ")).toBe("RULE: /   / | DEFAULT");
    expect(listed("     ,  , RULE:   /  /U    ,,  ,DEFAULT, ,")).toBe("RULE:   /  /U | DEFAULT");
    expect(listed("RULE:\\/\\\\\\(\\)\\n\\t/\\/\\//")).toBe("RULE:\\/\\\\\\(\\)\\n\\t/\\/\\//");
    // Commas inside patterns and replacements belong to the rule.
    expect(listed("RULE:^CN=(.*?),OU=(.*?)$/$1,$2/L,DEFAULT")).toBe("RULE:^CN=(.*?),OU=(.*?)$/$1,$2/L | DEFAULT");
    expect(listed("RULE:^CN=(.*?),OU=.*$/$1/,\n  RULE:^(.*)$/x$1/")).toBe("RULE:^CN=(.*?),OU=.*$/$1/ | RULE:^(.*)$/x$1/");
  });
  it("refuse lists Kafka would read as no rules, or skip text of", () => {
    expect(error("")).toBe("no rules (Kafka would refuse every certificate); leave the field out for the subject as it is (DEFAULT)");
    expect(error(" , ,, ")).toBe("no rules (Kafka would refuse every certificate); leave the field out for the subject as it is (DEFAULT)");
    expect(error("RULE:^a$/b/\nRULE:^(.*)$/$1/").startsWith("at character 0: a rule must be followed by a comma")).toBe(true, error("RULE:^a$/b/\nRULE:^(.*)$/$1/"));
  });
  it("refuse patterns outside the regex subset and replacements Java would throw on, with positions", () => {
    expect(error("DEFAULT, RULE:^CN=(?<cn>.*)$/$1/"))
      .toBe("rule 1 (`RULE:^CN=(?<cn>.*)$/$1/`): pattern at character 9: unsupported group construct \"(?\" (only \"(?:\", and \"(?i)\" at the start, are supported: no lookaround, named groups or other inline flags)");
    expect(error("RULE:^(.*)$/${x}/").includes("named groups")).toBe(true);
    expect(error("RULE:^(.*)$/$/").includes("\"$\" at the end")).toBe(true);
    expect(error("RULE:^(.*)$/a$b/").includes("must be followed by a group number")).toBe(true);
    expect(error("RULE:^(.*)$/a\\/").startsWith("rule 0 (`RULE:^(.*)$/a\\/`): no \"/\" after the replacement")).toBe(true);
    // Kafka leaves "$1" alone when the pattern has no group: Java then fails on it.
    expect(error("RULE:^a$/$1/").includes("\"$1\" names a group the pattern does not have (0 groups)")).toBe(true);
    // Kafka's escaping shifts after its first insertion: "$5$6" with one group ends up naming group 6.
    expect(error("RULE:^(a)$/$5$6/").includes("\"$6\" names a group")).toBe(true);
    expect(error("RULE:^(a)$/$99999999999/").includes("too large")).toBe(true);
  });
  it("take one rule per element in the array form", () => {
    const parsed = parsePrincipalMappingRuleList(["RULE:^CN=(.*?),OU=(.*?)$/$1,$2/", " DEFAULT "]);
    expect(parsed.error).toBe("");
    expect(parsed.mapping!.rules.length).toBe(2);
    expect(parsePrincipalMappingRuleList(["DEFAULT", "RULE:x/y/, DEFAULT"]).error).toBe("rule 1 (`RULE:x/y/, DEFAULT`): unexpected text after the rule: `, DEFAULT`");
    expect(parsePrincipalMappingRuleList([]).error.startsWith("no rules")).toBe(true);
  });
});

describe("mapping", () => {
  it("maps as Kafka's testSslPrincipalMapper expects", () => {
    const mapping = rules("RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L, " +
      "RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U, RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U, DEFAULT");
    expect(mapped(mapping, "CN=Duke,OU=ServiceUsers,O=Org,C=US")).toBe("duke");
    expect(mapped(mapping, "CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US")).toBe("duke@sme");
    expect(mapped(mapping, "cn=duke,ou=sme,dc=mycp,dc=com")).toBe("DUKE@SME");
    expect(mapped(mapping, "cN=duke,OU=JavaSoft,O=Sun Microsystems")).toBe("DUKE");
    expect(mapped(mapping, "OU=JavaSoft,O=Sun Microsystems,C=US")).toBe("OU=JavaSoft,O=Sun Microsystems,C=US");
  });
  it("reads an escaped comma in a subject as Kafka's testCommaWithWhitespace does", () => {
    expect(mapped(rules("RULE:^CN=((\\\\, *|\\w)+)(,.*|$)/$1/,DEFAULT"), "CN=Tkac\\, Adam,OU=ITZ,DC=geodis,DC=cz")).toBe("Tkac\\, Adam");
  });
  it("fails when no rule matches, and replaces every match of an unanchored pattern as replaceAll does", () => {
    expect(mapped(rules("RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/"), "CN=bob,OU=ops,O=Example")).toBe("<no match>");
    expect(mapped(rules("RULE:.*/x/"), "abc")).toBe("xx");
    expect(mapped(rules("RULE:(.*?)/x$1/"), "abc")).toBe("xaxbxcx");
    expect(mapped(rules("RULE:^(.*)$/$1\\$\\\\/"), "abc")).toBe("abc$\\");
    expect(mapped(rules("RULE:^(a)(b)?$/[$2]$12/"), "a")).toBe("[]a2");
    expect(mapped(rules("RULE:^(.*)$/$0!/"), "abc")).toBe("abc!");
    expect(mapped(rules("RULE:^CN=(.*)$//"), "CN=x")).toBe("");
  });
  it("changes case as Java does with Locale.ENGLISH", () => {
    expect(mapped(rules("RULE:^(.*)$/$1/U"), "straße")).toBe("STRASSE");
    expect(mapped(rules("RULE:^(.*)$/$1/L"), "ΣΑΣ")).toBe("σας");
  });
  it("gives up, as no match, when a rule runs out of steps", () => {
    const mapping = rules("RULE:^CN=x$/y/, RULE:^.*b$/x/, DEFAULT");
    expect(mapped(mapping, "a".repeat(1100000))).toBe("<gave up at rule 1>");
    expect(mapped(mapping, "aab")).toBe("x");
  });
});

function subjectProperties(subject: string): FixedProperties {
  return new FixedProperties().with("connection.subject_peer_certificate", subject).with("source.address", "10.1.2.3:40000");
}

function tlsOnly(): StaticArray<PrincipalSource> {
  const out = new StaticArray<PrincipalSource>(2);
  out[0] = PrincipalSource.TlsSubject;
  out[1] = PrincipalSource.SourceAddress;
  return out;
}

describe("the tls_subject source with mapping rules", () => {
  it("names the connection by the mapped name", () => {
    const resolver = new PrincipalResolver(tlsOnly(), [], rules("RULE:^CN=([^,]+),OU=eng,.*$/$1/L"));
    expect(resolver.readConnection(subjectProperties("CN=Alice,OU=eng,O=Example"))).toBe(true);
    expect(resolver.principal).toBe("User:alice");
    expect(resolver.unmappedSubject == null).toBe(true);
  });
  it("maps Kafka's form of Envoy's subject (multi-valued RDNs reordered, UTF-8 decoded)", () => {
    const resolver = new PrincipalResolver(tlsOnly(), [], rules("RULE:^CN=(.*),OU=eng\\+UID=42,O=Example$/$1/"));
    resolver.readConnection(subjectProperties("CN=Zo\\C3\\AB,UID=42+OU=eng,O=Example"));
    expect(resolver.principal).toBe("User:Zoë");
  });
  it("leaves the source without a value and records the subject when no rule matches", () => {
    const resolver = new PrincipalResolver(tlsOnly(), [], rules("RULE:^CN=([^,]+),OU=eng,.*$/$1/L"));
    expect(resolver.readConnection(subjectProperties("CN=bob,OU=ops,O=Example"))).toBe(false);
    expect(resolver.principal).toBe(ANONYMOUS);
    expect(resolver.unmappedSubject!).toBe("CN=bob,OU=ops,O=Example");
    expect(resolver.unmappedGaveUpRule).toBe(-1);
  });
  it("maps nothing without a certificate", () => {
    const resolver = new PrincipalResolver(tlsOnly(), [], rules("RULE:^CN=([^,]+),OU=eng,.*$/$1/L"));
    expect(resolver.readConnection(subjectProperties(""))).toBe(false);
    expect(resolver.unmappedSubject == null).toBe(true);
  });
});
