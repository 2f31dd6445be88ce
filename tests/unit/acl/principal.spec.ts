import {
  ANONYMOUS, AddressPrincipal, PrincipalResolver, PrincipalSource, SaslPrincipalTracker,
  principalForAddress, saslPlainUsername, scramUsername,
} from "../../../assembly/acl/principal";
import { parseCidr, parseSocketAddress } from "../../../assembly/acl/address";
import { FixedProperties, token } from "./helpers";

function mapping(cidr: string, principal: string): AddressPrincipal {
  return new AddressPrincipal(parseCidr(cidr).cidr!, principal);
}

function order(sources: PrincipalSource[]): StaticArray<PrincipalSource> {
  const out = new StaticArray<PrincipalSource>(sources.length);
  for (let i = 0; i < sources.length; i++) out[i] = sources[i];
  return out;
}

const ALL_SOURCES: PrincipalSource[] = [
  PrincipalSource.Sasl, PrincipalSource.TlsSubject, PrincipalSource.TlsSan, PrincipalSource.ClientId, PrincipalSource.SourceAddress,
];

describe("SASL/PLAIN user name", () => {
  it("reads the authcid without an authzid", () => {
    expect(saslPlainUsername(token("|alice|secret"))!).toBe("alice");
  });
  it("reads the authcid, not the authzid", () => {
    expect(saslPlainUsername(token("admin|alice|secret"))!).toBe("alice");
    expect(saslPlainUsername(token("alice|alice|secret"))!).toBe("alice");
  });
  it("reads UTF-8 names", () => {
    expect(saslPlainUsername(token("|zoë|pw"))!).toBe("zoë");
  });
  it("keeps an empty password out of the name", () => {
    expect(saslPlainUsername(token("|bob|"))!).toBe("bob");
  });
  it("refuses malformed tokens", () => {
    expect(saslPlainUsername(token("")) == null).toBe(true);
    expect(saslPlainUsername(token("alice")) == null).toBe(true);
    expect(saslPlainUsername(token("|alice")) == null).toBe(true);
    expect(saslPlainUsername(token("||secret")) == null).toBe(true);
    expect(saslPlainUsername(token("|alice|sec|ret")) == null).toBe(true);
  });
  it("does not trap on invalid UTF-8", () => {
    const bytes = token("|xx|pw");
    store<u8>(changetype<usize>(bytes) + 1, 0xff);
    expect(saslPlainUsername(bytes) != null).toBe(true);
  });
});

describe("SCRAM user name", () => {
  it("reads the name after a plain gs2 header", () => {
    expect(scramUsername(token("n,,n=alice,r=rOprNGfwEbeRWgbNEkqO"))!).toBe("alice");
  });
  it("accepts the y and p= channel binding flags and an authzid", () => {
    expect(scramUsername(token("y,,n=bob,r=abc"))!).toBe("bob");
    expect(scramUsername(token("p=tls-unique,,n=carol,r=abc"))!).toBe("carol");
    expect(scramUsername(token("n,a=admin,n=dave,r=abc"))!).toBe("dave");
  });
  it("decodes =2C and =3D", () => {
    expect(scramUsername(token("n,,n=a=2Cb=3Dc,r=x"))!).toBe("a,b=c");
    expect(scramUsername(token("n,,n==3D=2C,r=x"))!).toBe("=,");
  });
  it("keeps extensions out of the name", () => {
    expect(scramUsername(token("n,,n=erin,r=abc,tokenauth=true"))!).toBe("erin");
  });
  it("refuses malformed messages", () => {
    expect(scramUsername(token("")) == null).toBe(true);
    expect(scramUsername(token("x,,n=alice,r=abc")) == null).toBe(true);
    expect(scramUsername(token("n,n=alice,r=abc")) == null).toBe(true);
    expect(scramUsername(token("n,,n=,r=abc")) == null).toBe(true);
    expect(scramUsername(token("n,,n=alice")) == null).toBe(true);
    expect(scramUsername(token("n,,n=alice,")) == null).toBe(true);
    expect(scramUsername(token("n,,n=alice,x=abc")) == null).toBe(true);
    expect(scramUsername(token("n,,n=a=2,r=abc")) == null).toBe(true);
    expect(scramUsername(token("n,,n=a=41b,r=abc")) == null).toBe(true);
    expect(scramUsername(token("n,,n=a=")) == null).toBe(true);
    expect(scramUsername(token("n,,u=alice,r=abc")) == null).toBe(true);
    expect(scramUsername(token("p")) == null).toBe(true);
    expect(scramUsername(token("n,a")) == null).toBe(true);
  });
});

