// Who a connection is: the principal ("User:<name>") its ACL decisions are made for,
// taken from the first source, in the configured order, that has produced a value.
//
// SASL tokens hold passwords. The readers here scan token bytes in place and copy
// only the user name out; the password never becomes a string and is never logged.
import { Cidr, IpAddress, parseSocketAddress } from "./address";
import { getPropertyString } from "../proxy/host";
import { kafkaSubjectName } from "./subject";
import { MappingResult, PrincipalMapping } from "./principal-mapping";

/** Kafka's KafkaPrincipal.USER_TYPE with its separator; every principal here is a user. */
export const PRINCIPAL_PREFIX = "User:";
/** The principal of a connection no source has named, as Kafka spells it. */
export const ANONYMOUS = "User:ANONYMOUS";
/** In a rule: every principal. */
export const ANY_PRINCIPAL = "User:*";

/** Where a principal can come from, as acl.principal_sources names them (PRINCIPAL_SOURCE_NAMES). */
export const enum PrincipalSource {
  /** The SASL/PLAIN or SCRAM user name, once the broker accepted the authentication. */
  Sasl = 0,
  /**
   * The TLS peer certificate's subject, as Kafka's default principal builder names it
   * (subject.ts), mapped by acl.tls_principal_mapping_rules when set (principal-mapping.ts).
   */
  TlsSubject = 1,
  /** The TLS peer certificate's first URI SAN, else its first DNS SAN. */
  TlsSan = 2,
  /** The client id of the connection's requests: chosen by the client, so not authentication. */
  ClientId = 3,
  /** The peer address, mapped to a principal by configured CIDR ranges. */
  SourceAddress = 4,
}
/** Members of PrincipalSource. */
export const PRINCIPAL_SOURCE_COUNT: i32 = 5;

/** The configuration spelling of each source, indexed by PrincipalSource. */
export const PRINCIPAL_SOURCE_NAMES: StaticArray<string> = ["sasl", "tls_subject", "tls_san", "client_id", "source_address"];

/**
 * The user name (authcid) of a SASL/PLAIN token: [authzid] NUL authcid NUL password.
 * Null unless the token has exactly two NULs and a non-empty authcid (Kafka refuses
 * the rest). An authzid different from the authcid makes Kafka refuse the login;
 * the authcid is still what the connection would be, so it is what this returns.
 */
export function saslPlainUsername(token: ArrayBuffer): string | null {
  return saslPlainUsernameAt(changetype<usize>(token), token.byteLength);
}

/** saslPlainUsername over `length` bytes at `ptr` (a token still in a frame buffer). */
export function saslPlainUsernameAt(ptr: usize, length: i32): string | null {
  if (length <= 0) return null;
  let first = -1;
  let second = -1;
  for (let i = 0; i < length; i++) {
    if (load<u8>(ptr + <usize>i) != 0) continue;
    if (first < 0) first = i;
    else if (second < 0) second = i;
    else return null;
  }
  if (second < 0) return null;
  const nameLength = second - first - 1;
  if (nameLength <= 0) return null;
  return String.UTF8.decodeUnsafe(ptr + <usize>(first + 1), <usize>nameLength);
}

/**
 * The user name of a SCRAM client-first-message (RFC 5802):
 * gs2-header ("n," | "y," | "p=<cb-name>,", then an optional "a=<authzid>", then ",")
 * followed by "n=<saslname>,r=<nonce>[,extensions]", optionally preceded by a reserved
 * "m=..." attribute. "=2C" and "=3D" in the name decode to "," and "="; any other "="
 * makes the message malformed. Null for anything malformed.
 */
export function scramUsername(message: ArrayBuffer): string | null {
  return scramUsernameAt(changetype<usize>(message), message.byteLength);
}

