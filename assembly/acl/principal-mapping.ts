// Kafka's ssl.principal.mapping.rules (KIP-371): the short name a TLS client's
// certificate subject becomes, as the broker's org.apache.kafka.common.security.ssl.
// SslPrincipalMapper computes it. The rule text is the broker property's, so a property
// can be pasted as it is:
//
//   RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, RULE:^CN=(.*?),OU=(.*?),O=.*$/$1@$2/, DEFAULT
//
// What Kafka does, and so what this module does:
//  - The text is trimmed, then read as a comma-separated list; whitespace around commas
//    and empty entries are skipped. A rule is DEFAULT (the subject as it is) or
//    RULE:<pattern>/<replacement>/ with an optional L or U (lower/upper-case the result,
//    Locale.ENGLISH). "\" escapes the next character in pattern and replacement (so
//    "\/" is a slash) and stays in the text handed to the regex. A rule's pattern may hold
//    commas; the list is only cut after a rule's closing "/" (and its L or U). Anything
//    else in the list is an invalid rule.
//  - Rules are tried in order; the first whose pattern matches the WHOLE subject
//    (Matcher.matches()) gives the name: subject.replaceAll(pattern, replacement), which
//    replaces every match find() sees, so a pattern that is not anchored with ^...$ can
//    replace more than once (".*" on "abc" gives the replacement twice, as Java does).
//  - In the replacement, "$n" is group n and "\x" is x (Matcher.appendReplacement). Before
//    that, Kafka escapes "$n" whose n names no group (taking "$12" as "$1" then "2" while
//    12 is more than the group count), with positions taken from the unescaped text; this
//    is reproduced exactly, quirks included.
//  - No rule matches: Kafka fails the authentication (SslPrincipalMapper.NoMatchingRule).
//
// Where this module is stricter than Kafka (refused when the configuration loads, with the
// rule and position): patterns outside the supported regex subset (regex.ts); a
// replacement Java would throw on for every subject the rule matches ("$" not followed by
// a group number, "${name}", a group the pattern lacks, a trailing "\"); a rule list with
// no rules (Kafka would refuse every certificate); text Kafka's list splitter would skip
// silently (a rule ended by a line break but no comma).
import { MatchResult, Regex, StepBudget, compileRegex } from "./regex";

/** Most rules in one list. */
export const MAX_MAPPING_RULES: i32 = 1000;
/**
 * Regex steps one subject's mapping may take over all its rules (a step is one
 * instruction of the backtracking matcher). Far above what the rules in Kafka's
 * documentation take on real subjects (a few thousand); a mapping that runs out fails as
 * if no rule matched.
 */
export const MAPPING_STEP_BUDGET: i64 = 1000000;

/** One part of a parsed replacement: literal text, or a group's text. */
class ReplacementPart {
  constructor(readonly literal: string, readonly group: i32) {}
}

/** One rule: DEFAULT, or a pattern, a replacement and an optional case change. */
export class PrincipalMappingRule {
  constructor(
    /** The rule as written in the list (for messages). */
    readonly text: string,
    /** Null for DEFAULT. */
    readonly regex: Regex | null,
    private readonly replacement: ReplacementPart[],
    readonly toLowerCase: bool,
    readonly toUpperCase: bool,
  ) {}

  /**
   * The name this rule gives `subject`, null when the rule does not match; `budget`
   * bounds the work (when it runs out, null with budget.exhausted set).
   */
  apply(subject: string, budget: StepBudget): string | null {
    const regex = this.regex;
    if (regex == null) return subject;
    if (regex.matches(subject, budget) != MatchResult.Matched) return null;
    // Matcher.replaceAll: each find() continues where the last match ended, one further
    // after an empty match; text between matches is copied.
    let out = "";
    let copied = 0;
    let from = 0;
    const length = subject.length;
    while (from <= length) {
      const found = regex.find(subject, from, budget);
      if (found == MatchResult.GaveUp) return null;
      if (found == MatchResult.NoMatch) break;
      const start = regex.start(0);
      const end = regex.end(0);
      out += subject.substring(copied, start);
      out += this.expand(subject, regex);
      copied = end;
      from = end == start ? end + 1 : end;
    }
    out += subject.substring(copied);
    if (this.toLowerCase) return lowerCaseEnglish(out);
    if (this.toUpperCase) return out.toUpperCase();
    return out;
  }

