package dev.kafkawasm.referee;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.utils.AppInfoParser;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Independent referee for the codec: Apache Kafka's own generated message classes
 * (kafka-clients) make the fixtures and judge our codec's output.
 *
 * <pre>
 * generate &lt;outDir&gt; &lt;seed&gt; [instancesPerCase]
 *     For every ApiMessageType, every version in [lowest, highest incl. unstable] and both
 *     directions, write Kafka's serialisation of random valid message bodies to
 *     &lt;outDir&gt;/&lt;apiKey&gt;-&lt;request|response&gt;-v&lt;version&gt;-&lt;n&gt;.bin plus manifest.json.
 *     Every fixture is read back by Kafka, compared with equals() and re-serialised
 *     byte-for-byte as a self-check. Cases that cannot be generated are listed in the
 *     manifest with a "skipped" reason (and on stderr), never dropped.
 *
 * verify &lt;dir&gt; [--require-all] [--fixtures-as-ours]
 *     For every &lt;base&gt;.ours.bin next to &lt;base&gt;.bin: Kafka reads our bytes with the right
 *     class and version, must consume them all, and its re-serialisation must equal the
 *     fixture byte-for-byte. --require-all also fails fixtures with no .ours.bin;
 *     --fixtures-as-ours judges the fixtures themselves (self-test of the referee).
 *
 * compare-spec &lt;specDir&gt;
 *     Checks that a vendored spec directory holds exactly the kafka-clients jar's
 *     common/message/*.json (compared as parsed JSON, so comments and layout do not matter).
 *
 * dump &lt;file&gt;
 *     Prints Kafka's reading (toString) of one fixture or .ours.bin file, for debugging.
 * </pre>
 */
public final class Referee {

    static final Pattern FIXTURE = Pattern.compile("^(\\d+)-(request|response)-v(\\d+)-(\\d+)\\.bin$");
    static final Pattern OURS = Pattern.compile("^(\\d+)-(request|response)-v(\\d+)-(\\d+)\\.ours\\.bin$");
    static final int MAX_ATTEMPTS = 25;

    public static void main(String[] args) throws Exception {
        if (args.length >= 3 && args[0].equals("generate")) {
            int instances = args.length > 3 ? Integer.parseInt(args[3]) : 3;
            System.exit(generate(Path.of(args[1]), Long.parseLong(args[2]), instances));
        } else if (args.length >= 2 && args[0].equals("verify")) {
            List<String> opts = Arrays.asList(args).subList(2, args.length);
            for (String o : opts) {
                if (!o.equals("--require-all") && !o.equals("--fixtures-as-ours")) usage("unknown option " + o);
            }
            System.exit(verify(Path.of(args[1]), opts.contains("--require-all"), opts.contains("--fixtures-as-ours")));
        } else if (args.length == 2 && args[0].equals("compare-spec")) {
            System.exit(compareSpec(Path.of(args[1])));
        } else if (args.length == 2 && args[0].equals("dump")) {
            System.exit(dump(Path.of(args[1])));
        } else {
            usage(null);
        }
    }

    private static void usage(String why) {
        if (why != null) System.err.println("referee: " + why);
        System.err.println("usage: referee generate <outDir> <seed> [instancesPerCase]");
        System.err.println("       referee verify <dir> [--require-all] [--fixtures-as-ours]");
        System.err.println("       referee compare-spec <specDir>");
        System.err.println("       referee dump <dir>/<apiKey>-<request|response>-v<version>-<n>[.ours].bin");
        System.exit(2);
    }

    // ------------------------------------------------------------------ generate

