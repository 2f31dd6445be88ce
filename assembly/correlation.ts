// Ties each response to the request it answers.
//
// A Kafka broker answers the requests of one connection strictly in the order it
// received them, except that Produce with acks=0 gets no answer at all. So the
// requests waiting for an answer form a queue: a response answers the oldest
// pending request with its correlation id, and pending requests in front of that
// one were never going to be answered. The queue is a fixed ring so that tracking
// costs no allocation per request.

export class PendingRequest {
  correlationId: i32 = 0;
  apiKey: i16 = -1;
  apiVersion: i16 = -1;
  /** When the request's last byte arrived, in host nanoseconds. */
  completedAtNanos: u64 = 0;
}

export class InFlightRequests {
  private readonly slots: StaticArray<PendingRequest>;
  private head: i32 = 0;
  private length: i32 = 0;
  /** Requests evicted because the ring was full (a client far beyond any sane pipelining depth). */
  overflowed: u64 = 0;
  /** Requests passed over by a later response: they had no response (acks=0 Produce). */
  unanswered: u64 = 0;

  constructor(readonly capacity: i32) {
    this.slots = new StaticArray<PendingRequest>(capacity);
    for (let i = 0; i < capacity; i++) this.slots[i] = new PendingRequest();
  }

  get size(): i32 { return this.length; }

  /** Queues a request; returns the slot so the caller can stamp its completion time. */
  push(correlationId: i32, apiKey: i16, apiVersion: i16): PendingRequest {
    if (this.length == this.capacity) {
      this.head = (this.head + 1) % this.capacity;
      this.length--;
      this.overflowed++;
    }
    const slot = this.slots[(this.head + this.length) % this.capacity];
    slot.correlationId = correlationId;
    slot.apiKey = apiKey;
    slot.apiVersion = apiVersion;
    slot.completedAtNanos = 0;
    this.length++;
    return slot;
  }

  /** The most recently queued request, or null. */
  newest(): PendingRequest | null {
    if (this.length == 0) return null;
    return this.slots[(this.head + this.length - 1) % this.capacity];
  }

  /**
   * Removes and returns the request this response answers, dropping the unanswered
   * ones queued before it. Returns null, leaving the queue as it was, when no
   * pending request has this correlation id. The returned object is reused by
   * later pushes: read it before the next push.
   */
  take(correlationId: i32): PendingRequest | null {
    for (let i = 0; i < this.length; i++) {
      const slot = this.slots[(this.head + i) % this.capacity];
      if (slot.correlationId != correlationId) continue;
      this.unanswered += <u64>i;
      this.head = (this.head + i + 1) % this.capacity;
      this.length -= i + 1;
      return slot;
    }
    return null;
  }
}
