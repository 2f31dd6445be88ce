// The java.util.regex subset behind ssl.principal.mapping.rules (assembly/acl/regex.ts).
// Expected results are java.util.regex's (Pattern.matches / Matcher.find); the
// differential suite tests/fuzz/principal-mapping-referee.test.mjs checks whole rules
// against Kafka itself.
import { MatchResult, Regex, StepBudget, compileRegex } from "../../../assembly/acl/regex";

function compiled(pattern: string): Regex {
  const result = compileRegex(pattern);
  if (result.regex == null) throw new Error("pattern " + pattern + " refused: " + result.error);
  return result.regex!;
}

function matches(pattern: string, text: string): bool {
  return compiled(pattern).matches(text, new StepBudget(1000000)) == MatchResult.Matched;
}

/** Group `group` of a whole-text match, "<none>" when it took no part, "<no match>" when the text does not match. */
function group(pattern: string, text: string, group: i32): string {
  const regex = compiled(pattern);
  if (regex.matches(text, new StepBudget(1000000)) != MatchResult.Matched) return "<no match>";
  if (regex.start(group) < 0) return "<none>";
  return text.substring(regex.start(group), regex.end(group));
}

function refusal(pattern: string): string {
  const result = compileRegex(pattern);
  return result.regex == null ? result.position.toString() + ": " + result.error : "";
}