    static int generate(Path out, long seed, int instances) throws IOException {
        Spec spec = Spec.fromKafkaJar();
        Files.createDirectories(out);
        try (Stream<Path> old = Files.list(out)) {
            for (Path p : (Iterable<Path>) old::iterator) {
                String n = p.getFileName().toString();
                if (FIXTURE.matcher(n).matches() || OURS.matcher(n).matches() || n.equals("manifest.json")) Files.delete(p);
            }
        }

        JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
        ObjectNode manifest = json.createObjectNode();
        manifest.put("generator", "tests/referee (org.apache.kafka:kafka-clients)");
        manifest.put("kafkaVersion", AppInfoParser.getVersion());
        manifest.put("specSource", spec.source);
        manifest.put("seed", seed);
        manifest.put("instancesPerCase", instances);
        ArrayNode entries = manifest.putArray("entries");

        int triples = 0, triplesGenerated = 0, files = 0, skippedInstances = 0;
        java.util.Map<String, Integer> totals = new java.util.TreeMap<>();
        for (ApiMessageType type : ApiMessageType.values()) {
            short lo = type.lowestSupportedVersion();
            short hi = type.highestSupportedVersion(true);
            short hiStable = type.highestSupportedVersion(false);
            for (String direction : new String[] {"request", "response"}) {
                Spec.Message m = spec.find(type.apiKey(), direction);
                for (short v = lo; v <= hi; v++) {
                    triples++;
                    int ok = 0;
                    for (int n = 0; n < instances; n++) {
                        ObjectNode e = entries.addObject();
                        e.put("apiKey", type.apiKey());
                        e.put("name", type.name);
                        e.put("version", v);
                        e.put("direction", direction);
                        if (v > hiStable) e.put("unstable", true);
                        String file = type.apiKey() + "-" + direction + "-v" + v + "-" + n + ".bin";
                        String reason = null;
                        byte[] bytes = null;
                        ObjectNode features = json.createObjectNode();
                        if (m == null) {
                            reason = "no common/message JSON definition for api key " + type.apiKey() + " " + direction;
                        } else if (!m.validVersions.contains(v)) {
                            reason = m.fileName + " validVersions " + m.validVersions + " does not include v" + v;
                        } else {
                            Throwable last = null;
                            for (int attempt = 0; attempt < MAX_ATTEMPTS && bytes == null; attempt++) {
                                try {
                                    bytes = makeOne(type, direction, m, v, n == 0, caseSeed(seed, type.apiKey(), direction, v, n, attempt), features);
                                } catch (Throwable t) {
                                    last = t;
                                }
                            }
                            if (bytes == null) reason = describe(last) + " (after " + MAX_ATTEMPTS + " attempts)";
                        }
                        if (bytes != null) {
                            Files.write(out.resolve(file), bytes);
                            e.put("file", file);
                            e.put("size", bytes.length);
                            if (!features.isEmpty()) e.set("exercises", features);
                            features.fieldNames().forEachRemaining(k -> totals.merge(k, 1, Integer::sum));
                            ok++;
                            files++;
                        } else {
                            e.putNull("file");
                            e.put("skipped", reason);
                            skippedInstances++;
                            System.err.println("referee: SKIPPED " + type.name + " " + direction + " v" + v + " #" + n + ": " + reason);
                        }
                    }
                    if (ok > 0) triplesGenerated++;
                }
            }
        }
        manifest.put("triples", triples);
        manifest.put("triplesGenerated", triplesGenerated);
        json.writeValue(out.resolve("manifest.json").toFile(), manifest);
        System.out.println("referee: generated " + files + " fixtures covering " + triplesGenerated + " of " + triples
            + " (key, version, direction) triples; " + skippedInstances + " instances skipped; seed " + seed
            + "; kafka-clients " + AppInfoParser.getVersion());
        System.out.println("referee: fixtures with " + totals.toString().replaceAll("[{}]", "").replace("=", ": "));
        return 0;
    }

    static long caseSeed(long seed, int apiKey, String direction, int version, int n, int attempt) {
        long h = seed;
        for (long x : new long[] {apiKey, direction.equals("request") ? 1 : 2, version, n, attempt}) {
            h = (h ^ x) * 0x9E3779B97F4A7C15L;
            h ^= h >>> 31;
        }
        return h;
    }

    static ApiMessage newMessage(ApiMessageType type, String direction) {
        return direction.equals("request") ? type.newRequest() : type.newResponse();
    }

    /** Builds, serialises and self-checks one random instance; throws when any step fails. */
    static byte[] makeOne(ApiMessageType type, String direction, Spec.Message m, short v, boolean minimal, long seed,
                          ObjectNode features) throws Exception {
        ApiMessage msg = newMessage(type, direction);
        Generator g = new Generator(new SplittableRandom(seed), m, v, minimal, msg.getClass());
        g.fillTop(msg);
        features.removeAll();
        if (g.structs > 0) features.put("structs", g.structs);
        if (g.nulls > 0) features.put("nulls", g.nulls);
        if (g.taggedFieldsSet > 0) features.put("taggedFields", g.taggedFieldsSet);
        if (g.unknownTaggedFields > 0) features.put("unknownTaggedFields", g.unknownTaggedFields);
        if (g.recordBatches > 0) features.put("recordBatches", g.recordBatches);
        byte[] bytes = serialize(msg, v);

        ByteBufferAccessor acc = new ByteBufferAccessor(ByteBuffer.wrap(bytes));
        ApiMessage back = newMessage(type, direction);
        back.read(acc, v);
        if (acc.remaining() != 0) {
            throw new IllegalStateException("self-check: Kafka read left " + acc.remaining() + " of " + bytes.length + " bytes");
        }
        if (!back.equals(msg)) {
            throw new IllegalStateException("self-check: Kafka read-back is not equal to the written message");
        }
        byte[] again = serialize(back, v);
        if (!Arrays.equals(bytes, again)) {
            throw new IllegalStateException("self-check: re-serialising Kafka's read-back gives different bytes ("
                + firstDifference(bytes, again) + ")");
        }
        return bytes;
    }

