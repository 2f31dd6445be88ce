import { parseFilterConfig, parseFilterConfigBytes } from "../../../assembly/config/filter-config";

function expectMention(error: string, part: string): void {
  expect(error.includes(part)).toBe(true, "\"" + error + "\" should mention " + part);
}

describe("plugin configuration", () => {
  it("uses the defaults for an empty configuration", () => {
    const result = parseFilterConfig("");
    expect(result.error).toBe("");
    expect(result.config!.statPrefix).toBe("kafka");
    expect(result.config!.maxFrameBytes).toBe(104857600);
    expect(result.config!.maxInFlightRequests).toBe(1024);
  });

  it("reads every field", () => {
    const result = parseFilterConfig('{"stat_prefix":"broker_7","max_frame_bytes":1048576,"max_in_flight_requests":5}');
    expect(result.error).toBe("");
    expect(result.config!.statPrefix).toBe("broker_7");
    expect(result.config!.maxFrameBytes).toBe(1048576);
    expect(result.config!.maxInFlightRequests).toBe(5);
  });

  it("names an unknown field", () => {
    expect(parseFilterConfig('{"stat_prefix":"a","max_frame_byte":1}').error)
      .toBe('field "max_frame_byte": unknown field (known: stat_prefix, max_frame_bytes, max_in_flight_requests, max_client_software_labels, max_inspected_response_bytes, max_topic_labels, topic_labels, max_held_frame_bytes, acl, broker_addresses, compression_stats, batch_size_histograms, record_age, throttle_stats, max_client_id_labels, client_id_labels, consumer_lag)');
  });

  it("reads the held-frame limit and the ACL section, and passes on an ACL error as is", () => {
    const ok = parseFilterConfig('{"max_held_frame_bytes":65536,"acl":{"default":"allow","rules":[]}}');
    expect(ok.error).toBe("");
    expect(ok.config!.maxHeldFrameBytes).toBe(65536);
    expect(ok.config!.acl != null).toBe(true);
    expect(ok.config!.acl!.defaultAllow).toBe(true);
    expect(parseFilterConfig("{}").config!.acl == null).toBe(true);
    expectMention(parseFilterConfig('{"max_held_frame_bytes":10}').error, 'field "max_held_frame_bytes"');
    const bad = parseFilterConfig('{"acl":{"rules":[{"name":"r1","effect":"allow","principal":"User:a","resource_type":"topic","pattern_type":"literal","resource_name":"t","operations":["wrte"]}]}}');
    expect(bad.config == null).toBe(true);
    expectMention(bad.error, 'acl.rules[0] ("r1").operations[0]');
  });

  it("names a field of the wrong type or range", () => {
    expectMention(parseFilterConfig('{"max_frame_bytes":"big"}').error, 'field "max_frame_bytes"');
    expectMention(parseFilterConfig('{"max_frame_bytes":3.5}').error, 'field "max_frame_bytes"');
    expectMention(parseFilterConfig('{"max_in_flight_requests":0}').error, 'field "max_in_flight_requests"');
    expectMention(parseFilterConfig('{"stat_prefix":"a.b"}').error, 'field "stat_prefix"');
    expectMention(parseFilterConfig('{"stat_prefix":""}').error, 'field "stat_prefix"');
  });

  it("caps topic labels at 100 by default, with no allowlist", () => {
    const config = parseFilterConfig("").config!;
    expect(config.maxTopicLabels).toBe(100);
    expect(config.topicLabels == null).toBe(true);
  });

  it("reads max_topic_labels and the topic_labels allowlist, dropping repeats", () => {
    const config = parseFilterConfig('{"max_topic_labels":3,"topic_labels":["orders","audit.log-1","orders"]}').config!;
    expect(config.maxTopicLabels).toBe(3);
    const names = config.topicLabels!;
    expect(names.length).toBe(2);
    expect(names[0]).toBe("orders");
    expect(names[1]).toBe("audit.log-1");
    expect(parseFilterConfig('{"max_topic_labels":0}').config!.maxTopicLabels).toBe(0);
  });

  it("names the topic label field that is wrong", () => {
    expectMention(parseFilterConfig('{"max_topic_labels":-1}').error, 'field "max_topic_labels"');
    expectMention(parseFilterConfig('{"max_topic_labels":10001}').error, 'field "max_topic_labels"');
    expectMention(parseFilterConfig('{"topic_labels":"orders"}').error, 'field "topic_labels"');
    expect(parseFilterConfig('{"topic_labels":["ok","bad/name"]}').error)
      .toBe('field "topic_labels[1]": must be a Kafka topic name (1 to 249 of [A-Za-z0-9._-], not "." or "..")');
    expectMention(parseFilterConfig('{"topic_labels":[""]}').error, 'field "topic_labels[0]"');
    expectMention(parseFilterConfig('{"topic_labels":[".."]}').error, 'field "topic_labels[0]"');
    expectMention(parseFilterConfig('{"topic_labels":[7]}').error, 'field "topic_labels[0]"');
    expect(parseFilterConfig('{"max_topic_labels":1,"topic_labels":["a","b"]}').error)
      .toBe('field "topic_labels[1]": one topic more than max_topic_labels (1) allows');
  });

  it("says where JSON is broken", () => {
    expect(parseFilterConfig('{"stat_prefix": "a",}').error).toBe("configuration is not valid JSON: expected a member name at offset 20");
    expect(parseFilterConfig("[1,2]").error).toBe("configuration must be a JSON object, got an array");
    expectMention(parseFilterConfig('{"a":1,"a":2}').error, "duplicate member");
    expectMention(parseFilterConfig('{"stat_prefix":"x"').error, "unterminated object");
  });

  it("reads numbers by JSON's grammar: a malformed one is an error, not a prefix of it", () => {
    // parseFloat read "100-5" as 100 and "1e+" as 1: a typo became a different value.
    const bad: string[] = ["100-5", "1e+", "1--2", "0100", "128.", ".5", "+1", "1e", "-", "1.2.3", "1ee2", "00", "-01"];
    for (let i = 0; i < bad.length; i++) {
      const error = parseFilterConfig('{"max_in_flight_requests": ' + bad[i] + "}").error;
      expect(error.startsWith("configuration is not valid JSON: ")).toBe(true, bad[i] + ": " + error);
      expectMention(error, "(at max_in_flight_requests)");
    }
    const good: string[] = ["1000", "1e3", "1E3", "1e+3", "10000e-1", "1000.0", "1.5e3"];
    for (let i = 0; i < good.length; i++) {
      const config = parseFilterConfig('{"max_in_flight_requests": ' + good[i] + "}").config;
      expect(config != null).toBe(true, good[i]);
      expect(config!.maxInFlightRequests).toBe(i == 6 ? 1500 : 1000, good[i]);
    }
    expect(parseFilterConfig('{"max_frame_bytes": 0100}').error)
      .toBe("configuration is not valid JSON: invalid number (no leading zeros) at offset 20 (at max_frame_bytes)");
    expect(parseFilterConfig('{"max_client_software_labels": -0}').config!.maxClientSoftwareLabels).toBe(0);
    expectMention(parseFilterConfig('{"max_frame_bytes": 1e400}').error, 'field "max_frame_bytes"');
    expectMention(parseFilterConfig('{"max_frame_bytes": 9007199254740993}').error, 'field "max_frame_bytes"');
  });

  it("names the path of a JSON error inside the document", () => {
    expect(parseFilterConfig('{"consumer_lag":{"expiry_ms":1000,"expiry_ms":2000}}').error)
      .toBe('configuration is not valid JSON: duplicate member "expiry_ms" at offset 45 (at consumer_lag.expiry_ms)');
    expectMention(parseFilterConfig('{"acl":{"rules":[{"name":"r"},{"name":"s","hosts":["a" "b"]}]}}').error,
      "expected ',' or ']' at offset 55 (at acl.rules[1].hosts[0])");
    expectMention(parseFilterConfig('{"broker_addresses":{"nodes":{"1":"a:1","1":"b:1"}}}').error,
      'duplicate member "1" at offset 43 (at broker_addresses.nodes."1")');
  });

  it("finds a repeated member among many (checked through a set past 16 members)", () => {
    let text = '{"broker_addresses":{"nodes":{';
    for (let i = 0; i < 40; i++) text += '"' + i.toString() + '":"h:1",';
    text += '"7":"h:2"}}}';
    expectMention(parseFilterConfig(text).error, 'duplicate member "7"');
    expect(parseFilterConfig(text.replace('"7":"h:2"', '"40":"h:2"')).error).toBe("");
  });

  it("refuses a label allowlist at its first entry past the limit, repeats not counted", () => {
    expect(parseFilterConfig('{"max_topic_labels":2,"topic_labels":["a","a","b","a","c","d"]}').error)
      .toBe('field "topic_labels[4]": one topic more than max_topic_labels (2) allows');
    expect(parseFilterConfig('{"max_topic_labels":2,"topic_labels":["a","b","b","a"]}').config!.topicLabels!.join(",")).toBe("a,b");
    expect(parseFilterConfig('{"max_client_id_labels":0,"client_id_labels":["x"]}').error)
      .toBe('field "client_id_labels[0]": one client id more than max_client_id_labels (0) allows');
  });

  it("refuses a lone surrogate escape, and reads a pair as one character", () => {
    // Accepted before: a client id label "\ud800" that no client id (UTF-8 on the wire) can match.
    const lone: string[] = ["\\ud800", "\\udc00", "\\ud800x", "\\ud800\\u0041", "\\udc00\\ud800"];
    for (let i = 0; i < lone.length; i++) {
      expectMention(parseFilterConfig('{"client_id_labels":["' + lone[i] + '"]}').error, "lone surrogate in \\u escape");
    }
    const ids = parseFilterConfig('{"client_id_labels":["\\ud83d\\ude00", "\\u00e9"]}').config!.insight.clientIdLabels!;
    expect(ids[0]).toBe("\u{1F600}");
    expect(ids[1]).toBe("\u00e9");
  });

  it("never traps on hostile text", () => {
    const samples: string[] = ["{", "}", "\"", "\"\\u12", "-", "1e999999", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
      "{\"stat_prefix\":\"\\q\"}", "nul", "\u0000", "{\"a\":[1,2,{\"b\":null}]}"];
    for (let i = 0; i < samples.length; i++) expect(parseFilterConfig(samples[i]).error).not.toBe("");
  });
});

