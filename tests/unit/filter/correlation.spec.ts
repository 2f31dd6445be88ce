import { InFlightRequests } from "../../../assembly/correlation";

describe("InFlightRequests", () => {
  it("matches responses to requests in order", () => {
    const inFlight = new InFlightRequests(8);
    inFlight.push(1, 3, 12);
    inFlight.push(2, 0, 9);
    const first = inFlight.take(1)!;
    expect(first.apiKey).toBe(3);
    expect(first.apiVersion).toBe(12);
    const second = inFlight.take(2)!;
    expect(second.apiKey).toBe(0);
    expect(inFlight.size).toBe(0);
    expect(inFlight.unanswered).toBe(0);
  });

  it("drops requests that a later response passes over, as acks=0 Produce gets no answer", () => {
    const inFlight = new InFlightRequests(8);
    inFlight.push(10, 0, 9);
    inFlight.push(11, 0, 9);
    inFlight.push(12, 1, 13);
    const answered = inFlight.take(12)!;
    expect(answered.apiKey).toBe(1);
    expect(inFlight.unanswered).toBe(2);
    expect(inFlight.size).toBe(0);
  });

  it("leaves the queue alone for a correlation id it never saw", () => {
    const inFlight = new InFlightRequests(8);
    inFlight.push(5, 18, 3);
    expect(inFlight.take(99) == null).toBe(true, "no pending request has id 99");
    expect(inFlight.size).toBe(1);
    expect(inFlight.take(5)!.apiKey).toBe(18);
  });

  it("evicts the oldest request when more are pipelined than it can hold", () => {
    const inFlight = new InFlightRequests(4);
    for (let id = 0; id < 6; id++) inFlight.push(id, 1, 12);
    expect(inFlight.size).toBe(4);
    expect(inFlight.overflowed).toBe(2);
    expect(inFlight.take(0) == null).toBe(true, "id 0 was evicted");
    expect(inFlight.take(2)!.correlationId).toBe(2);
    expect(inFlight.take(5)!.correlationId).toBe(5);
    expect(inFlight.unanswered).toBe(2);
  });

  it("wraps around its ring many times without losing order", () => {
    const inFlight = new InFlightRequests(3);
    for (let id = 0; id < 1000; id++) {
      inFlight.push(id, <i16>(id % 90), 1);
      if (id >= 2) expect(inFlight.take(id - 2)!.apiKey).toBe(<i16>((id - 2) % 90));
    }
    expect(inFlight.overflowed).toBe(0);
  });
});