  private expand(subject: string, regex: Regex): string {
    let out = "";
    const parts = this.replacement;
    for (let i = 0; i < parts.length; i++) {
      const part = unchecked(parts[i]);
      if (part.group < 0) { out += part.literal; continue; }
      const start = regex.start(part.group);
      const end = regex.end(part.group);
      if (start >= 0 && end >= 0) out += subject.substring(start, end);
    }
    return out;
  }
}

const CAPITAL_SIGMA: i32 = 0x03a3;

/**
 * String.toLowerCase(Locale.ENGLISH). AssemblyScript's toLowerCase agrees except on a
 * capital sigma: Java writes the final form (ς) when a cased letter comes before it in
 * its word and none after it (ConditionalSpecialCasing, words as BreakIterator cuts
 * them); AssemblyScript's check looks past the word. Here a word is a run of cased
 * characters and digits, which agrees with Java on plain words; next to "_", "-", "'"
 * or "." Java's word boundaries can differ (README, "Principal mapping rules").
 */
function lowerCaseEnglish(text: string): string {
  if (text.indexOf(String.fromCharCode(CAPITAL_SIGMA)) < 0) return text.toLowerCase();
  let out = "";
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) != CAPITAL_SIGMA) continue;
    out += text.substring(start, i).toLowerCase();
    out += isFinalSigma(text, i) ? "\u03c2" : "\u03c3";
    start = i + 1;
  }
  return out + text.substring(start).toLowerCase();
}

function isFinalSigma(text: string, at: i32): bool {
  let casedBefore = false;
  for (let i = at - 1; i >= 0 && isWordChar(text, i); i--) {
    if (isCased(text.charAt(i))) { casedBefore = true; break; }
  }
  if (!casedBefore) return false;
  for (let i = at + 1; i < text.length && isWordChar(text, i); i++) {
    if (isCased(text.charAt(i))) return false;
  }
  return true;
}

function isWordChar(text: string, i: i32): bool {
  const c = text.charCodeAt(i);
  return (c >= 0x30 && c <= 0x39) || isCased(text.charAt(i));
}

/** Whether a character has case (its lower and upper forms differ). */
function isCased(c: string): bool {
  return c.toLowerCase() != c.toUpperCase();
}

/** What mapping a subject came to. */
export const enum MappingResult {
  Mapped = 0,
  /** No rule matched: Kafka refuses the certificate. */
  NoMatch = 1,
  /** A rule's match ran out of steps (MAPPING_STEP_BUDGET); treated as no match. */
  GaveUp = 2,
}

/** A parsed rule list; `map` gives a subject's short name as Kafka's SslPrincipalMapper.getName does. */
export class PrincipalMapping {
  /** After Mapped: the short name. */
  name: string = "";
  /** After GaveUp: the index of the rule that ran out of steps. */
  gaveUpRule: i32 = -1;

  constructor(readonly rules: PrincipalMappingRule[]) {}

  /** Maps `subject` (Java's RFC 2253 form, subject.ts) with the first rule that matches it. */
  map(subject: string): MappingResult {
    const budget = new StepBudget(MAPPING_STEP_BUDGET);
    for (let i = 0; i < this.rules.length; i++) {
      const name = this.rules[i].apply(subject, budget);
      if (budget.exhausted) {
        this.gaveUpRule = i;
        return MappingResult.GaveUp;
      }
      if (name != null) {
        this.name = name;
        return MappingResult.Mapped;
      }
    }
    return MappingResult.NoMatch;
  }
}

