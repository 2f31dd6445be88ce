// Kafka framing helpers shared by the corpus capture, the fuzzer and its tests.
// Written independently of the filter's framing code so that it can serve as an
// oracle: a frame is a big-endian int32 size followed by that many bytes.

/**
 * Splits a byte stream into its complete frames.
 * Returns { frames: [{ start, size }], end, error } where `start` is the offset of
 * the size field, `end` is where the last complete frame ends, and `error` is
 * { offset, size } for the first size field that is negative or above `maxFrameBytes`.
 */
export function splitFrames(bytes, maxFrameBytes = 0x7fffffff) {
  const frames = [];
  let offset = 0;
  let error = null;
  while (offset + 4 <= bytes.length) {
    const size = readInt32BE(bytes, offset);
    if (size < 0 || size > maxFrameBytes) {
      error = { offset, size };
      break;
    }
    if (offset + 4 + size > bytes.length) break;
    frames.push({ start: offset, size });
    offset += 4 + size;
  }
  return { frames, end: offset, error };
}

export function readInt32BE(bytes, offset) {
  return (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
}

export function readInt16BE(bytes, offset) {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16)) >> 16;
}

/** Api key, version and correlation id of a request frame (null fields when the frame is shorter). */
export function requestFields(bytes, frame) {
  const body = frame.start + 4;
  return {
    apiKey: frame.size >= 2 ? readInt16BE(bytes, body) : null,
    apiVersion: frame.size >= 4 ? readInt16BE(bytes, body + 2) : null,
    correlationId: frame.size >= 8 ? readInt32BE(bytes, body + 4) : null,
  };
}

export function responseCorrelationId(bytes, frame) {
  return frame.size >= 4 ? readInt32BE(bytes, frame.start + 4) : null;
}

/**
 * Orders the frames of one captured connection causally: every response comes
 * after the request it answers (the oldest pending request with its correlation
 * id, as a broker answers in order; acks=0 Produce requests get no answer).
 * Returns a list of { dir: "request" | "response", start, end } byte ranges in
 * delivery order, covering both streams completely (trailing partial bytes last).
 */
export function causalOrder(requestBytes, responseBytes) {
  const requests = splitFrames(requestBytes);
  const responses = splitFrames(responseBytes);
  const pending = requests.frames.map((f) => requestFields(requestBytes, f).correlationId);
  const steps = [];
  let nextRequest = 0;
  let pendingFrom = 0;
  const deliverRequestsThrough = (index) => {
    for (; nextRequest <= index && nextRequest < requests.frames.length; nextRequest++) {
      const f = requests.frames[nextRequest];
      steps.push({ dir: "request", start: f.start, end: f.start + 4 + f.size });
    }
  };
  for (const r of responses.frames) {
    const correlationId = responseCorrelationId(responseBytes, r);
    let match = -1;
    for (let i = pendingFrom; i < pending.length; i++) {
      if (pending[i] === correlationId) { match = i; break; }
    }
    if (match >= 0) {
      deliverRequestsThrough(match);
      pendingFrom = match + 1;
    }
    steps.push({ dir: "response", start: r.start, end: r.start + 4 + r.size });
  }
  deliverRequestsThrough(requests.frames.length - 1);
  if (requests.end < requestBytes.length) steps.push({ dir: "request", start: requests.end, end: requestBytes.length });
  if (responses.end < responseBytes.length) steps.push({ dir: "response", start: responses.end, end: responseBytes.length });
  return steps;
}
