package dev.kafkawasm.referee;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.apache.kafka.common.message.ApiMessageType;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * A reading of Kafka's protocol message definitions ({@code common/message/*.json}).
 *
 * <p>By default the definitions are read out of the kafka-clients jar that holds the
 * generated message classes, so the spec and the classes can never disagree. Only what the
 * value generator needs is kept: field names, types, versions, nullable / tagged versions,
 * tags and nested struct definitions.
 */
final class Spec {

    /** A Kafka version range: "0+", "3-7", "5" or "none". */
    record Versions(int lo, int hi) {
        static final Versions NONE = new Versions(1, 0);

        static Versions parse(String s) {
            if (s == null) return null;
            s = s.trim();
            if (s.equals("none")) return NONE;
            if (s.endsWith("+")) return new Versions(Integer.parseInt(s.substring(0, s.length() - 1)), Integer.MAX_VALUE);
            int dash = s.indexOf('-');
            if (dash > 0) return new Versions(Integer.parseInt(s.substring(0, dash)), Integer.parseInt(s.substring(dash + 1)));
            int v = Integer.parseInt(s);
            return new Versions(v, v);
        }

        boolean contains(int v) {
            return v >= lo && v <= hi;
        }

        @Override
        public String toString() {
            if (lo > hi) return "none";
            if (hi == Integer.MAX_VALUE) return lo + "+";
            return lo == hi ? Integer.toString(lo) : lo + "-" + hi;
        }
    }

    static final class Field {
        String name;
        String type;
        Versions versions;
        Versions nullableVersions; // null when never nullable
        Versions taggedVersions;   // null when never tagged
        Integer tag;
        boolean mapKey;
        boolean zeroCopy;

        boolean isArray() {
            return type.startsWith("[]");
        }

        String elementType() {
            return isArray() ? type.substring(2) : type;
        }

        boolean nullableIn(int v) {
            return nullableVersions != null && nullableVersions.contains(v);
        }

        boolean taggedIn(int v) {
            return taggedVersions != null && taggedVersions.contains(v);
        }
    }

    static final class Message {
        String name;       // e.g. ProduceRequest
        String fileName;   // e.g. ProduceRequest.json
        String type;       // request | response
        int apiKey;
        Versions validVersions;
        Versions flexibleVersions;
        boolean latestVersionUnstable;
        List<Field> fields = new ArrayList<>();
        /** Every struct type defined anywhere in the message (inline or commonStructs). */
        Map<String, List<Field>> structs = new LinkedHashMap<>();
    }

    static boolean isPrimitive(String type) {
        switch (type) {
            case "bool": case "int8": case "int16": case "uint16": case "int32": case "uint32":
            case "int64": case "float64": case "string": case "bytes": case "uuid": case "records":
                return true;
            default:
                return false;
        }
    }

    /** Request and response definitions keyed by "apiKey/request" or "apiKey/response". */
    final Map<String, Message> byKey = new HashMap<>();
    final String source;

    private Spec(String source) {
        this.source = source;
    }

    Message find(int apiKey, String direction) {
        return byKey.get(apiKey + "/" + direction);
    }

    private static final JsonMapper JSON = JsonMapper.builder()
        .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
        .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
        .build();

    static Path kafkaJar() throws IOException {
        try {
            return Path.of(ApiMessageType.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    /** Every common/message/*.json of the kafka-clients jar, parsed, by file name. */
    static Map<String, JsonNode> jarDocuments() throws IOException {
        Path jar = kafkaJar();
        Map<String, JsonNode> docs = new TreeMap<>();
        try (JarFile jf = new JarFile(jar.toFile())) {
            List<JarEntry> entries = Collections.list(jf.entries());
            for (JarEntry e : entries) {
                String n = e.getName();
                if (!n.startsWith("common/message/") || !n.endsWith(".json")) continue;
                try (InputStream in = jf.getInputStream(e)) {
                    docs.put(n.substring("common/message/".length()), JSON.readTree(in));
                }
            }
        }
        if (docs.isEmpty()) throw new IOException("no common/message/*.json found in " + jar);
        return docs;
    }

    /** Every *.json of a directory (e.g. the vendored spec/kafka-4.3.1), parsed, by file name. */
    static Map<String, JsonNode> directoryDocuments(Path dir) throws IOException {
        Map<String, JsonNode> docs = new TreeMap<>();
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().endsWith(".json")) docs.put(p.getFileName().toString(), JSON.readTree(p.toFile()));
            }
        }
        return docs;
    }

    /** Reads common/message/*.json from the jar that contains ApiMessageType. */
    static Spec fromKafkaJar() throws IOException {
        Spec spec = new Spec(kafkaJar().toString());
        for (Map.Entry<String, JsonNode> d : jarDocuments().entrySet()) spec.add(d.getKey(), d.getValue());
        return spec;
    }

    private void add(String fileName, JsonNode root) {
        String type = root.path("type").asText();
        if (!type.equals("request") && !type.equals("response")) return; // headers, data, metadata records
        Message m = new Message();
        m.fileName = fileName;
        m.name = root.path("name").asText();
        m.type = type;
        m.apiKey = root.path("apiKey").asInt(-1);
        m.validVersions = Versions.parse(root.path("validVersions").asText());
        m.flexibleVersions = Versions.parse(root.path("flexibleVersions").asText("none"));
        m.latestVersionUnstable = root.path("latestVersionUnstable").asBoolean(false);
        m.fields = parseFields(root.path("fields"), m);
        for (JsonNode s : root.path("commonStructs")) {
            m.structs.put(s.path("name").asText(), parseFields(s.path("fields"), m));
        }
        byKey.put(m.apiKey + "/" + m.type, m);
    }

    private static List<Field> parseFields(JsonNode arr, Message m) {
        List<Field> out = new ArrayList<>();
        for (JsonNode n : arr) {
            Field f = new Field();
            f.name = n.path("name").asText();
            f.type = n.path("type").asText().trim();
            f.versions = Versions.parse(n.path("versions").asText());
            f.nullableVersions = n.has("nullableVersions") ? Versions.parse(n.get("nullableVersions").asText()) : null;
            f.taggedVersions = n.has("taggedVersions") ? Versions.parse(n.get("taggedVersions").asText()) : null;
            f.tag = n.has("tag") ? n.get("tag").asInt() : null;
            f.mapKey = n.path("mapKey").asBoolean(false);
            f.zeroCopy = n.path("zeroCopy").asBoolean(false);
            if (n.has("fields")) {
                m.structs.put(f.elementType(), parseFields(n.get("fields"), m));
            }
            out.add(f);
        }
        return out;
    }
}