/** A rule list parsed, or why it was refused. */
export class PrincipalMappingParse {
  mapping: PrincipalMapping | null = null;
  /** "rule <n> (`<rule>`): <why>" or "at character <n>: <why>", n counted from 0. */
  error: string = "";
}

function isJavaSpace(c: i32): bool {
  // \s in java.util.regex: [ \t\n\x0B\f\r]
  return c == 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isLineTerminator(c: i32): bool {
  return c == 0x0a || c == 0x0d || c == 0x85 || c == 0x2028 || c == 0x2029;
}

/** String.trim(): drops characters up to U+0020 at both ends. */
function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.substring(start, end);
}

/**
 * The end of an escaped-or-plain run (pattern or replacement) starting at `i`: characters
 * other than "\" and "/", or "\" with the character after it (not a line terminator).
 */
function scanPart(text: string, i: i32): i32 {
  const length = text.length;
  while (i < length) {
    const c = <i32>text.charCodeAt(i);
    if (c == 0x2f) break; // '/'
    if (c == 0x5c) {
      if (i + 1 >= length || isLineTerminator(<i32>text.charCodeAt(i + 1))) break;
      i += 2;
      continue;
    }
    i++;
  }
  return i;
}

/**
 * Where the list continues after an entry ending at `end`: skips whitespace, then needs
 * a comma (whitespace after it skipped too) or the end of the text. -1 when neither.
 */
function afterSeparator(text: string, end: i32): i32 {
  const length = text.length;
  let i = end;
  while (i < length && isJavaSpace(<i32>text.charCodeAt(i))) i++;
  if (i == length) return i;
  if (text.charCodeAt(i) != 0x2c) return -1;
  i++;
  while (i < length && isJavaSpace(<i32>text.charCodeAt(i))) i++;
  return i;
}

/**
 * The shortest extension of an entry from `from` (not across a line terminator) that a
 * separator follows: the entry's end, or -1 when the line ends without a comma.
 */
function entryEnd(text: string, from: i32): i32 {
  const length = text.length;
  for (let i = from; i <= length; i++) {
    if (afterSeparator(text, i) >= 0) return i;
    if (i < length && isLineTerminator(<i32>text.charCodeAt(i))) return -1;
  }
  return -1;
}

/**
 * Parses a rule list in the syntax of Kafka's ssl.principal.mapping.rules broker
 * property ("RULE:<pattern>/<replacement>/[LU], ..., DEFAULT"), as
 * SslPrincipalMapper.fromRules reads it. Errors name the rule (counted from 0 among the
 * list's non-empty entries) or the character position.
 */
export function parsePrincipalMappingRules(text: string): PrincipalMappingParse {
  const result = new PrincipalMappingParse();
  const trimmed = javaTrim(text);
  const length = trimmed.length;
  // Where `trimmed` starts in `text`, for positions in messages.
  let offset = 0;
  while (offset < text.length && text.charCodeAt(offset) <= 0x20) offset++;
  const rules: PrincipalMappingRule[] = [];
  let pos = 0;
  while (pos < length) {
    let start = pos;
    while (start < length && isJavaSpace(<i32>trimmed.charCodeAt(start))) start++;
    const index = rules.length;
    // A rule, then (after the shortest text that reaches one) a separator.
    let end = -1;
    let ruleEnd = -1;
    if (trimmed.startsWith("RULE:", start)) {
      const patternEnd = scanPart(trimmed, start + 5);
      if (patternEnd < length && trimmed.charCodeAt(patternEnd) == 0x2f) {
        const replacementEnd = scanPart(trimmed, patternEnd + 1);
        if (replacementEnd < length && trimmed.charCodeAt(replacementEnd) == 0x2f) {
          ruleEnd = replacementEnd + 1;
          if (ruleEnd < length && (trimmed.charCodeAt(ruleEnd) == 0x4c || trimmed.charCodeAt(ruleEnd) == 0x55)) ruleEnd++;
          end = entryEnd(trimmed, ruleEnd);
        }
      }
    }
    if (end < 0) end = entryEnd(trimmed, start);
    if (end < 0) {
      result.error = "at character " + (offset + start).toString() +
        ": a rule must be followed by a comma or the end (a line break alone does not separate rules; Kafka would skip text here)";
      return result;
    }
    const entry = trimmed.substring(start, end);
    if (entry.length > 0) {
      if (rules.length >= MAX_MAPPING_RULES) {
        result.error = "more than " + MAX_MAPPING_RULES.toString() + " rules";
        return result;
      }
      const rule = parseRule(entry, index, result);
      if (rule == null) return result;
      rules.push(rule);
    }
    pos = afterSeparator(trimmed, end);
    if (end == length) break;
  }
  return finish(rules, result);
}