describe("regex subset: matching", () => {
  it("matches literals, dots, anchors and escapes", () => {
    expect(matches("^CN=alice$", "CN=alice")).toBe(true);
    expect(matches("CN=alice", "CN=alicex")).toBe(false);
    expect(matches("a.c", "abc")).toBe(true);
    expect(matches("a.c", "a\nc")).toBe(false);
    expect(matches("a\\.c", "abc")).toBe(false);
    expect(matches("a\\.c", "a.c")).toBe(true);
    expect(matches("\\/\\\\\\(\\)", "/\\()")).toBe(true);
    expect(matches("\\t\\x41\\u00e9\\cA", "\tA\u00e9\u0001")).toBe(true);
    expect(matches("", "")).toBe(true);
    expect(matches("", "a")).toBe(false);
  });
  it("matches classes, ranges, negation and shorthands", () => {
    expect(matches("^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$", "cN=duke,OU=JavaSoft,O=Sun Microsystems")).toBe(true);
    expect(group("^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$", "cN=duke,OU=JavaSoft,O=Sun Microsystems", 1)).toBe("duke");
    expect(matches("[^,]+", "abc")).toBe(true);
    expect(matches("[^,]+", "a,c")).toBe(false);
    expect(matches("[-a]+", "-a-")).toBe(true);
    expect(matches("[a-]+", "-a-")).toBe(true);
    expect(matches("[\\d\\s]+", "1 2\t3")).toBe(true);
    expect(matches("\\w+", "a_Z9")).toBe(true);
    expect(matches("\\W", "-")).toBe(true);
    expect(matches("\\D\\S", "a-")).toBe(true);
    expect(matches("[^,ADEFLTU,]+", "bob")).toBe(true);
    expect(matches("[^,ADEFLTU,]+", "bAb")).toBe(false);
    expect(matches("[\\]\\[]+", "][")).toBe(true);
    expect(matches("^[\\s\\S]*$", "a\nb\u2028c")).toBe(true);
    expect(matches("^[\\D]+$", "ab")).toBe(true);
    expect(matches("^[\\D]+$", "a1")).toBe(false);
    expect(matches("^[^\\W]+$", "a_1")).toBe(true);
  });
  it("takes greedy and lazy quantifiers in Java's order", () => {
    expect(group("^CN=(.*?),OU=(.*)$", "CN=a,b,OU=c,OU=d", 1)).toBe("a,b");
    expect(group("^CN=(.*?),OU=(.*)$", "CN=a,b,OU=c,OU=d", 2)).toBe("c,OU=d");
    expect(group("^CN=(.*),OU=(.*)$", "CN=a,b,OU=c,OU=d", 1)).toBe("a,b,OU=c");
    expect(group("^(a+?)(a*)$", "aaa", 1)).toBe("a");
    expect(group("^(a{1,2})(a*)$", "aaa", 1)).toBe("aa");
    expect(group("^(a{1,2}?)(a*)$", "aaa", 1)).toBe("a");
    expect(group("^(a{2,})(a*)$", "aaaa", 2)).toBe("");
    expect(matches("a{3}", "aaa")).toBe(true);
    expect(matches("a{3}", "aa")).toBe(false);
    expect(group("^cn=(.?),ou=(.?)$", "cn=d,ou=s", 2)).toBe("s");
    expect(group("^cn=(.?),ou=(.?)$", "cn=,ou=s", 1)).toBe("");
  });
  it("tries alternatives in order and keeps a repeated group's last iteration", () => {
    expect(group("^(ab|a)(.*)$", "abc", 1)).toBe("ab");
    expect(group("^(a|ab)(c)$", "abc", 1)).toBe("ab");
    expect(group("^(?:(x)|(y))+$", "xy", 1)).toBe("x");
    expect(group("^(?:(x)|(y))+$", "xy", 2)).toBe("y");
    expect(group("^(x)?y$", "y", 1)).toBe("<none>");
    expect(group("^(a|b)+$", "abba", 1)).toBe("a");
  });
  it("folds ASCII case only, as Java's CASE_INSENSITIVE, with a leading (?i)", () => {
    expect(matches("(?i)^cn=([a-z]+),ou=eng$", "CN=Alice,OU=ENG")).toBe(true);
    expect(group("(?i)^cn=([a-z]+),ou=eng$", "CN=Alice,OU=ENG", 1)).toBe("Alice");
    expect(matches("(?i)[^a-c]", "B")).toBe(false);
    expect(matches("(?i)[A-C]x", "bX")).toBe(true);
    expect(matches("(?i)é", "É")).toBe(false);
    expect(matches("^cn=x$", "CN=x")).toBe(false);
    expect(matches("(?i)", "")).toBe(true);
  });
  it("puts $ at the end or before one final line terminator, as Java does", () => {
    expect(compiled("a$").find("a\n", 0, new StepBudget(1000)) == MatchResult.Matched).toBe(true);
    expect(compiled("a$").find("a\r\n", 0, new StepBudget(1000)) == MatchResult.Matched).toBe(true);
    expect(compiled("a$").find("a\nb", 0, new StepBudget(1000)) == MatchResult.Matched).toBe(false);
    expect(matches("a$", "a\n")).toBe(false);
    expect(matches("a$\\n", "a\n")).toBe(true);
  });
  it("treats a surrogate pair as one character for '.' and classes", () => {
    expect(matches("^(.)$", "\uD83D\uDE00")).toBe(true);
    expect(matches("^[^a]$", "\uD83D\uDE00")).toBe(true);
    expect(matches("^..$", "\uD83D\uDE00")).toBe(false);
  });
  it("finds the leftmost match from a position", () => {
    const regex = compiled("b+");
    const budget = new StepBudget(1000);
    expect(regex.find("abbcb", 0, budget)).toBe(MatchResult.Matched);
    expect(regex.start(0)).toBe(1);
    expect(regex.end(0)).toBe(3);
    expect(regex.find("abbcb", 3, budget)).toBe(MatchResult.Matched);
    expect(regex.start(0)).toBe(4);
    expect(regex.find("abbcb", 5, budget)).toBe(MatchResult.NoMatch);
    expect(compiled("^a").find("aa", 1, budget)).toBe(MatchResult.NoMatch);
  });
  it("stays linear where plain backtracking is exponential, with the same groups", () => {
    const slow = compiled("^(a|aa)+b$");
    const budget = new StepBudget(100000);
    expect(slow.matches("a".repeat(40), budget)).toBe(MatchResult.NoMatch);
    expect(slow.matches("a".repeat(39) + "b", budget)).toBe(MatchResult.Matched);
    expect(slow.start(1)).toBe(38);
    expect(budget.exhausted).toBe(false);
    expect(group("^(?:(a)|(aa))+(b?)$", "aaab", 2)).toBe("<none>");
    expect(group("^(?:(a)|(aa))+(b?)$", "aaab", 1)).toBe("a");
  });
  it("gives up, without trapping, when the step budget or the backtrack stack runs out", () => {
    const scan = compiled("^(?:a|b)*c$");
    const budget = new StepBudget(100000);
    expect(scan.matches("a".repeat(150000), budget)).toBe(MatchResult.GaveUp);
    expect(budget.exhausted).toBe(true);
    const deep = compiled("^(?:a|b)*$");
    const big = new StepBudget(100000000);
    expect(deep.matches("a".repeat(200000), big)).toBe(MatchResult.GaveUp);
    expect(big.exhausted).toBe(true);
    const fine = new StepBudget(100000);
    expect(scan.matches("abbac", fine)).toBe(MatchResult.Matched);
    expect(fine.exhausted).toBe(false);
  });
});

