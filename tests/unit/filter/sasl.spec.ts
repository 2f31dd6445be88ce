import { LegacySaslExchange } from "../../../assembly/sasl";

describe("LegacySaslExchange", () => {
  it("expects no raw tokens before any handshake", () => {
    const sasl = new LegacySaslExchange();
    expect(sasl.takeRawRequest()).toBe(false);
    expect(sasl.takeRawResponse()).toBe(false);
  });

  it("steps over one token each way for PLAIN", () => {
    const sasl = new LegacySaslExchange();
    sasl.handshakeRequested("PLAIN");
    expect(sasl.takeRawRequest()).toBe(false, "nothing raw until the broker accepts");
    sasl.handshakeAnswered(0);
    expect(sasl.takeRawRequest()).toBe(true);
    expect(sasl.takeRawResponse()).toBe(true);
    expect(sasl.takeRawRequest()).toBe(false);
    expect(sasl.takeRawResponse()).toBe(false);
  });

  it("steps over two rounds for SCRAM", () => {
    const sasl = new LegacySaslExchange();
    sasl.handshakeRequested("SCRAM-SHA-512");
    sasl.handshakeAnswered(0);
    for (let round = 0; round < 2; round++) {
      expect(sasl.takeRawRequest()).toBe(true);
      expect(sasl.takeRawResponse()).toBe(true);
    }
    expect(sasl.takeRawRequest()).toBe(false);
  });

  it("expects no tokens when the broker refuses the mechanism", () => {
    const sasl = new LegacySaslExchange();
    sasl.handshakeRequested("PLAIN");
    sasl.handshakeAnswered(33); // UNSUPPORTED_SASL_MECHANISM
    expect(sasl.takeRawRequest()).toBe(false);
    expect(sasl.takeRawResponse()).toBe(false);
  });

  it("ignores an answer when no handshake is pending", () => {
    const sasl = new LegacySaslExchange();
    sasl.handshakeAnswered(0);
    expect(sasl.takeRawRequest()).toBe(false);
  });

  it("keeps stepping over tokens of an unknown mechanism until a real request appears", () => {
    const sasl = new LegacySaslExchange();
    sasl.handshakeRequested("GSSAPI");
    sasl.handshakeAnswered(0);
    expect(sasl.unboundedTokens).toBe(true);
    for (let i = 0; i < 5; i++) {
      expect(sasl.takeRawRequest()).toBe(true);
      expect(sasl.takeRawResponse()).toBe(true);
    }
    sasl.realRequestSeen();
    expect(sasl.unboundedTokens).toBe(false);
    expect(sasl.takeRawRequest()).toBe(false);
    expect(sasl.takeRawResponse()).toBe(false);
  });
});
