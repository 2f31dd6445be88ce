// The request/response latency probe of `npm run bench:proxy -- --latency`: one
// connection per target (an Envoy variant), one request in flight at a time, each
// request timed from just before its first byte is written to just after the last byte
// of its response is read, with System.nanoTime (CLOCK_MONOTONIC on Linux, ns).
// Requests are built and responses checked with Kafka's own classes
// (org.apache.kafka.common.requests.*), written over a plain (or TLS) socket, so the
// client adds no batching, no pipelining and no background threads.
//
//   java LatencyProbe --target a=127.0.0.1:9001 --target b=ssl://127.0.0.1:9002 [--target c=...]
//                     --topic t --out samples.csv [--apis produce,fetch,metadata]
//                     [--samples 10000] [--block 100] [--warmup 1000] [--records 10]
//                     [--record-size 1024] [--acks 1] [--pause-us 0] [--client-id id]
//                     [--tls-ca ca.pem]
//
// A target written ssl://host:port is reached over TLS, trusting the PEM certificates in
// --tls-ca and checking that the server's certificate names host (as Kafka's clients do).
// Per API (in --apis order; Produce first, so that Fetch finds a batch at offset 0):
// --warmup requests per target (not recorded), then --samples per target, in blocks of
// --block requests on one target at a time, the targets' order reversed every block
// (a b c, c b a, ...) so that no target always follows another. Every response's
// correlation id is checked; the first response of every block, and every warm-up one,
// is also parsed whole and must carry no error (Fetch: and at least one record batch).
// Parsing is outside the timed span. Requests are serialized once; only the correlation
// id is patched in place.
//   Produce: ProduceRequest, acks --acks, one batch of --records records of --record-size
//            random bytes to partition 0.
//   Fetch:   FetchRequest (sessionless, max wait 0, min bytes 0) of partition 0 from
//            offset 0, at most one batch's size: the batch the Produce phase wrote first.
//   Metadata: MetadataRequest for the one topic, no auto-creation.
// Each connection first sends ApiVersions (the versions used are the highest the client
// classes and every target support, so all targets are timed on the same version) and
// Metadata (for the topic id), as a client does.
//
// Writes "api,target,block,nanos,at" lines to --out (`at`: ns from the probe's start to
// the request's, to see when slow requests happened), and one JSON line on stdout:
// {"ok":true,"versions":{"produce":13,...},"topicId":"...","samples":N}. Logs go to stderr.
import java.io.BufferedWriter;
import java.io.DataInputStream;
import java.io.FileInputStream;
import java.io.FileWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.FetchMetadata;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.RequestHeader;

public final class LatencyProbe {
    private static PrintStream out;