describe("SASL exchange tracking", () => {
  it("reports the PLAIN name when the broker accepts", () => {
    const tracker = new SaslPrincipalTracker();
    tracker.handshake("PLAIN");
    const t = token("|alice|pw");
    tracker.clientToken(changetype<usize>(t), t.byteLength);
    expect(tracker.serverAnswered(0)!).toBe("alice");
  });
  it("reports nothing when the broker refuses", () => {
    const tracker = new SaslPrincipalTracker();
    tracker.handshake("PLAIN");
    const t = token("|alice|wrong");
    tracker.clientToken(changetype<usize>(t), t.byteLength);
    expect(tracker.serverAnswered(58) == null).toBe(true);
  });
  it("waits for SCRAM's second round", () => {
    const tracker = new SaslPrincipalTracker();
    tracker.handshake("SCRAM-SHA-512");
    const first = token("n,,n=bob,r=abc");
    tracker.clientToken(changetype<usize>(first), first.byteLength);
    expect(tracker.serverAnswered(0) == null).toBe(true);
    const last = token("c=biws,r=abcdef,p=proof");
    tracker.clientToken(changetype<usize>(last), last.byteLength);
    expect(tracker.serverAnswered(0)!).toBe("bob");
  });
  it("reads SCRAM-SHA-256 as SCRAM-SHA-512, and names nobody when the broker refuses the final round", () => {
    const tracker = new SaslPrincipalTracker();
    tracker.handshake("SCRAM-SHA-256");
    // The client-first message as Kafka's Java client and kafkajs send it.
    const first = token("n,,n=alice,r=3d7mGvY0q4lPn5Ubq1Hh0pvHDg");
    tracker.clientToken(changetype<usize>(first), first.byteLength);
    expect(tracker.serverAnswered(0) == null).toBe(true);
    const last = token("c=biws,r=3d7mGvY0q4lPn5Ubq1Hh0pvHDgserver,p=wrongproof");
    tracker.clientToken(changetype<usize>(last), last.byteLength);
    expect(tracker.serverAnswered(58) == null).toBe(true);
    // A new exchange on the same connection starts over.
    tracker.handshake("SCRAM-SHA-256");
    tracker.clientToken(changetype<usize>(first), first.byteLength);
    expect(tracker.serverAnswered(0) == null).toBe(true);
    tracker.clientToken(changetype<usize>(last), last.byteLength);
    expect(tracker.serverAnswered(0)!).toBe("alice");
  });
  it("reports nothing for mechanisms it cannot read", () => {
    const tracker = new SaslPrincipalTracker();
    tracker.handshake("GSSAPI");
    const t = token("|alice|pw");
    tracker.clientToken(changetype<usize>(t), t.byteLength);
    expect(tracker.serverAnswered(0) == null).toBe(true);
  });
});

function addressMappings(): AddressPrincipal[] {
  return [
    mapping("10.0.0.0/8", "User:batch"),
    mapping("10.1.0.0/16", "User:etl"),
    mapping("2001:db8::/32", "User:v6"),
    mapping("192.0.2.7/32", "User:one"),
  ];
}

