import { parseFilterConfig } from "../../../assembly/config/filter-config";

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
      .toBe('field "topic_labels": item 1 must be a Kafka topic name (1 to 249 of [A-Za-z0-9._-], not "." or "..")');
    expectMention(parseFilterConfig('{"topic_labels":[""]}').error, 'field "topic_labels": item 0');
    expectMention(parseFilterConfig('{"topic_labels":[".."]}').error, 'field "topic_labels": item 0');
    expectMention(parseFilterConfig('{"topic_labels":[7]}').error, 'field "topic_labels": item 0');
    expect(parseFilterConfig('{"max_topic_labels":1,"topic_labels":["a","b"]}').error)
      .toBe('field "topic_labels": lists 2 topics, more than max_topic_labels (1)');
  });

  it("says where JSON is broken", () => {
    expect(parseFilterConfig('{"stat_prefix": "a",}').error).toBe("configuration is not valid JSON: expected a member name at offset 20");
    expect(parseFilterConfig("[1,2]").error).toBe("configuration must be a JSON object, got an array");
    expectMention(parseFilterConfig('{"a":1,"a":2}').error, "duplicate member");
    expectMention(parseFilterConfig('{"stat_prefix":"x"').error, "unterminated object");
  });

  it("never traps on hostile text", () => {
    const samples: string[] = ["{", "}", "\"", "\"\\u12", "-", "1e999999", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
      "{\"stat_prefix\":\"\\q\"}", "nul", "\u0000", "{\"a\":[1,2,{\"b\":null}]}"];
    for (let i = 0; i < samples.length; i++) expect(parseFilterConfig(samples[i]).error).not.toBe("");
  });
});