function bytesOf(values: i32[]): ArrayBuffer {
  const buffer = new ArrayBuffer(values.length);
  const view = Uint8Array.wrap(buffer);
  for (let i = 0; i < values.length; i++) view[i] = <u8>values[i];
  return buffer;
}

describe("plugin configuration bytes", () => {
  it("refuses bytes that are not UTF-8, naming the offset, and reads UTF-8 text", () => {
    // {"stat_prefix":"a\xff"} once lost its closing quote to the lenient decoder; a principal
    // with a stray byte loaded as one with U+FFFD, matching nobody.
    const prefix: i32[] = [];
    const text = '{"client_id_labels":["a';
    for (let i = 0; i < text.length; i++) prefix.push(text.charCodeAt(i));
    const tail: i32[] = [0x22, 0x5d, 0x7d];
    const invalid: i32[][] = [[0xff], [0xc3, 0x28], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0x80]];
    for (let k = 0; k < invalid.length; k++) {
      const bytes = prefix.concat(invalid[k]).concat(tail);
      expect(parseFilterConfigBytes(bytesOf(bytes)).error).toBe("configuration is not valid UTF-8 at byte " + prefix.length.toString(), k.toString());
    }
    expect(parseFilterConfigBytes(bytesOf(prefix.concat([0xe2, 0x82]))).error).toBe("configuration is not valid UTF-8 at byte " + prefix.length.toString());
    const valid: i32[][] = [[0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xef, 0xbf, 0xbf], [0xf4, 0x8f, 0xbf, 0xbf]];
    for (let k = 0; k < valid.length; k++) {
      const result = parseFilterConfigBytes(bytesOf(prefix.concat(valid[k]).concat(tail)));
      expect(result.error).toBe("", k.toString());
      expect(String.UTF8.byteLength(result.config!.insight.clientIdLabels![0])).toBe(1 + valid[k].length);
    }
    expect(parseFilterConfigBytes(new ArrayBuffer(0)).config!.statPrefix).toBe("kafka");
  });
});