describe("principal by source address", () => {
  it("prefers the longest matching prefix", () => {
    const props = new FixedProperties().with("source.address", "10.1.2.3:5000");
    const resolver = new PrincipalResolver(order([PrincipalSource.SourceAddress]), addressMappings());
    expect(resolver.readConnection(props)).toBe(true);
    expect(resolver.principal).toBe("User:etl");
  });
  it("maps IPv6 and IPv4-mapped peers", () => {
    const v6 = new PrincipalResolver(order([PrincipalSource.SourceAddress]), addressMappings());
    v6.readConnection(new FixedProperties().with("source.address", "[2001:db8::1]:9092"));
    expect(v6.principal).toBe("User:v6");
    const mapped = new PrincipalResolver(order([PrincipalSource.SourceAddress]), addressMappings());
    mapped.readConnection(new FixedProperties().with("source.address", "[::ffff:10.9.9.9]:9092"));
    expect(mapped.principal).toBe("User:batch");
  });
  it("leaves unmapped and unparsable peers anonymous", () => {
    const other = new PrincipalResolver(order([PrincipalSource.SourceAddress]), addressMappings());
    expect(other.readConnection(new FixedProperties().with("source.address", "192.0.2.8:1"))).toBe(false);
    expect(other.principal).toBe(ANONYMOUS);
    const pipe = new PrincipalResolver(order([PrincipalSource.SourceAddress]), addressMappings());
    pipe.readConnection(new FixedProperties().with("source.address", "/var/run/kafka.sock"));
    expect(pipe.principal).toBe(ANONYMOUS);
    expect(pipe.sourceAddress == null).toBe(true);
  });
  it("finds nothing in an empty table", () => {
    expect(principalForAddress(parseSocketAddress("10.0.0.1:1")!, []) == null).toBe(true);
  });
});

function tlsConnection(): FixedProperties {
  return new FixedProperties()
    .with("connection.subject_peer_certificate", "CN=alice,OU=eng,O=Example")
    .with("connection.uri_san_peer_certificate", "spiffe://example/alice")
    .with("connection.dns_san_peer_certificate", "alice.example")
    .with("source.address", "10.0.0.5:4000");
}

function batchMapping(): AddressPrincipal[] {
  return [mapping("10.0.0.0/8", "User:batch")];
}

describe("principal precedence", () => {

  it("is anonymous before any source speaks", () => {
    const resolver = new PrincipalResolver(order(ALL_SOURCES), batchMapping());
    expect(resolver.principal).toBe("User:ANONYMOUS");
  });
  it("follows the configured order as sources appear", () => {
    const resolver = new PrincipalResolver(order(ALL_SOURCES), batchMapping());
    expect(resolver.readConnection(tlsConnection())).toBe(true);
    expect(resolver.principal).toBe("User:CN=alice,OU=eng,O=Example");
    expect(resolver.clientIdSeen("producer-1")).toBe(false);
    expect(resolver.saslAuthenticated("bob")).toBe(true);
    expect(resolver.principal).toBe("User:bob");
  });
  it("uses a later source when earlier ones have no value", () => {
    const resolver = new PrincipalResolver(order([PrincipalSource.Sasl, PrincipalSource.ClientId, PrincipalSource.SourceAddress]), batchMapping());
    resolver.readConnection(tlsConnection());
    expect(resolver.principal).toBe("User:batch");
    expect(resolver.clientIdSeen("producer-1")).toBe(true);
    expect(resolver.principal).toBe("User:producer-1");
    expect(resolver.clientIdSeen("producer-1")).toBe(false);
    expect(resolver.clientIdSeen(null)).toBe(false);
    expect(resolver.principal).toBe("User:producer-1");
  });
  it("prefers the URI SAN, then the DNS SAN", () => {
    const resolver = new PrincipalResolver(order([PrincipalSource.TlsSan]), []);
    resolver.readConnection(tlsConnection());
    expect(resolver.principal).toBe("User:spiffe://example/alice");
    const dnsOnly = new PrincipalResolver(order([PrincipalSource.TlsSan]), []);
    dnsOnly.readConnection(new FixedProperties().with("connection.dns_san_peer_certificate", "bob.example"));
    expect(dnsOnly.principal).toBe("User:bob.example");
  });
  it("ignores sources left out of the order", () => {
    const resolver = new PrincipalResolver(order([PrincipalSource.Sasl]), batchMapping());
    resolver.readConnection(tlsConnection());
    resolver.clientIdSeen("producer-1");
    expect(resolver.principal).toBe(ANONYMOUS);
    expect(resolver.sourceAddress!.toString()).toBe("10.0.0.5");
  });
});
