// When the ACL enforcer learns what Envoy knows of a connection: once, at the first
// downstream data (Envoy runs onNewConnection before a TLS handshake ends, when the
// peer certificate is not known yet; tests/integration/envoy-semantics checks that).
import { AclContext, AclMode, ConnectionAuthorizer } from "../../../assembly/acl/authorizer";
import { AclEnforcer, EnforcementStats } from "../../../assembly/acl/enforcer";
import { Policy } from "../../../assembly/acl/policy";
import { ANONYMOUS, PrincipalResolver, PrincipalSource } from "../../../assembly/acl/principal";
import { TopicIds } from "../../../assembly/acl/topic-ids";
import { CapturedAudit, CountingMetrics, FixedProperties, KnownTopics } from "./helpers";

class NoStats extends EnforcementStats {
  requestRewritten(): void {}
  requestDenied(): void {}
  responseRewritten(): void {}
  tlsSubjectUnmapped(gaveUp: bool): void {}
}

function sources(list: PrincipalSource[]): StaticArray<PrincipalSource> {
  const out = new StaticArray<PrincipalSource>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = list[i];
  return out;
}

function aliceProperties(): FixedProperties {
  return new FixedProperties()
    .with("connection.subject_peer_certificate", "CN=alice,OU=eng,O=Example")
    .with("connection.uri_san_peer_certificate", "spiffe://example.org/alice")
    .with("source.address", "10.1.2.3:40000");
}

function enforcer(properties: FixedProperties, resolver: PrincipalResolver): AclEnforcer {
  const context = new AclContext(new Policy([], false), AclMode.Enforce, new CapturedAudit(), new CountingMetrics(), new KnownTopics());
  return new AclEnforcer(new ConnectionAuthorizer(context), resolver, properties, new TopicIds(), null, new NoStats(), 1 << 20);
}

describe("learning the connection", () => {
  it("reads the properties at the first call and only tests a flag after", () => {
    const properties = aliceProperties();
    const resolver = new PrincipalResolver(sources([PrincipalSource.TlsSubject, PrincipalSource.TlsSan]), []);
    const acl = enforcer(properties, resolver);
    expect(properties.reads).toBe(0);
    expect(acl.authorizer.principal).toBe(ANONYMOUS);
    expect(acl.authorizer.sourceAddress == null).toBe(true);
    expect(resolver.connectionRead).toBe(false);

    acl.learnConnection();
    expect(resolver.connectionRead).toBe(true);
    expect(acl.authorizer.principal).toBe("User:CN=alice,OU=eng,O=Example");
    expect(acl.authorizer.sourceAddress!.toString()).toBe("10.1.2.3");
    const reads = properties.reads;
    // subject, URI SAN (present, so no DNS SAN read), source address
    expect(reads).toBe(3);
    acl.learnConnection();
    acl.learnConnection();
    expect(properties.reads).toBe(reads);
  });
  it("keeps a SASL principal learned later on top of the certificate", () => {
    const properties = aliceProperties();
    const resolver = new PrincipalResolver(sources([PrincipalSource.Sasl, PrincipalSource.TlsSubject]), []);
    const acl = enforcer(properties, resolver);
    acl.learnConnection();
    expect(resolver.saslAuthenticated("bob")).toBe(true);
    expect(resolver.principal).toBe("User:bob");
    acl.learnConnection();
    expect(resolver.principal).toBe("User:bob");
  });
  it("reads only the source address when no TLS source is configured", () => {
    const properties = aliceProperties();
    const acl = enforcer(properties, new PrincipalResolver(sources([PrincipalSource.Sasl]), []));
    acl.learnConnection();
    expect(properties.reads).toBe(1);
    expect(acl.authorizer.principal).toBe(ANONYMOUS);
    expect(acl.authorizer.sourceAddress!.toString()).toBe("10.1.2.3");
  });
});

describe("empty certificate properties", () => {
  it("name no principal (what Envoy reports for the subject before a handshake, or without a client certificate)", () => {
    const properties = new FixedProperties()
      .with("connection.subject_peer_certificate", "")
      .with("connection.uri_san_peer_certificate", "")
      .with("connection.dns_san_peer_certificate", "")
      .with("source.address", "10.1.2.3:40000");
    const resolver = new PrincipalResolver(sources([PrincipalSource.TlsSubject, PrincipalSource.TlsSan]), []);
    expect(resolver.readConnection(properties)).toBe(false);
    expect(resolver.principal).toBe(ANONYMOUS);
    expect(resolver.connectionRead).toBe(true);
  });
});
