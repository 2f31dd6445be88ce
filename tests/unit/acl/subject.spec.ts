// Envoy's rendering of a certificate subject, turned into Java's X500Principal.getName()
// (what Kafka's default principal builder uses). The Envoy strings are the ones the
// real Envoy gave in tests/integration/envoy-semantics.test.mjs; the Java ones are
// what X500Principal.getName() gives for the same certificate.
import { kafkaSubjectName } from "../../../assembly/acl/subject";

describe("subject names", () => {
  it("keep a plain DN as it is", () => {
    expect(kafkaSubjectName("CN=alice,OU=eng,O=Example")).toBe("CN=alice,OU=eng,O=Example");
    expect(kafkaSubjectName("CN=localhost")).toBe("CN=localhost");
    expect(kafkaSubjectName("")).toBe("");
  });
  it("match Java on what the two RFC 2253 writers disagree on", () => {
    expect(kafkaSubjectName("emailAddress=zoe@example.org,CN=Zo\\C3\\AB Smith,UID=42+OU=eng=core,O=Example\\, Inc.,DC=example,DC=org"))
      .toBe("1.2.840.113549.1.9.1=#160f7a6f65406578616d706c652e6f7267,CN=Zoë Smith,OU=eng\\=core+UID=42,O=Example\\, Inc.,DC=example,DC=org");
    // Seen with openssl and the JDK: specials both escape, and "=" only Java does.
    expect(kafkaSubjectName("CN=a\\+b\\\"c\\\\d\\<e\\>f\\;g\\,h\\ ,O=\\#hash=eq\\ "))
      .toBe("CN=a\\+b\\\"c\\\\d\\<e\\>f\\;g\\,h\\ ,O=\\#hash\\=eq\\ ");
  });
  it("keep escapes both writers share", () => {
    expect(kafkaSubjectName("CN=a\\+b\\,c\\\\d\\\"e\\<f\\>g\\;h,O=x")).toBe("CN=a\\+b\\,c\\\\d\\\"e\\<f\\>g\\;h,O=x");
    expect(kafkaSubjectName("CN=\\#lead\\ ,O=x")).toBe("CN=\\#lead\\ ,O=x");
    // A backslash followed by hex-looking text is an escaped backslash, not a byte.
    expect(kafkaSubjectName("CN=a\\\\C3B,O=x")).toBe("CN=a\\\\C3B,O=x");
  });
  it("reverse every multi-valued RDN, keeping the RDN order", () => {
    expect(kafkaSubjectName("CN=c+UID=u+OU=o,O=x")).toBe("OU=o+UID=u+CN=c,O=x");
  });
  it("name street STREET and leave other short names and dumped values", () => {
    expect(kafkaSubjectName("street=Main St 1,CN=a")).toBe("STREET=Main St 1,CN=a");
    expect(kafkaSubjectName("serialNumber=42,CN=a")).toBe("serialNumber=42,CN=a");
    expect(kafkaSubjectName("emailAddress=#0c03616263,CN=a")).toBe("emailAddress=#0c03616263,CN=a");
  });
  it("write a long emailAddress with a long-form DER length", () => {
    const local = "x".repeat(130);
    const out = kafkaSubjectName("emailAddress=" + local + ",CN=a");
    expect(out.startsWith("1.2.840.113549.1.9.1=#168182" + "78".repeat(130) + ",CN=a")).toBe(true);
  });
  it("keep text it cannot split", () => {
    expect(kafkaSubjectName("no equals sign")).toBe("no equals sign");
    expect(kafkaSubjectName("CN=trailing\\")).toBe("CN=trailing\\");
    expect(kafkaSubjectName(",,+")).toBe(",,+");
  });
});