    static byte[] serialize(ApiMessage msg, short v) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = msg.size(cache, v);
        ByteBuffer buf = ByteBuffer.allocate(size);
        msg.write(new ByteBufferAccessor(buf), cache, v);
        if (buf.position() != size) {
            throw new IllegalStateException("size() said " + size + " bytes but write() wrote " + buf.position());
        }
        return buf.array();
    }

    static String describe(Throwable t) {
        if (t == null) return "unknown failure";
        if (t instanceof java.lang.reflect.InvocationTargetException && t.getCause() != null) t = t.getCause();
        String msg = t.getMessage();
        return t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg.replace('\n', ' '));
    }

    // ------------------------------------------------------------------ compare-spec

    static int compareSpec(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            System.out.println("FAIL " + dir + " is not a directory");
            return 1;
        }
        java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> jar = Spec.jarDocuments();
        java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> ours = Spec.directoryDocuments(dir);
        // errors.json is not a message definition: it lists Kafka's Errors enum, so check it against that.
        com.fasterxml.jackson.databind.JsonNode errors = ours.remove(ERRORS_FILE);
        int bad = errors == null ? 0 : compareErrors(errors);
        for (String n : jar.keySet()) {
            if (!ours.containsKey(n)) {
                bad++;
                System.out.println("FAIL missing from " + dir + ": " + n);
            } else if (!ours.get(n).equals(jar.get(n))) {
                bad++;
                System.out.println("FAIL differs from kafka-clients " + AppInfoParser.getVersion() + ": " + n);
            }
        }
        for (String n : ours.keySet()) {
            if (!jar.containsKey(n)) {
                bad++;
                System.out.println("FAIL not in kafka-clients " + AppInfoParser.getVersion() + ": " + n);
            }
        }
        System.out.println("referee: spec " + dir + ": " + (jar.size() - bad) + " of " + jar.size()
            + " message definitions identical to kafka-clients " + AppInfoParser.getVersion() + ", " + bad + " problems");
        return bad == 0 ? 0 : 1;
    }

    static final String ERRORS_FILE = "errors.json";

    /** Every (code, name) of org.apache.kafka.common.protocol.Errors, in order, and nothing else. */
    static int compareErrors(com.fasterxml.jackson.databind.JsonNode listed) {
        org.apache.kafka.common.protocol.Errors[] kafka = org.apache.kafka.common.protocol.Errors.values();
        int bad = 0;
        if (!listed.isArray() || listed.size() != kafka.length) {
            System.out.println("FAIL " + ERRORS_FILE + " lists " + listed.size() + " errors, Kafka defines " + kafka.length);
            return 1;
        }
        for (int i = 0; i < kafka.length; i++) {
            com.fasterxml.jackson.databind.JsonNode e = listed.get(i);
            if (e.path("code").asInt(Integer.MIN_VALUE) != kafka[i].code() || !kafka[i].name().equals(e.path("name").asText())) {
                bad++;
                System.out.println("FAIL " + ERRORS_FILE + " entry " + i + " is " + e + ", Kafka has " + kafka[i].code() + " " + kafka[i].name());
            }
        }
        System.out.println("referee: " + ERRORS_FILE + ": " + (kafka.length - bad) + " of " + kafka.length + " error codes match Kafka's Errors");
        return bad;
    }

    // ------------------------------------------------------------------ dump

    static int dump(Path file) throws IOException {
        String name = file.getFileName().toString();
        Matcher m = FIXTURE.matcher(name.replace(".ours.bin", ".bin"));
        if (!m.matches()) {
            System.err.println("referee: cannot tell api key / direction / version from the name " + name);
            return 2;
        }
        short v = Short.parseShort(m.group(3));
        ApiMessage msg = newMessage(ApiMessageType.fromApiKey(Short.parseShort(m.group(1))), m.group(2));
        byte[] bytes = Files.readAllBytes(file);
        ByteBufferAccessor acc = new ByteBufferAccessor(ByteBuffer.wrap(bytes));
        msg.read(acc, v);
        System.out.println(msg.getClass().getSimpleName() + " v" + v + " (" + bytes.length + " bytes, "
            + acc.remaining() + " unread): " + msg);
        return acc.remaining() == 0 ? 0 : 1;
    }

    // ------------------------------------------------------------------ verify

    static int verify(Path dir, boolean requireAll, boolean fixturesAsOurs) throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString()).sorted().forEach(names::add);
        }
        PrintStream o = System.out;
        int passed = 0, failed = 0, notIdentical = 0, missing = 0;
        for (String name : names) {
            Matcher fm = FIXTURE.matcher(name);
            if (!fm.matches()) continue;
            String base = name.substring(0, name.length() - ".bin".length());
            Path fixturePath = dir.resolve(name);
            Path oursPath = fixturesAsOurs ? fixturePath : dir.resolve(base + ".ours.bin");
            if (!Files.exists(oursPath)) {
                missing++;
                if (requireAll) {
                    failed++;
                    o.println("FAIL " + base + ": no " + base + ".ours.bin");
                }
                continue;
            }
            short apiKey = Short.parseShort(fm.group(1));
            String direction = fm.group(2);
            short v = Short.parseShort(fm.group(3));
            byte[] fixture = Files.readAllBytes(fixturePath);
            byte[] ours = Files.readAllBytes(oursPath);
            String failure = judge(apiKey, direction, v, fixture, ours);
            if (failure == null) {
                passed++;
                if (!Arrays.equals(fixture, ours)) {
                    notIdentical++;
                    o.println("NOTE " + base + ": Kafka accepts our bytes but they are not identical to Kafka's ("
                        + firstDifference(fixture, ours) + ")");
                }
            } else {
                failed++;
                o.println("FAIL " + base + " (" + nameOf(apiKey) + " " + direction + " v" + v + "): " + failure);
            }
        }
        if (missing > 0) o.println("referee: " + missing + " fixtures had no .ours.bin" + (requireAll ? " (counted as failures)" : ""));
        if (notIdentical > 0) o.println("referee: " + notIdentical + " of the passed were not byte-identical to the fixture");
        o.println("referee: " + passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    private static String nameOf(short apiKey) {
        try {
            return ApiMessageType.fromApiKey(apiKey).name;
        } catch (Exception e) {
            return "api" + apiKey;
        }
    }

    /** Returns null when Kafka reads ours completely and re-serialises it to exactly the fixture. */
    static String judge(short apiKey, String direction, short v, byte[] fixture, byte[] ours) {
        ApiMessage msg;
        try {
            msg = newMessage(ApiMessageType.fromApiKey(apiKey), direction);
        } catch (Exception e) {
            return "unknown api key: " + describe(e);
        }
        ByteBufferAccessor acc = new ByteBufferAccessor(ByteBuffer.wrap(ours));
        try {
            msg.read(acc, v);
        } catch (Throwable t) {
            return "Kafka cannot read our " + ours.length + " bytes: " + describe(t);
        }
        if (acc.remaining() != 0) {
            return "Kafka read only " + (ours.length - acc.remaining()) + " of our " + ours.length + " bytes";
        }
        byte[] again;
        try {
            again = serialize(msg, v);
        } catch (Throwable t) {
            return "Kafka cannot re-serialise what it read from our bytes: " + describe(t);
        }
        if (!Arrays.equals(again, fixture)) {
            return "Kafka's re-serialisation of our bytes differs from the fixture: " + firstDifference(fixture, again);
        }
        return null;
    }

    static String firstDifference(byte[] expected, byte[] actual) {
        int n = Math.min(expected.length, actual.length);
        int i = 0;
        while (i < n && expected[i] == actual[i]) i++;
        if (i == n && expected.length == actual.length) return "identical";
        int from = Math.max(0, i - 4);
        return "lengths " + expected.length + " vs " + actual.length + ", first difference at offset " + i
            + ": expected [" + hex(expected, from, i, i + 8) + "] got [" + hex(actual, from, i, i + 8) + "]";
    }

    /** Hex of b[from, to) with a '|' just before offset mark. */
    static String hex(byte[] b, int from, int mark, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < Math.min(to, b.length); i++) {
            if (i > from) sb.append(' ');
            if (i == mark) sb.append('|');
            sb.append(String.format("%02x", b[i] & 0xff));
        }
        if (mark >= b.length) sb.append(" |<end>");
        return sb.toString();
    }
}