/** scramUsername over `length` bytes at `ptr` (a message still in a frame buffer); null for anything malformed. */
export function scramUsernameAt(ptr: usize, length: i32): string | null {
  if (length <= 0) return null;
  let pos = 0;
  // gs2-cbind-flag
  const flag = load<u8>(ptr);
  if (flag == 0x6e || flag == 0x79) { // 'n' | 'y'
    pos = 1;
  } else if (flag == 0x70) { // 'p=' cb-name
    if (length < 2 || load<u8>(ptr + 1) != 0x3d) return null;
    pos = 2;
    while (pos < length && load<u8>(ptr + <usize>pos) != 0x2c) pos++;
  } else {
    return null;
  }
  if (pos >= length || load<u8>(ptr + <usize>pos) != 0x2c) return null;
  pos++;
  // Optional authzid: "a=" saslname.
  if (pos < length && load<u8>(ptr + <usize>pos) == 0x61) {
    if (pos + 1 >= length || load<u8>(ptr + <usize>(pos + 1)) != 0x3d) return null;
    pos += 2;
    while (pos < length && load<u8>(ptr + <usize>pos) != 0x2c) pos++;
  }
  if (pos >= length || load<u8>(ptr + <usize>pos) != 0x2c) return null;
  pos++;
  // Optional reserved mandatory extension "m=...".
  if (pos < length && load<u8>(ptr + <usize>pos) == 0x6d) {
    while (pos < length && load<u8>(ptr + <usize>pos) != 0x2c) pos++;
    if (pos >= length) return null;
    pos++;
  }
  if (pos + 1 >= length || load<u8>(ptr + <usize>pos) != 0x6e || load<u8>(ptr + <usize>(pos + 1)) != 0x3d) return null;
  pos += 2;
  const nameStart = pos;
  let decodedLength = 0;
  while (pos < length) {
    const c = load<u8>(ptr + <usize>pos);
    if (c == 0x2c) break;
    if (c == 0) return null;
    if (c == 0x3d) {
      if (decodeEscape(ptr, pos, length) == 0) return null;
      pos += 3;
    } else {
      pos++;
    }
    decodedLength++;
  }
  const nameEnd = pos;
  if (nameEnd == nameStart || pos >= length) return null;
  // A nonce must follow: ",r=".
  if (pos + 2 >= length || load<u8>(ptr + <usize>(pos + 1)) != 0x72 || load<u8>(ptr + <usize>(pos + 2)) != 0x3d) return null;
  if (decodedLength == nameEnd - nameStart) return String.UTF8.decodeUnsafe(ptr + <usize>nameStart, <usize>(nameEnd - nameStart));
  const decoded = new ArrayBuffer(decodedLength);
  const out = changetype<usize>(decoded);
  let written = 0;
  for (let i = nameStart; i < nameEnd; written++) {
    const c = load<u8>(ptr + <usize>i);
    if (c == 0x3d) {
      store<u8>(out + <usize>written, decodeEscape(ptr, i, length));
      i += 3;
    } else {
      store<u8>(out + <usize>written, c);
      i++;
    }
  }
  return String.UTF8.decode(decoded);
}

/** The byte an "=2C" or "=3D" at `pos` stands for, or 0 when it is neither. */
function decodeEscape(ptr: usize, pos: i32, length: i32): u8 {
  if (pos + 2 >= length) return 0;
  const a = load<u8>(ptr + <usize>(pos + 1));
  const b = load<u8>(ptr + <usize>(pos + 2));
  if (a == 0x32 && (b == 0x43 || b == 0x63)) return 0x2c;
  if (a == 0x33 && (b == 0x44 || b == 0x64)) return 0x3d;
  return 0;
}

/** A CIDR range and the principal its source addresses get. */
export class AddressPrincipal {
  constructor(public readonly cidr: Cidr, public readonly principal: string) {}
}

/**
 * The principal for a source address: the mapping with the longest matching prefix
 * wins (10.1.0.0/16 before 10.0.0.0/8), the earlier one among equals. Null when none
 * matches.
 */
export function principalForAddress(address: IpAddress, mappings: AddressPrincipal[]): string | null {
  let best: AddressPrincipal | null = null;
  for (let i = 0; i < mappings.length; i++) {
    const mapping = unchecked(mappings[i]);
    if (!mapping.cidr.contains(address)) continue;
    if (best == null || mapping.cidr.prefixLength > best.cidr.prefixLength) best = mapping;
  }
  return best == null ? null : best.principal;
}

/** Reads Envoy connection properties; the host implementation wraps proxy_get_property. */
export abstract class PropertySource {
  /** The property at `path` as text, or null when absent. */
  abstract get(path: string[]): string | null;
}

/** Envoy's connection properties, through proxy_get_property. */
export class HostProperties extends PropertySource {
  /** proxy_get_property of the Envoy attribute `path`, decoded as UTF-8; null when absent. */
  get(path: string[]): string | null {
    return getPropertyString(path);
  }
}

