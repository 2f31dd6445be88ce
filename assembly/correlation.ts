// Ties each response to the request it answers.
//
// A Kafka broker answers the requests of one connection strictly in the order it
// received them, except that Produce with acks=0 gets no answer at all. So the
// requests waiting for an answer form a queue: a response answers the oldest
// pending request with its correlation id, and pending requests in front of that
// one were never going to be answered. The queue is a ring of reusable slots: it
// starts small, so an idle connection costs little, and doubles up to its capacity
// when a client pipelines deeper, so steady traffic allocates nothing per request.

/** What another module files with a pending request, for its response (ACL enforcement). */
export abstract class RequestAttachment {}

/** One request awaiting its response; a slot of InFlightRequests, reused. */
export class PendingRequest {
  correlationId: i32 = 0;
  apiKey: i16 = -1;
  apiVersion: i16 = -1;
  /** When the request's last byte arrived, in host nanoseconds; 0 until then. */
  completedAtNanos: u64 = 0;
  attachment: RequestAttachment | null = null;
}

const INITIAL_SLOTS: i32 = 4;

/**
 * The FIFO of requests awaiting a response (see the file comment): a ring of reused
 * slots, grown by doubling up to `capacity` (max_in_flight_requests).
 */
export class InFlightRequests {
  private slots: StaticArray<PendingRequest>;
  private head: i32 = 0;
  private length: i32 = 0;

  constructor(readonly capacity: i32) {
    this.slots = InFlightRequests.newSlots(min(INITIAL_SLOTS, capacity));
  }

  private static newSlots(count: i32): StaticArray<PendingRequest> {
    const slots = new StaticArray<PendingRequest>(count);
    for (let i = 0; i < count; i++) unchecked(slots[i] = new PendingRequest());
    return slots;
  }

  /** Requests queued. */
  get size(): i32 { return this.length; }
  /** No room left: the caller makes room before push (Exchanges forgets the oldest, counted as an overflow). */
  get full(): bool { return this.length == this.capacity; }
  /** Slots allocated so far (at most capacity). */
  get allocated(): i32 { return this.slots.length; }

  /** Queues a request; the caller must make room first when the queue is full. Returns its slot. */
  push(correlationId: i32, apiKey: i16, apiVersion: i16): PendingRequest {
    if (this.length == this.slots.length) this.grow();
    const slot = unchecked(this.slots[(this.head + this.length) % this.slots.length]);
    slot.correlationId = correlationId;
    slot.apiKey = apiKey;
    slot.apiVersion = apiVersion;
    slot.completedAtNanos = 0;
    slot.attachment = null;
    this.length++;
    return slot;
  }

  /** Doubles the ring (up to capacity), keeping the queue's order with the oldest first. */
  private grow(): void {
    const old = this.slots;
    const grown = new StaticArray<PendingRequest>(min(old.length * 2, this.capacity));
    for (let i = 0; i < old.length; i++) unchecked(grown[i] = old[(this.head + i) % old.length]);
    for (let i = old.length; i < grown.length; i++) unchecked(grown[i] = new PendingRequest());
    this.slots = grown;
    this.head = 0;
  }

  /** The oldest pending request; only valid while size > 0. */
  oldest(): PendingRequest {
    return unchecked(this.slots[this.head]);
  }

  /** The pending request at `position` (0 = oldest); only valid while position < size. */
  at(position: i32): PendingRequest {
    return unchecked(this.slots[(this.head + position) % this.slots.length]);
  }

  /** The most recently queued request; only valid while size > 0. */
  newest(): PendingRequest {
    return unchecked(this.slots[(this.head + this.length - 1) % this.slots.length]);
  }

  /** Forgets the oldest pending request. Its slot is reused by a later push. */
  dropOldest(): void {
    if (this.length == 0) return;
    unchecked(this.slots[this.head]).attachment = null;
    this.head = (this.head + 1) % this.slots.length;
    this.length--;
  }

  /**
   * How many pending requests are older than the one with this correlation id, or -1
   * if none has it. A response for position p means the p older ones went unanswered.
   */
  positionOf(correlationId: i32): i32 {
    for (let i = 0; i < this.length; i++) {
      if (unchecked(this.slots[(this.head + i) % this.slots.length]).correlationId == correlationId) return i;
    }
    return -1;
  }
}