describe("regex subset: refusals name the construct and its position", () => {
  it("refuses what the subset leaves out", () => {
    expect(refusal("^CN=(?<name>.*)$")).toBe("4: unsupported group construct \"(?\" (only \"(?:\", and \"(?i)\" at the start, are supported: no lookaround, named groups or other inline flags)");
    expect(refusal("cn=(?i).*").includes("unsupported group construct")).toBe(true, refusal("cn=(?i).*"));
    expect(refusal("(?s)cn=.*").includes("unsupported group construct")).toBe(true, refusal("(?s)cn=.*"));
    expect(refusal("(?=a)").includes("unsupported group construct")).toBe(true, refusal("(?=a)"));
    expect(refusal("(a)\\1")).toBe("3: unsupported escape \"\\1\"");
    expect(refusal("\\bCN")).toBe("0: unsupported escape \"\\b\"");
    expect(refusal("\\p{L}")).toBe("0: unsupported escape \"\\p\"");
    expect(refusal("\\QCN\\E")).toBe("0: unsupported escape \"\\Q\"");
    expect(refusal("a*+")).toBe("2: possessive quantifiers are not supported");
    expect(refusal("[a[b]]").includes("nested classes")).toBe(true, refusal("[a[b]]"));
    expect(refusal("[a&&b]").includes("intersection")).toBe(true, refusal("[a&&b]"));
  });
  it("refuses what Java refuses too", () => {
    expect(refusal("*a").includes("nothing to repeat")).toBe(true, refusal("*a"));
    expect(refusal("a**").includes("cannot follow a quantifier")).toBe(true, refusal("a**"));
    expect(refusal("(a")).toBe("0: unclosed group");
    expect(refusal("a)")).toBe("1: unmatched ')'");
    expect(refusal("[ab")).toBe("0: unclosed character class");
    expect(refusal("[z-a]").includes("illegal character range")).toBe(true, refusal("[z-a]"));
    expect(refusal("a{").includes("quantifier")).toBe(true, refusal("a{"));
    expect(refusal("a{2,1}").includes("m < n")).toBe(true, refusal("a{2,1}"));
    expect(refusal("{a}").includes("must be escaped")).toBe(true, refusal("{a}"));
    expect(refusal("a\\")).toBe("1: trailing backslash");
    expect(refusal("\\xZZ").includes("hex digits")).toBe(true, refusal("\\xZZ"));
  });
  it("refuses repeating what can match nothing, and patterns too large", () => {
    expect(refusal("(a*)*").includes("must not match the empty string")).toBe(true, refusal("(a*)*"));
    expect(refusal("(a|)+").includes("must not match the empty string")).toBe(true, refusal("(a|)+"));
    expect(refusal("(^)*").includes("must not match the empty string")).toBe(true, refusal("(^)*"));
    expect(refusal("(a*)?")).toBe("");
    expect(refusal("a{1001}").includes("quantifier")).toBe(true, refusal("a{1001}"));
    expect(refusal("(?:a{1000}){1000}").includes("instructions")).toBe(true, refusal("(?:a{1000}){1000}"));
    expect(refusal("a".repeat(5000)).includes("longer than")).toBe(true, refusal("a".repeat(5000)));
    expect(refusal("(".repeat(65) + ")".repeat(65))).toBe("64: groups nested more than 64 deep");
    expect(refusal("(".repeat(64) + "a" + ")".repeat(64))).toBe("");
  });
});
