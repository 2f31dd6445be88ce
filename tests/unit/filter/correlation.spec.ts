import { InFlightRequests } from "../../../assembly/correlation";

describe("InFlightRequests", () => {
  it("finds responses' requests in order", () => {
    const inFlight = new InFlightRequests(8);
    inFlight.push(1, 3, 12);
    inFlight.push(2, 0, 9);
    expect(inFlight.positionOf(1)).toBe(0);
    expect(inFlight.oldest().apiKey).toBe(3);
    expect(inFlight.oldest().apiVersion).toBe(12);
    inFlight.dropOldest();
    expect(inFlight.positionOf(2)).toBe(0);
    expect(inFlight.oldest().apiKey).toBe(0);
    inFlight.dropOldest();
    expect(inFlight.size).toBe(0);
  });

  it("places a response behind requests that were never answered, as acks=0 Produce is not", () => {
    const inFlight = new InFlightRequests(8);
    inFlight.push(10, 0, 9);
    inFlight.push(11, 0, 9);
    inFlight.push(12, 1, 13);
    expect(inFlight.positionOf(12)).toBe(2);
    inFlight.dropOldest();
    inFlight.dropOldest();
    expect(inFlight.oldest().apiKey).toBe(1);
  });

  it("reports a correlation id it never saw", () => {
    const inFlight = new InFlightRequests(8);
    inFlight.push(5, 18, 3);
    expect(inFlight.positionOf(99)).toBe(-1);
    expect(inFlight.size).toBe(1);
  });

  it("says when it is full and keeps the newest at the end", () => {
    const inFlight = new InFlightRequests(4);
    for (let id = 0; id < 4; id++) inFlight.push(id, 1, 12);
    expect(inFlight.full).toBe(true);
    expect(inFlight.newest().correlationId).toBe(3);
    inFlight.dropOldest();
    expect(inFlight.full).toBe(false);
    inFlight.push(4, 2, 0);
    expect(inFlight.newest().correlationId).toBe(4);
    expect(inFlight.positionOf(4)).toBe(3);
  });

  it("wraps around its ring many times without losing order", () => {
    const inFlight = new InFlightRequests(3);
    for (let id = 0; id < 1000; id++) {
      inFlight.push(id, <i16>(id % 90), 1);
      if (id >= 2) {
        expect(inFlight.positionOf(id - 2)).toBe(0);
        expect(inFlight.oldest().apiKey).toBe(<i16>((id - 2) % 90));
        inFlight.dropOldest();
      }
    }
    expect(inFlight.size).toBe(2);
  });

  it("starts small and grows, keeping order, only as deep as clients pipeline", () => {
    const inFlight = new InFlightRequests(1024);
    expect(inFlight.allocated).toBe(4);
    // Wrap the small ring first, so that growing has to re-linearise it.
    for (let id = 0; id < 3; id++) inFlight.push(id, 0, 9);
    inFlight.dropOldest();
    inFlight.dropOldest();
    for (let id = 3; id < 40; id++) inFlight.push(id, <i16>(id % 7), 9);
    expect(inFlight.allocated).toBe(64);
    expect(inFlight.size).toBe(38);
    for (let id = 2; id < 40; id++) {
      expect(inFlight.positionOf(id)).toBe(0);
      expect(inFlight.oldest().correlationId).toBe(id);
      inFlight.dropOldest();
    }
    expect(inFlight.allocated).toBe(64);
  });

  it("never grows past its capacity", () => {
    const inFlight = new InFlightRequests(6);
    for (let id = 0; id < 6; id++) inFlight.push(id, 1, 1);
    expect(inFlight.allocated).toBe(6);
    expect(inFlight.full).toBe(true);
  });

  it("ignores a drop when empty", () => {
    const inFlight = new InFlightRequests(2);
    inFlight.dropOldest();
    expect(inFlight.size).toBe(0);
    inFlight.push(7, 1, 1);
    expect(inFlight.oldest().correlationId).toBe(7);
  });
});