// Envoy attributes (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/advanced/attributes).
// On a TLS listener Envoy runs a network filter's onNewConnection when it accepts the
// socket, before the handshake: the peer certificate is not known then (the subject
// reads as an empty string, the SANs as absent), and only is at the first downstream
// data callback (Envoy hands the filter
// decrypted bytes only once the handshake is done). tests/integration/envoy-semantics
// checks this on the real Envoy.
/** The peer certificate's subject DN, RFC 2253 (BoringSSL X509_NAME_print_ex with XN_FLAG_RFC2253). */
export const SUBJECT_PEER_CERTIFICATE: string[] = ["connection", "subject_peer_certificate"];
/** The peer certificate's first URI SAN. */
export const URI_SAN_PEER_CERTIFICATE: string[] = ["connection", "uri_san_peer_certificate"];
/** The peer certificate's first DNS SAN. */
export const DNS_SAN_PEER_CERTIFICATE: string[] = ["connection", "dns_san_peer_certificate"];
/** The downstream peer's address, "ip:port" ("[v6]:port"); known when the socket is accepted. */
export const SOURCE_ADDRESS: string[] = ["source", "address"];
/** Every connection property the filter reads. */
export const CONNECTION_PROPERTIES: string[][] = [
  SUBJECT_PEER_CERTIFICATE, URI_SAN_PEER_CERTIFICATE, DNS_SAN_PEER_CERTIFICATE, SOURCE_ADDRESS,
];

/**
 * One connection's principal. Sources report values as they become known (the TLS peer
 * certificate and the peer address at the first downstream data, the client id with
 * each request, the SASL name when authentication succeeds); `principal` is always the
 * value of the first source, in the configured order, that has one.
 */
export class PrincipalResolver {
  /** "User:<name>" per source, indexed by PrincipalSource; null: no value. */
  private readonly values: StaticArray<string | null> = new StaticArray<string | null>(PRINCIPAL_SOURCE_COUNT);
  /** The raw client id behind values[ClientId], to skip work when it repeats. */
  private clientId: string = "";
  /** The source address, parsed; null when unknown or not IP. */
  sourceAddress: IpAddress | null = null;
  /** The current principal; ANONYMOUS until some configured source names one. */
  principal: string = ANONYMOUS;
  /**
   * Whether readConnection has run. Until then the TLS and address sources are not
   * known yet (which is not the same as absent): no decision may be made before.
   */
  connectionRead: bool = false;
  /**
   * Set by readConnection when the certificate's subject (Kafka's form) matched no rule
   * of the TLS principal mapping: a Kafka broker with those rules would fail the
   * authentication. The tls_subject source then has no value.
   */
  unmappedSubject: string | null = null;
  /** With unmappedSubject: the index of the rule that ran out of regex steps, else -1 (no rule matched). */
  unmappedGaveUpRule: i32 = -1;

  constructor(
    private readonly order: StaticArray<PrincipalSource>,
    private readonly addressPrincipals: AddressPrincipal[],
    /** acl.tls_principal_mapping_rules; null: the subject as it is (Kafka's DEFAULT). */
    private readonly subjectMapping: PrincipalMapping | null = null,
  ) {}

  /**
   * A SASL user name, known to be authenticated (the broker answered the final
   * SaslAuthenticate with no error). Returns true when the principal changed.
   */
  saslAuthenticated(username: string): bool {
    return this.offer(PrincipalSource.Sasl, username.length == 0 ? null : PRINCIPAL_PREFIX + username);
  }

  /** The client id of a request (null or empty: none). Cheap when it repeats. */
  clientIdSeen(clientId: string | null): bool {
    if (clientId == null || clientId.length == 0) return false;
    if (clientId == this.clientId) return false;
    this.clientId = clientId;
    return this.offer(PrincipalSource.ClientId, PRINCIPAL_PREFIX + clientId);
  }

  /**
   * Reads the TLS peer certificate and the peer address from Envoy's connection
   * properties (only those that some configured source uses). Call it once Envoy knows
   * them: at the first downstream data callback, not at onNewConnection (the TLS
   * handshake is not done then). A property absent at that point is absent for good:
   * the connection has no client certificate, or it is not TLS. Returns true when the
   * principal changed.
   */
  readConnection(properties: PropertySource): bool {
    this.connectionRead = true;
    let changed = false;
    if (this.uses(PrincipalSource.TlsSubject)) {
      const subject = properties.get(SUBJECT_PEER_CERTIFICATE);
      changed = this.offer(PrincipalSource.TlsSubject, this.subjectPrincipal(subject)) || changed;
    }
    if (this.uses(PrincipalSource.TlsSan)) {
      let san = properties.get(URI_SAN_PEER_CERTIFICATE);
      if (san == null || san.length == 0) san = properties.get(DNS_SAN_PEER_CERTIFICATE);
      changed = this.offer(PrincipalSource.TlsSan, prefixed(san)) || changed;
    }
    // The address also serves rules limited to hosts, so it is read whatever the sources.
    const address = properties.get(SOURCE_ADDRESS);
    this.sourceAddress = address == null ? null : parseSocketAddress(address);
    const sourceAddress = this.sourceAddress;
    if (sourceAddress != null && this.uses(PrincipalSource.SourceAddress)) {
      changed = this.offer(PrincipalSource.SourceAddress, principalForAddress(sourceAddress, this.addressPrincipals)) || changed;
    }
    return changed;
  }