    public static void main(String[] argv) throws Exception {
        out = System.out;
        System.setOut(System.err);
        Map<String, List<String>> options = parse(argv);
        String topic = one(options, "topic", null);
        String outFile = one(options, "out", null);
        List<String> apis = Arrays.asList(one(options, "apis", "produce,fetch,metadata").split(","));
        int samples = Integer.parseInt(one(options, "samples", "10000"));
        int block = Integer.parseInt(one(options, "block", "100"));
        int warmup = Integer.parseInt(one(options, "warmup", "1000"));
        int records = Integer.parseInt(one(options, "records", "10"));
        int recordSize = Integer.parseInt(one(options, "record-size", "1024"));
        short acks = Short.parseShort(one(options, "acks", "1"));
        long pauseNanos = Long.parseLong(one(options, "pause-us", "0")) * 1000L;
        String clientId = one(options, "client-id", "bench-latency");
        String tlsCa = one(options, "tls-ca", "");
        if (topic == null || outFile == null || !options.containsKey("target")) fail("--target, --topic and --out are required");
        if (samples <= 0 || block <= 0 || warmup < 0 || samples % block != 0) fail("--samples must be a positive multiple of --block");

        long probeStart = System.nanoTime();
        SSLContext tls = tlsCa.isEmpty() ? null : trusting(tlsCa);
        List<Target> targets = new ArrayList<>();
        for (String spec : options.get("target")) {
            int eq = spec.indexOf('=');
            int colon = spec.lastIndexOf(':');
            if (eq <= 0 || colon <= eq) fail("--target must be key=host:port or key=ssl://host:port, got " + spec);
            String host = spec.substring(eq + 1, colon);
            boolean secure = host.startsWith("ssl://");
            if (secure && tls == null) fail("--target " + spec + " is TLS but there is no --tls-ca");
            targets.add(new Target(spec.substring(0, eq), secure ? host.substring(6) : host, Integer.parseInt(spec.substring(colon + 1)),
                secure ? tls : null, clientId));
        }
        Uuid topicId = null;
        for (Target t : targets) {
            Uuid id = t.handshake(topic);
            if (topicId != null && !topicId.equals(id)) fail("targets disagree on the topic id of " + topic + ": " + topicId + " vs " + id);
            topicId = id;
        }

        byte[] value = new byte[recordSize];
        new SecureRandom().nextBytes(value);
        SimpleRecord[] batch = new SimpleRecord[records];
        for (int i = 0; i < records; i++) batch[i] = new SimpleRecord(System.currentTimeMillis(), null, value);
        MemoryRecords memoryRecords = MemoryRecords.withRecords(Compression.NONE, batch);
        int batchBytes = memoryRecords.sizeInBytes();

        Map<String, Integer> versions = new LinkedHashMap<>();
        try (BufferedWriter writer = new BufferedWriter(new FileWriter(outFile))) {
            for (String api : apis) {
                ApiKeys key;
                switch (api) {
                    case "produce": key = ApiKeys.PRODUCE; break;
                    case "fetch": key = ApiKeys.FETCH; break;
                    case "metadata": key = ApiKeys.METADATA; break;
                    default: fail("unknown API " + api); return;
                }
                // The newest version every target takes: a proxy (Kroxylicious) may cap what the broker offers.
                short version = key.latestVersion();
                for (Target t : targets) version = (short) Math.min(version, t.maxVersion(key));
                versions.put(api, (int) version);
                AbstractRequest request = build(api, version, topic, topicId, acks, memoryRecords, batchBytes);
                for (Target t : targets) t.prepare(key, version, request);
                for (int i = 0; i < warmup; i++) {
                    for (Target t : targets) { t.timedRequest(); t.check(api); }
                }
                long[][] nanos = new long[targets.size()][samples];
                long[][] at = new long[targets.size()][samples];
                int blocks = samples / block;
                for (int b = 0; b < blocks; b++) {
                    for (int k = 0; k < targets.size(); k++) {
                        int index = b % 2 == 0 ? k : targets.size() - 1 - k;
                        Target t = targets.get(index);
                        for (int i = 0; i < block; i++) {
                            if (pauseNanos > 0) LockSupport.parkNanos(pauseNanos);
                            at[index][b * block + i] = System.nanoTime() - probeStart;
                            nanos[index][b * block + i] = t.timedRequest();
                            if (i == 0) t.check(api);
                        }
                    }
                }
                for (int k = 0; k < targets.size(); k++) {
                    StringBuilder line = new StringBuilder();
                    for (int s = 0; s < samples; s++) {
                        line.setLength(0);
                        line.append(api).append(',').append(targets.get(k).key).append(',').append(s / block).append(',').append(nanos[k][s]).append(',').append(at[k][s]).append('\n');
                        writer.write(line.toString());
                    }
                }
                System.err.println("LatencyProbe: " + api + " v" + version + " done");
            }
        }
        for (Target t : targets) t.close();
        StringBuilder json = new StringBuilder("{\"ok\":true,\"versions\":{");
        int n = 0;
        for (Map.Entry<String, Integer> e : versions.entrySet()) json.append(n++ > 0 ? "," : "").append('"').append(e.getKey()).append("\":").append(e.getValue());
        json.append("},\"topicId\":\"").append(topicId).append("\",\"samples\":").append(samples).append(",\"batchBytes\":").append(batchBytes).append('}');
        out.println(json);
    }