/**
 * Parses a list given as one rule per element (each "DEFAULT" or
 * "RULE:<pattern>/<replacement>/[LU]", surrounding whitespace ignored); errors name the
 * element's index.
 */
export function parsePrincipalMappingRuleList(items: string[]): PrincipalMappingParse {
  const result = new PrincipalMappingParse();
  if (items.length > MAX_MAPPING_RULES) {
    result.error = "more than " + MAX_MAPPING_RULES.toString() + " rules";
    return result;
  }
  const rules: PrincipalMappingRule[] = [];
  for (let i = 0; i < items.length; i++) {
    const rule = parseRule(javaTrim(items[i]), i, result);
    if (rule == null) return result;
    rules.push(rule);
  }
  return finish(rules, result);
}

function finish(rules: PrincipalMappingRule[], result: PrincipalMappingParse): PrincipalMappingParse {
  if (rules.length == 0) {
    result.error = "no rules (Kafka would refuse every certificate); leave the field out for the subject as it is (DEFAULT)";
    return result;
  }
  result.mapping = new PrincipalMapping(rules);
  return result;
}

function ruleError(result: PrincipalMappingParse, index: i32, rule: string, message: string): PrincipalMappingRule | null {
  result.error = "rule " + index.toString() + " (`" + rule + "`): " + message;
  return null;
}

/** One rule's text: DEFAULT or RULE:<pattern>/<replacement>/[LU], nothing after. */
function parseRule(rule: string, index: i32, result: PrincipalMappingParse): PrincipalMappingRule | null {
  if (rule == "DEFAULT") return new PrincipalMappingRule(rule, null, [], false, false);
  if (!rule.startsWith("RULE:")) return ruleError(result, index, rule, "must be DEFAULT or RULE:<pattern>/<replacement>/ with an optional L or U");
  const length = rule.length;
  const patternEnd = scanPart(rule, 5);
  if (patternEnd >= length || rule.charCodeAt(patternEnd) != 0x2f) {
    return ruleError(result, index, rule, "no \"/\" after the pattern (RULE:<pattern>/<replacement>/)");
  }
  const replacementEnd = scanPart(rule, patternEnd + 1);
  if (replacementEnd >= length || rule.charCodeAt(replacementEnd) != 0x2f) {
    return ruleError(result, index, rule, "no \"/\" after the replacement (RULE:<pattern>/<replacement>/)");
  }
  let end = replacementEnd + 1;
  let lower = false;
  let upper = false;
  if (end < length && rule.charCodeAt(end) == 0x4c) { lower = true; end++; }
  else if (end < length && rule.charCodeAt(end) == 0x55) { upper = true; end++; }
  if (end != length) return ruleError(result, index, rule, "unexpected text after the rule: `" + rule.substring(end) + "`");

  const pattern = rule.substring(5, patternEnd);
  const compiled = compileRegex(pattern);
  const regex = compiled.regex;
  if (regex == null) {
    return ruleError(result, index, rule, "pattern at character " + (5 + compiled.position).toString() + ": " + compiled.error);
  }
  const escaped = escapeLiteralBackReferences(rule.substring(patternEnd + 1, replacementEnd), regex.groupCount);
  if (escaped == null) return ruleError(result, index, rule, "replacement: a group number too large for Java (Kafka would fail every match)");
  const parts: ReplacementPart[] = [];
  const problem = parseReplacement(escaped, regex.groupCount, parts);
  if (problem != null) return ruleError(result, index, rule, "replacement: " + problem + " (Kafka would fail every subject this rule matches)");
  return new PrincipalMappingRule(rule, regex, parts, lower, upper);
}

