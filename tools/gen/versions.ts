// Kafka version ranges: "3", "1-4", "2+", "none".

/** Inclusive range; `hi` is OPEN for "N+"; an empty range has lo > hi. */
export interface VersionRange {
  lo: number;
  hi: number;
}

export const OPEN = 0x7fff;
export const NO_VERSIONS: VersionRange = { lo: 1, hi: 0 };

export function parseVersions(spec: string | undefined, fallback: VersionRange = NO_VERSIONS): VersionRange {
  if (spec === undefined) return fallback;
  const s = spec.trim();
  if (s === "none") return NO_VERSIONS;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: OPEN };
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) };
  m = /^(\d+)$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  throw new Error(`bad version range "${spec}"`);
}

export function isEmpty(r: VersionRange): boolean {
  return r.lo > r.hi;
}

export function contains(r: VersionRange, v: number): boolean {
  return v >= r.lo && v <= r.hi;
}

/** `r` restricted to `within`. */
export function intersect(r: VersionRange, within: VersionRange): VersionRange {
  const lo = Math.max(r.lo, within.lo);
  const hi = Math.min(r.hi, within.hi);
  return lo > hi ? NO_VERSIONS : { lo, hi };
}

/** True when `r` covers every version of `within`. */
export function covers(r: VersionRange, within: VersionRange): boolean {
  return isEmpty(within) || (r.lo <= within.lo && r.hi >= within.hi);
}

/**
 * An AssemblyScript condition testing `variable` against `r`, simplified for the
 * versions the message can actually have (`within`): "true", "false", "v >= 3", ...
 */
export function versionCondition(r: VersionRange, within: VersionRange, variable = "version"): string {
  const eff = intersect(r, within);
  if (isEmpty(eff)) return "false";
  const needLo = eff.lo > within.lo;
  const needHi = eff.hi < within.hi;
  if (!needLo && !needHi) return "true";
  if (needLo && needHi) {
    return eff.lo === eff.hi ? `${variable} == ${eff.lo}` : `${variable} >= ${eff.lo} && ${variable} <= ${eff.hi}`;
  }
  return needLo ? `${variable} >= ${eff.lo}` : `${variable} <= ${eff.hi}`;
}

export function* each(r: VersionRange): Generator<number> {
  for (let v = r.lo; v <= r.hi; v++) yield v;
}