    private static AbstractRequest build(String api, short version, String topic, Uuid topicId, short acks, MemoryRecords records, int batchBytes) {
        switch (api) {
            case "produce": {
                ProduceRequestData.TopicProduceDataCollection topics = new ProduceRequestData.TopicProduceDataCollection();
                topics.add(new ProduceRequestData.TopicProduceData().setName(topic).setTopicId(topicId).setPartitionData(
                    Collections.singletonList(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records))));
                return ProduceRequest.builder(new ProduceRequestData().setAcks(acks).setTimeoutMs(30000).setTopicData(topics)).build(version);
            }
            case "fetch": {
                Map<TopicPartition, FetchRequest.PartitionData> partitions = new LinkedHashMap<>();
                partitions.put(new TopicPartition(topic, 0), new FetchRequest.PartitionData(topicId, 0L, -1L, batchBytes, Optional.empty()));
                return FetchRequest.Builder.forConsumer(version, 0, 0, partitions).metadata(FetchMetadata.LEGACY).setMaxBytes(batchBytes).build(version);
            }
            default: {
                MetadataRequestData data = new MetadataRequestData().setAllowAutoTopicCreation(false)
                    .setTopics(Collections.singletonList(new MetadataRequestData.MetadataRequestTopic().setName(topic).setTopicId(Uuid.ZERO_UUID)));
                return new MetadataRequest.Builder(data).build(version);
            }
        }
    }

    /** One connection to one target, with the prepared frame of the API being measured. */
    private static final class Target {
        final String key;
        final Socket socket;
        final DataInputStream in;
        final OutputStream os;
        final String clientId;
        final Map<ApiKeys, Short> brokerMax = new LinkedHashMap<>();
        int correlationId = 0;
        byte[] frame;
        byte[] response = new byte[1 << 16];
        int responseSize;
        ApiKeys apiKey;
        short apiVersion;

        Target(String key, String host, int port, SSLContext tls, String clientId) throws IOException {
            this.key = key;
            this.clientId = clientId;
            Socket plain = new Socket();
            plain.setTcpNoDelay(true);
            plain.connect(new InetSocketAddress(host, port), 10000);
            plain.setSoTimeout(30000);
            if (tls != null) {
                SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, true);
                SSLParameters parameters = secure.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                secure.setSSLParameters(parameters);
                secure.startHandshake();
                this.socket = secure;
            } else {
                this.socket = plain;
            }
            this.in = new DataInputStream(socket.getInputStream());
            this.os = socket.getOutputStream();
        }

        short maxVersion(ApiKeys key) {
            Short max = brokerMax.get(key);
            if (max == null) fail(this.key + ": the broker does not offer " + key);
            return max;
        }

        /** ApiVersions, then Metadata for `topic`: returns its topic id. */
        Uuid handshake(String topic) throws IOException {
            prepare(ApiKeys.API_VERSIONS, ApiKeys.API_VERSIONS.latestVersion(), new ApiVersionsRequest.Builder().build(ApiKeys.API_VERSIONS.latestVersion()));
            timedRequest();
            ApiVersionsResponse versions = (ApiVersionsResponse) parse();
            if (versions.data().errorCode() != 0) fail(key + ": ApiVersions failed with " + Errors.forCode(versions.data().errorCode()));
            for (ApiKeys k : new ApiKeys[] {ApiKeys.PRODUCE, ApiKeys.FETCH, ApiKeys.METADATA}) {
                if (versions.apiVersion(k.id) != null) brokerMax.put(k, versions.apiVersion(k.id).maxVersion());
            }
            short version = (short) Math.min(ApiKeys.METADATA.latestVersion(), maxVersion(ApiKeys.METADATA));
            MetadataRequestData data = new MetadataRequestData().setAllowAutoTopicCreation(false)
                .setTopics(Collections.singletonList(new MetadataRequestData.MetadataRequestTopic().setName(topic).setTopicId(Uuid.ZERO_UUID)));
            prepare(ApiKeys.METADATA, version, new MetadataRequest.Builder(data).build(version));
            timedRequest();
            MetadataResponse metadata = (MetadataResponse) parse();
            MetadataResponseData.MetadataResponseTopic found = metadata.data().topics().find(topic);
            Uuid id = found == null ? null : found.topicId();
            if (id == null || id.equals(Uuid.ZERO_UUID)) fail(key + ": Metadata has no topic id for " + topic + ": " + metadata.data());
            return id;
        }

        void prepare(ApiKeys key, short version, AbstractRequest request) {
            apiKey = key;
            apiVersion = version;
            ByteBuffer body = request.serializeWithHeader(new RequestHeader(key, version, clientId, 0));
            frame = new byte[4 + body.remaining()];
            ByteBuffer.wrap(frame).putInt(body.remaining());
            body.get(frame, 4, body.remaining());
        }

        /** Sends the prepared frame under a new correlation id; returns ns from first byte written to last byte read. */
        long timedRequest() throws IOException {
            int id = ++correlationId;
            frame[8] = (byte) (id >>> 24);
            frame[9] = (byte) (id >>> 16);
            frame[10] = (byte) (id >>> 8);
            frame[11] = (byte) id;
            long start = System.nanoTime();
            os.write(frame);
            os.flush();
            int size = in.readInt();
            if (size < 4) fail(key + ": response size " + size);
            if (size > response.length) response = new byte[Math.max(size, response.length * 2)];
            in.readFully(response, 0, size);
            long end = System.nanoTime();
            responseSize = size;
            int got = ((response[0] & 0xff) << 24) | ((response[1] & 0xff) << 16) | ((response[2] & 0xff) << 8) | (response[3] & 0xff);
            if (got != id) fail(key + ": response correlation id " + got + ", expected " + id);
            return end - start;
        }

        AbstractResponse parse() {
            return AbstractResponse.parseResponse(ByteBuffer.wrap(response, 0, responseSize), new RequestHeader(apiKey, apiVersion, clientId, correlationId));
        }

        /** Parses the last response whole: no error anywhere in it, and Fetch returned records. */
        void check(String api) {
            AbstractResponse parsed = parse();
            for (Map.Entry<Errors, Integer> e : parsed.errorCounts().entrySet()) {
                if (e.getKey() != Errors.NONE) fail(key + ": " + api + " response carries " + e.getKey() + " (x" + e.getValue() + "): " + parsed.data());
            }
            if (api.equals("fetch")) {
                FetchResponse fetch = (FetchResponse) parsed;
                int bytes = fetch.data().responses().get(0).partitions().get(0).records().sizeInBytes();
                if (bytes <= 0) fail(key + ": Fetch returned no records: " + fetch.data());
            }
        }

        void close() throws IOException { socket.close(); }
    }

    private static SSLContext trusting(String caPem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream pem = new FileInputStream(caPem)) {
            int i = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(pem)) store.setCertificateEntry("ca" + i++, certificate);
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), new SecureRandom());
        return context;
    }

    private static Map<String, List<String>> parse(String[] args) {
        Map<String, List<String>> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) fail("bad option " + args[i]);
            options.computeIfAbsent(args[i].substring(2), k -> new ArrayList<>()).add(args[i + 1]);
        }
        return options;
    }

    private static String one(Map<String, List<String>> options, String name, String fallback) {
        List<String> values = options.get(name);
        return values == null ? fallback : values.get(values.size() - 1);
    }

    private static void fail(String message) {
        System.err.println("LatencyProbe: " + message);
        out.println("{\"ok\":false,\"error\":" + quote(message) + "}");
        System.exit(1);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
