// One proxied Kafka connection: frames in both directions, headers decoded with
// the codec, responses matched to requests, stats counted.
//
// The filter only observes, so it always returns Continue and Envoy forwards every
// byte as it arrives. Envoy then drains its buffer after each callback, so a
// callback's buffer holds exactly the bytes not seen before (see README,
// "How Envoy hands data to the filter").
import { DecodeError, Reader } from "./codec/reader";
import { RequestHeader, ResponseHeader } from "./codec/header";
import { isKnownApi, requestHeaderVersion } from "./codec/generated/apis";
import { ByteSource, FrameHandler, FrameScanner, FramingError, framingErrorName } from "./framing";
import { InFlightRequests } from "./correlation";
import { ApiMetric, FilterMetric, KafkaMetrics } from "./metrics";
import { FilterConfig } from "./config/filter-config";
import { ConnectionContext, RootContext } from "./proxy/context";
import { BufferType, FilterStatus, LogLevel, PeerType, closeDownstream, copyBufferBytes, log } from "./proxy/host";

// Enough for the request header of any real client (client ids are short);
// a longer header is still matched by its fixed fields.
const REQUEST_PREFIX_BYTES: i32 = 512;
// A response header is the correlation id, plus tagged fields in v1.
const RESPONSE_PREFIX_BYTES: i32 = 4;

// Contexts of one VM run on one thread, one callback at a time: frames are decoded
// with these shared instances so that no allocation happens per frame.
const reader = new Reader();
const requestHeader = new RequestHeader();
const responseHeader = new ResponseHeader();

class HostBuffer extends ByteSource {
  constructor(private readonly bufferType: BufferType) { super(); }

  copy(offset: u32, length: u32, dest: usize): bool {
    return copyBufferBytes(this.bufferType, offset, length, dest) == <i32>length;
  }
}

const downstreamBuffer = new HostBuffer(BufferType.DownstreamData);
const upstreamBuffer = new HostBuffer(BufferType.UpstreamData);

class RequestFrames extends FrameHandler {
  constructor(private readonly metrics: KafkaMetrics, private readonly inFlight: InFlightRequests) { super(); }

  onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void {
    reader.reset(frame, prefixStart, prefixEnd);
    // The key and version lead every header version; they decide which version this one is.
    const apiKey = reader.readInt16();
    const apiVersion = reader.readInt16();
    const headerVersion = requestHeaderVersion(apiKey, apiVersion);
    reader.reset(frame, prefixStart, prefixEnd);
    if (headerVersion < 0) {
      // Still track it by the fixed fields, so its response does not count as unmatched.
      requestHeader.decode(reader, 1);
      this.metrics.count(FilterMetric.UnknownApiRequests);
      if (reader.pos >= prefixStart + 8) this.inFlight.push(requestHeader.correlationId, apiKey, apiVersion);
      return;
    }
    if (!requestHeader.decode(reader, headerVersion)) {
      // A header longer than the copied prefix is cut by us, not malformed.
      const cutByPrefix = reader.errorCode == DecodeError.Truncated && frameSize > prefixEnd - prefixStart;
      if (!cutByPrefix || reader.pos < prefixStart + 8) {
        this.metrics.count(FilterMetric.RequestHeaderErrors);
        if (!cutByPrefix) return;
      }
    }
    this.metrics.countApi(apiKey, ApiMetric.Requests);
    this.inFlight.push(requestHeader.correlationId, apiKey, apiVersion);
  }

  onFrameEnd(frameSize: i32): void {}
}

class ResponseFrames extends FrameHandler {
  constructor(private readonly metrics: KafkaMetrics, private readonly inFlight: InFlightRequests) { super(); }

  onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void {
    reader.reset(frame, prefixStart, prefixEnd);
    // Only the correlation id identifies the request, so read it as header v0;
    // the request decides the real header version.
    if (!responseHeader.decode(reader, 0)) {
      this.metrics.count(FilterMetric.UnmatchedResponses);
      return;
    }
    const unansweredBefore = this.inFlight.unanswered;
    const request = this.inFlight.take(responseHeader.correlationId);
    if (request == null) {
      this.metrics.count(FilterMetric.UnmatchedResponses);
      return;
    }
    this.metrics.count(FilterMetric.UnansweredRequests, <i64>(this.inFlight.unanswered - unansweredBefore));
    if (isKnownApi(request.apiKey)) this.metrics.countApi(request.apiKey, ApiMetric.Responses);
  }

  onFrameEnd(frameSize: i32): void {}
}

export class KafkaConnection extends ConnectionContext {
  private readonly metrics: KafkaMetrics;
  private readonly requests: FrameScanner;
  private readonly responses: FrameScanner;
  private closedByFilter: bool = false;

  constructor(contextId: u32, root: RootContext, config: FilterConfig, metrics: KafkaMetrics) {
    super(contextId, root);
    this.metrics = metrics;
    const inFlight = new InFlightRequests(config.maxInFlightRequests);
    this.requests = new FrameScanner(config.maxFrameBytes, REQUEST_PREFIX_BYTES, new RequestFrames(metrics, inFlight));
    this.responses = new FrameScanner(config.maxFrameBytes, RESPONSE_PREFIX_BYTES, new ResponseFrames(metrics, inFlight));
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    if (this.closedByFilter) return FilterStatus.StopIteration;
    this.requests.feed(downstreamBuffer, dataSize);
    return this.checkStream(this.requests, "request");
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    if (this.closedByFilter) return FilterStatus.StopIteration;
    this.responses.feed(upstreamBuffer, dataSize);
    return this.checkStream(this.responses, "response");
  }

  onDownstreamConnectionClose(peer: PeerType): void {}
  onUpstreamConnectionClose(peer: PeerType): void {}

  /** A stream that broke framing cannot be followed any further: close it rather than guess. */
  private checkStream(scanner: FrameScanner, direction: string): FilterStatus {
    if (scanner.error == FramingError.None) return FilterStatus.Continue;
    this.closedByFilter = true;
    this.metrics.count(FilterMetric.FramingErrors);
    this.metrics.count(FilterMetric.ConnectionsClosed);
    log(LogLevel.Warn, "kafka filter: closing connection: " + direction + " stream is not Kafka framing (" +
      framingErrorName(scanner.error) + ", size field " + scanner.errorSize.toString() + ")");
    closeDownstream();
    return FilterStatus.StopIteration;
  }
}
