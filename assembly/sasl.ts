// SASL authentication in its legacy form: after a SaslHandshake v0 request is
// accepted, the client and broker exchange raw SASL tokens, each with an int32 size
// prefix like a Kafka frame but with no Kafka header inside. The filter must step
// over those frames instead of reading them as requests and responses. (From
// SaslHandshake v1 on, tokens travel in framed SaslAuthenticate requests instead.)
//
// The token bytes are never decoded, kept or logged: for PLAIN they hold the password.

/** How many client-token/broker-token rounds a mechanism takes when it succeeds. */
function roundsFor(mechanism: string): i32 {
  if (mechanism == "PLAIN") return 1;
  if (mechanism == "SCRAM-SHA-256" || mechanism == "SCRAM-SHA-512") return 2;
  if (mechanism == "OAUTHBEARER") return 1;
  // Unknown count (e.g. GSSAPI): fall back to recognising the first real request.
  return -1;
}

/**
 * Tracks one connection's SaslHandshake v0 exchange (KIP-43) so that the raw token frames
 * after it (int32 size, no Kafka header) are stepped over in each direction.
 */
export class LegacySaslExchange {
  private pendingRounds: i32 = 0;
  private handshakePending: bool = false;
  /** Raw client tokens still expected before Kafka requests resume; -1: until a real request appears. */
  rawRequestsLeft: i32 = 0;
  /** Raw broker tokens still expected before Kafka responses resume. */
  rawResponsesLeft: i32 = 0;

  /** A SaslHandshake v0 request named `mechanism`. */
  handshakeRequested(mechanism: string): void {
    this.handshakePending = true;
    this.pendingRounds = roundsFor(mechanism);
  }

  /** The broker answered the pending SaslHandshake v0; tokens follow only on success. */
  handshakeAnswered(errorCode: i16): void {
    if (!this.handshakePending) return;
    this.handshakePending = false;
    if (errorCode != 0) return;
    this.rawRequestsLeft = this.pendingRounds;
    this.rawResponsesLeft = this.pendingRounds < 0 ? -1 : this.pendingRounds;
  }

  /** True when the next client frame is a raw token; consumes it. */
  takeRawRequest(): bool {
    if (this.rawRequestsLeft == 0) return false;
    if (this.rawRequestsLeft > 0) this.rawRequestsLeft--;
    return true;
  }

  /** True when the next broker frame is a raw token; consumes it. */
  takeRawResponse(): bool {
    if (this.rawResponsesLeft == 0) return false;
    if (this.rawResponsesLeft > 0) this.rawResponsesLeft--;
    return true;
  }

  /**
   * For mechanisms with an unknown number of rounds: a client frame that decodes as a
   * known Kafka request ends the token exchange.
   */
  realRequestSeen(): void {
    if (this.rawRequestsLeft < 0) {
      this.rawRequestsLeft = 0;
      this.rawResponsesLeft = 0;
    }
  }

  /** True while the mechanism's round count is unknown (e.g. GSSAPI) and tokens pass until a real request decodes. */
  get unboundedTokens(): bool {
    return this.rawRequestsLeft < 0;
  }
}