  /** Sets a source's value ("User:<name>" or null). Returns true when the principal changed. */
  offer(source: PrincipalSource, principal: string | null): bool {
    const index = <i32>source;
    if (index < 0 || index >= PRINCIPAL_SOURCE_COUNT) return false;
    unchecked(this.values[index] = principal);
    let chosen: string = ANONYMOUS;
    for (let i = 0; i < this.order.length; i++) {
      const value = unchecked(this.values[<i32>unchecked(this.order[i])]);
      if (value != null) { chosen = value; break; }
    }
    if (chosen == this.principal) return false;
    this.principal = chosen;
    return true;
  }

  /**
   * "User:" and the short name of a certificate subject (Envoy's RFC 2253 text): Kafka's
   * form of it, through the mapping rules when there are any. Null without a subject,
   * and when no rule matches (unmappedSubject says so).
   */
  private subjectPrincipal(subject: string | null): string | null {
    if (subject == null || subject.length == 0) return null;
    const name = kafkaSubjectName(subject);
    const mapping = this.subjectMapping;
    if (mapping == null) return prefixed(name);
    const result = mapping.map(name);
    // Kafka names the principal whatever the rule gave, an empty name included.
    if (result == MappingResult.Mapped) return PRINCIPAL_PREFIX + mapping.name;
    this.unmappedSubject = name;
    this.unmappedGaveUpRule = result == MappingResult.GaveUp ? mapping.gaveUpRule : -1;
    return null;
  }

  /**
   * True while the principal is still to come from SASL: `sasl` is a configured source
   * and no SASL authentication has named this connection yet. Requests decided in this
   * state are decided for whoever the connection is before it authenticates.
   */
  get awaitsSaslPrincipal(): bool {
    return this.uses(PrincipalSource.Sasl) && unchecked(this.values[<i32>PrincipalSource.Sasl]) == null;
  }

  private uses(source: PrincipalSource): bool {
    for (let i = 0; i < this.order.length; i++) if (unchecked(this.order[i]) == source) return true;
    return false;
  }
}

function prefixed(name: string | null): string | null {
  if (name == null || name.length == 0) return null;
  return PRINCIPAL_PREFIX + name;
}

/** SASL mechanisms whose user name the filter can read from the client's first token. */
export const enum SaslNameReader { None = 0, Plain = 1, Scram = 2 }

/**
 * Follows one connection's SASL exchanges to learn the authenticated user name: the
 * name is read from the client's first token and reported only when the broker
 * accepts the exchange's final round (PLAIN: one round, SCRAM: two). Re-authentication
 * (KIP-368) simply runs another exchange. Mechanisms whose tokens name no user the
 * filter can read (GSSAPI, OAUTHBEARER) report nothing.
 */
export class SaslPrincipalTracker {
  private reader: SaslNameReader = SaslNameReader.None;
  private roundsLeft: i32 = 0;
  private candidate: string | null = null;

  /** A SaslHandshake request named `mechanism` (either version). */
  handshake(mechanism: string): void {
    this.candidate = null;
    if (mechanism == "PLAIN") { this.reader = SaslNameReader.Plain; this.roundsLeft = 1; return; }
    if (mechanism == "SCRAM-SHA-256" || mechanism == "SCRAM-SHA-512") { this.reader = SaslNameReader.Scram; this.roundsLeft = 2; return; }
    this.reader = SaslNameReader.None;
    this.roundsLeft = 0;
  }

  /** A client token (SaslAuthenticate auth_bytes, or a raw v0 token), `length` bytes at `ptr`. */
  clientToken(ptr: usize, length: i32): void {
    if (this.reader == SaslNameReader.None || this.candidate != null) return;
    this.candidate = this.reader == SaslNameReader.Plain ? saslPlainUsernameAt(ptr, length) : scramUsernameAt(ptr, length);
    if (this.candidate == null) this.reader = SaslNameReader.None;
  }

  /**
   * The broker answered a client token (SaslAuthenticate error code; 0 for a raw v0
   * token the broker answered). Returns the authenticated user name when this answer
   * completed a successful exchange, else null.
   */
  serverAnswered(errorCode: i16): string | null {
    if (this.reader == SaslNameReader.None || this.candidate == null) return null;
    if (errorCode != 0) {
      this.reader = SaslNameReader.None;
      this.candidate = null;
      return null;
    }
    this.roundsLeft--;
    if (this.roundsLeft > 0) return null;
    const name = this.candidate;
    this.reader = SaslNameReader.None;
    this.candidate = null;
    return name;
  }
}