/**
 * Kafka's escaping of "$n" that names no group (SslPrincipalMapper, taken from Apache
 * NiFi): for each "$<digits>" in the original text, unless the digits start with "0",
 * drop trailing digits while the number exceeds the group count and has two or more
 * digits; if it still exceeds the count, put a "\" before the "$", at the position the
 * "$" had in the original text (so after a first insertion later ones land one character
 * early, as in Kafka). Nothing changes when the pattern has no groups. Null when Java
 * could not read the digits as an int (NumberFormatException).
 */
function escapeLiteralBackReferences(replacement: string, groupCount: i32): string | null {
  if (groupCount == 0) return replacement;
  let value = replacement;
  const length = replacement.length;
  let i = 0;
  while (i < length) {
    if (replacement.charCodeAt(i) != 0x24 || i + 1 >= length || !isAsciiDigit(<i32>replacement.charCodeAt(i + 1))) { i++; continue; }
    const digitsStart = i + 1;
    let j = digitsStart;
    while (j < length && isAsciiDigit(<i32>replacement.charCodeAt(j))) j++;
    i = j;
    if (replacement.charCodeAt(digitsStart) == 0x30) continue;
    if (j - digitsStart > 10) return null;
    let number: i64 = 0;
    for (let k = digitsStart; k < j; k++) number = number * 10 + <i64>(replacement.charCodeAt(k) - 0x30);
    if (number > <i64>i32.MAX_VALUE) return null;
    let index = <i32>number;
    while (index > groupCount && index >= 10) index /= 10;
    if (index > groupCount) {
      value = value.substring(0, digitsStart - 1) + "\\" + value.substring(digitsStart - 1);
    }
  }
  return value;
}

function isAsciiDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Splits a replacement as Matcher.appendReplacement reads it: "\x" is x, "$" and one
 * digit is a group, more digits joining while the number stays within `groupCount`.
 * Returns the problem for which Java would throw, else null.
 */
function parseReplacement(replacement: string, groupCount: i32, parts: ReplacementPart[]): string | null {
  const length = replacement.length;
  let literal = "";
  let i = 0;
  while (i < length) {
    const c = <i32>replacement.charCodeAt(i);
    if (c == 0x5c) {
      if (i + 1 >= length) return "a trailing \"\\\" escapes nothing";
      literal += replacement.charAt(i + 1);
      i += 2;
      continue;
    }
    if (c != 0x24) {
      literal += replacement.charAt(i);
      i++;
      continue;
    }
    i++;
    if (i >= length) return "\"$\" at the end names no group";
    const first = <i32>replacement.charCodeAt(i);
    if (first == 0x7b) return "named groups (\"${name}\") are not supported";
    if (!isAsciiDigit(first)) return "\"$\" must be followed by a group number (write \"\\$\" for a dollar sign)";
    let group = first - 0x30;
    i++;
    while (i < length && isAsciiDigit(<i32>replacement.charCodeAt(i))) {
      const next = group * 10 + (<i32>replacement.charCodeAt(i) - 0x30);
      if (next > groupCount) break;
      group = next;
      i++;
    }
    if (group > groupCount) return "\"$" + group.toString() + "\" names a group the pattern does not have (" + groupCount.toString() + " groups)";
    if (literal.length > 0) { parts.push(new ReplacementPart(literal, -1)); literal = ""; }
    parts.push(new ReplacementPart("", group));
  }
  if (literal.length > 0) parts.push(new ReplacementPart(literal, -1));
  return null;
}
