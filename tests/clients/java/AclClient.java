// A command-line Kafka client for the ACL integration tests, on Kafka's own Java
// clients (the newest API versions: Metadata v13, Fetch and Produce by topic id).
// Every subcommand prints one JSON object on stdout; a Kafka exception is reported
// by its class name and message rather than thrown, so tests assert on what a real
// application would see. Client logs go to stderr.
//
//   java AclClient <subcommand> --bootstrap host:port [--user u --password p [--sasl-mechanism PLAIN]] [--client-id id]
//                  [--ssl-truststore t.p12 [--ssl-keystore k.p12] --ssl-store-password pw] ...
//   (--ssl-truststore switches to TLS; the stores are PKCS12, both under one password. --user
//   switches to SASL: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; with a trust store too, SASL_SSL)
//   create-topics   --topics a,b [--partitions 1]        {"results":{"a":{"ok":true},"b":{"ok":false,"error":"TopicAuthorizationException",...}}}
//   delete-topics   --topics a,b                         (same shape)
//   list-topics                                          {"ok":true,"topics":["a",...]}
//   describe-cluster                                     {"ok":true,"nodes":["1=host:port",...]}: the brokers Metadata
//                                                        (DescribeCluster) named, as the client will connect to them
//   describe-topics --topics a,b                         {"results":{"a":{"ok":true,"topicId":"...","partitions":1},...}}
//   produce         --topic t --count N [--acks all] [--compression gzip]   {"results":[{"ok":true,"offset":0},{"ok":false,"error":...}],"ok":N}
//   consume         --topic t --count N [--group g | --assign] [--timeout-ms 15000]
//                                                        {"ok":true,"records":[{"key":..,"value":..,"offset":..}]} or {"ok":false,"error":...}
//   commit-offset   --group g --topic t [--partition 0] --offset 0
//                                                        {"ok":true} or {"ok":false,"error":...}
//   subject-name    --certificate c.pem                  {"ok":true,"name":"CN=..."}: X500Principal.getName(), the
//                                                        name Kafka's default principal builder gives a TLS client
//   transactional-produce --transactional-id x --topic t --count N
//                                                        {"ok":true,"committed":N} or {"ok":false,"error":...}
//   consume also takes --group-protocol classic|consumer (KIP-848).
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class AclClient {
    private static PrintStream out;

    public static void main(String[] argv) throws Exception {
        // Before any Kafka class loads, so log appenders bound to System.out write to stderr.
        out = System.out;
        System.setOut(System.err);
        if (argv.length == 0) usage("no subcommand");
        Options options = Options.parse(Arrays.copyOfRange(argv, 1, argv.length));
        String json;
        switch (argv[0]) {
            case "create-topics": json = createTopics(options); break;
            case "delete-topics": json = deleteTopics(options); break;
            case "list-topics": json = listTopics(options); break;
            case "describe-cluster": json = describeCluster(options); break;
            case "describe-topics": json = describeTopics(options); break;
            case "produce": json = produce(options); break;
            case "consume": json = consume(options); break;
            case "commit-offset": json = commitOffset(options); break;
            case "subject-name": json = subjectName(options); break;
            case "transactional-produce": json = transactionalProduce(options); break;
            default: usage("unknown subcommand " + argv[0]); return;
        }
        out.println(json);
        out.flush();
        // Client threads (metadata refreshes, heartbeats) must not keep the test waiting.
        System.exit(0);
    }

    private static void usage(String why) {
        System.err.println("AclClient: " + why + "; subcommands: create-topics, delete-topics, list-topics, describe-topics, produce, consume, commit-offset, subject-name, transactional-produce");
        System.exit(2);
    }

    // ---- subcommands ----

    private static String createTopics(Options o) throws Exception {
        int partitions = o.integer("partitions", 1);
        List<NewTopic> topics = new ArrayList<>();
        for (String name : o.list("topics")) topics.add(new NewTopic(name, partitions, (short) 1));
        try (Admin admin = Admin.create(o.adminProperties())) {
            return perName(admin.createTopics(topics).values());
        }
    }

    private static String deleteTopics(Options o) throws Exception {
        try (Admin admin = Admin.create(o.adminProperties())) {
            return perName(admin.deleteTopics(o.list("topics")).topicNameValues());
        }
    }

    private static String listTopics(Options o) throws Exception {
        try (Admin admin = Admin.create(o.adminProperties())) {
            try {
                Collection<String> names = new TreeSet<>(admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(o.timeoutMs(), TimeUnit.MILLISECONDS));
                return new Json().put("ok", true).putStrings("topics", names).toString();
            } catch (ExecutionException e) {
                return failure(new Json(), e.getCause()).toString();
            }
        }
    }

    private static String describeCluster(Options o) throws Exception {
        try (Admin admin = Admin.create(o.adminProperties())) {
            try {
                Collection<String> nodes = new TreeSet<>();
                for (org.apache.kafka.common.Node node : admin.describeCluster().nodes().get(o.timeoutMs(), TimeUnit.MILLISECONDS)) {
                    nodes.add(node.id() + "=" + node.host() + ":" + node.port());
                }
                return new Json().put("ok", true).putStrings("nodes", nodes).toString();
            } catch (ExecutionException e) {
                return failure(new Json(), e.getCause()).toString();
            }
        }
    }

    private static String describeTopics(Options o) throws Exception {
        try (Admin admin = Admin.create(o.adminProperties())) {
            Map<String, KafkaFuture<TopicDescription>> futures = admin.describeTopics(o.list("topics")).topicNameValues();
            Json results = new Json();
            for (Map.Entry<String, KafkaFuture<TopicDescription>> entry : futures.entrySet()) {
                Json result = new Json();
                try {
                    TopicDescription description = entry.getValue().get(o.timeoutMs(), TimeUnit.MILLISECONDS);
                    result.put("ok", true).put("topicId", description.topicId().toString()).put("partitions", description.partitions().size());
                } catch (ExecutionException e) {
                    failure(result, e.getCause());
                }
                results.putRaw(entry.getKey(), result.toString());
            }
            return new Json().putRaw("results", results.toString()).toString();
        }
    }

    private static String produce(Options o) throws Exception {
        String topic = o.required("topic");
        int count = o.integer("count", 1);
        Properties p = o.clientProperties();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, o.text("acks", "all"));
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, o.text("idempotence", "false"));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(o.timeoutMs()));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(o.timeoutMs()));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.min(o.timeoutMs(), 10000)));
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, o.text("compression", "none"));
        List<String> results = new ArrayList<>();
        int succeeded = 0;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            List<Future<RecordMetadata>> futures = new ArrayList<>();
            List<Exception> sendErrors = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                try {
                    futures.add(producer.send(new ProducerRecord<>(topic, "key-" + i, o.text("value-prefix", "value") + "-" + i)));
                    sendErrors.add(null);
                } catch (Exception e) {
                    futures.add(null);
                    sendErrors.add(e);
                }
            }
            for (int i = 0; i < count; i++) {
                Json result = new Json();
                if (futures.get(i) == null) {
                    failure(result, sendErrors.get(i));
                } else {
                    try {
                        RecordMetadata metadata = futures.get(i).get();
                        result.put("ok", true).put("partition", metadata.partition()).put("offset", metadata.offset());
                        succeeded++;
                    } catch (ExecutionException e) {
                        failure(result, e.getCause());
                    }
                }
                results.add(result.toString());
            }
        }
        return new Json().put("ok", succeeded).putRawList("results", results).toString();
    }

    private static String consume(Options o) {
        String topic = o.required("topic");
        int count = o.integer("count", 1);
        Properties p = o.clientProperties();
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        String group = o.text("group", null);
        if (group != null) p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        String protocol = o.text("group-protocol", null);
        if (protocol != null) p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        List<String> records = new ArrayList<>();
        Json result = new Json();
        long deadline = System.currentTimeMillis() + o.timeoutMs();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            if (group != null) {
                consumer.subscribe(List.of(topic));
            } else {
                List<TopicPartition> partitions = new ArrayList<>();
                for (int i = 0; i < o.integer("partitions", 1); i++) partitions.add(new TopicPartition(topic, i));
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
            }
            try {
                while (records.size() < count && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                        records.add(new Json().put("key", record.key()).put("value", record.value())
                            .put("partition", record.partition()).put("offset", record.offset()).toString());
                    }
                }
                result.put("ok", records.size() >= count);
                if (records.size() < count) result.put("error", "Timeout").put("message", "only " + records.size() + " of " + count + " records");
            } catch (Exception e) {
                failure(result, e);
            }
        }
        return result.putRawList("records", records).toString();
    }

    private static String subjectName(Options o) throws Exception {
        try (java.io.InputStream in = new java.io.FileInputStream(o.required("certificate"))) {
            java.security.cert.X509Certificate certificate = (java.security.cert.X509Certificate)
                java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
            return new Json().put("ok", true).put("name", certificate.getSubjectX500Principal().getName()).toString();
        }
    }

    /** One transaction of `count` records, committed: reaches the transaction coordinator (InitProducerId, EndTxn). */
    private static String transactionalProduce(Options o) {
        String topic = o.required("topic");
        int count = o.integer("count", 1);
        Properties p = o.clientProperties();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, o.required("transactional-id"));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(o.timeoutMs()));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(o.timeoutMs()));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.min(o.timeoutMs(), 10000)));
        Json result = new Json();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < count; i++) producer.send(new ProducerRecord<>(topic, "key-" + i, o.text("value-prefix", "txn") + "-" + i));
            producer.commitTransaction();
            result.put("ok", true).put("committed", count);
        } catch (Exception e) {
            failure(result, e);
        }
        return result.toString();
    }

    private static String commitOffset(Options o) {
        Properties p = o.clientProperties();
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, o.required("group"));
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        TopicPartition partition = new TopicPartition(o.required("topic"), o.integer("partition", 0));
        Json result = new Json();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            consumer.commitSync(Map.of(partition, new OffsetAndMetadata(o.integer("offset", 0))), Duration.ofMillis(o.timeoutMs()));
            result.put("ok", true);
        } catch (Exception e) {
            failure(result, e);
        }
        return result.toString();
    }

    // ---- helpers ----

    private static <T> String perName(Map<String, KafkaFuture<T>> futures) throws InterruptedException {
        Json results = new Json();
        for (Map.Entry<String, KafkaFuture<T>> entry : futures.entrySet()) {
            Json result = new Json();
            try {
                entry.getValue().get();
                result.put("ok", true);
            } catch (ExecutionException e) {
                failure(result, e.getCause());
            }
            results.putRaw(entry.getKey(), result.toString());
        }
        return new Json().putRaw("results", results.toString()).toString();
    }

    private static Json failure(Json json, Throwable error) {
        Throwable cause = error;
        while ((cause instanceof ExecutionException || cause.getClass() == RuntimeException.class) && cause.getCause() != null) cause = cause.getCause();
        return json.put("ok", false).put("error", cause.getClass().getSimpleName()).put("message", String.valueOf(cause.getMessage()));
    }

    /** --name value pairs. */
    private static final class Options {
        private final Map<String, String> values = new HashMap<>();

        static Options parse(String[] args) {
            Options options = new Options();
            for (int i = 0; i < args.length; i += 2) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) usage("bad option " + args[i]);
                options.values.put(args[i].substring(2), args[i + 1]);
            }
            return options;
        }

        String text(String name, String fallback) { return values.getOrDefault(name, fallback); }

        String required(String name) {
            String value = values.get(name);
            if (value == null) usage("--" + name + " is required");
            return value;
        }

        int integer(String name, int fallback) { return values.containsKey(name) ? Integer.parseInt(values.get(name)) : fallback; }

        int timeoutMs() { return integer("timeout-ms", 15000); }

        List<String> list(String name) { return Arrays.asList(required(name).split(",")); }

        Properties clientProperties() {
            Properties p = new Properties();
            p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, required("bootstrap"));
            p.put(CommonClientConfigs.CLIENT_ID_CONFIG, text("client-id", "acl-test-java"));
            p.put(CommonClientConfigs.RECONNECT_BACKOFF_MS_CONFIG, "100");
            p.put(CommonClientConfigs.RETRY_BACKOFF_MS_CONFIG, "100");
            p.put(CommonClientConfigs.RETRY_BACKOFF_MAX_MS_CONFIG, "500");
            String truststore = text("ssl-truststore", null);
            if (truststore != null) {
                p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
                p.put("ssl.truststore.location", truststore);
                p.put("ssl.truststore.type", "PKCS12");
                p.put("ssl.truststore.password", required("ssl-store-password"));
                String keystore = text("ssl-keystore", null);
                if (keystore != null) {
                    p.put("ssl.keystore.location", keystore);
                    p.put("ssl.keystore.type", "PKCS12");
                    p.put("ssl.keystore.password", required("ssl-store-password"));
                    p.put("ssl.key.password", required("ssl-store-password"));
                }
            }
            String user = text("user", null);
            if (user != null) {
                p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, truststore != null ? "SASL_SSL" : "SASL_PLAINTEXT");
                String mechanism = text("sasl-mechanism", "PLAIN");
                String module;
                if (mechanism.equals("PLAIN")) module = "org.apache.kafka.common.security.plain.PlainLoginModule";
                else if (mechanism.startsWith("SCRAM-")) module = "org.apache.kafka.common.security.scram.ScramLoginModule";
                else throw new IllegalArgumentException("--sasl-mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got " + mechanism);
                p.put("sasl.mechanism", mechanism);
                p.put("sasl.jaas.config", module + " required username=\""
                    + user + "\" password=\"" + required("password") + "\";");
            }
            return p;
        }

        Properties adminProperties() {
            Properties p = clientProperties();
            p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(timeoutMs()));
            p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.min(timeoutMs(), 10000)));
            return p;
        }
    }

    /** A JSON object written in insertion order. */
    private static final class Json {
        private final StringBuilder body = new StringBuilder();

        Json put(String key, String value) { return putRaw(key, value == null ? "null" : quote(value)); }
        Json put(String key, long value) { return putRaw(key, Long.toString(value)); }
        Json put(String key, boolean value) { return putRaw(key, Boolean.toString(value)); }

        Json putStrings(String key, Collection<String> values) {
            List<String> quoted = new ArrayList<>();
            for (String value : values) quoted.add(quote(value));
            return putRawList(key, quoted);
        }

        Json putRawList(String key, List<String> raw) { return putRaw(key, "[" + String.join(",", raw) + "]"); }

        Json putRaw(String key, String raw) {
            if (body.length() > 0) body.append(',');
            body.append(quote(key)).append(':').append(raw);
            return this;
        }

        @Override public String toString() { return "{" + body + "}"; }

        static String quote(String text) {
            StringBuilder s = new StringBuilder("\"");
            for (char c : text.toCharArray()) {
                if (c == '"' || c == '\\') s.append('\\').append(c);
                // ASCII only: stdout's charset follows the locale, which may not be UTF-8.
                else if (c < 0x20 || c > 0x7e) s.append(String.format("\\u%04x", (int) c));
                else s.append(c);
            }
            return s.append('"').toString();
        }
    }
}
