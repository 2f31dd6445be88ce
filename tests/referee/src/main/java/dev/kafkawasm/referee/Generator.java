package dev.kafkawasm.referee;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fills one of Kafka's generated message objects with random but valid values for a given
 * version, driven by the message's JSON definition: only fields present in that version are
 * set, null only where the version allows it, tagged fields only in their tagged versions,
 * unknown tagged fields only in flexible versions. Setters are called by reflection
 * ({@code setFieldName}); nested structs are the generated nested classes; arrays of structs
 * with map keys are the generated {@code ...Collection} classes.
 */
final class Generator {

    private final SplittableRandom rnd;
    private final Spec.Message spec;
    private final short version;
    private final boolean flexible;
    /** Instance 0 of every case: empty arrays, nulls where allowed, no optional tags. */
    private final boolean minimal;
    private final Class<?> topClass;

    /** What this instance exercises, for the manifest. */
    int unknownTaggedFields, taggedFieldsSet, nulls, recordBatches, structs;

    Generator(SplittableRandom rnd, Spec.Message spec, short version, boolean minimal, Class<?> topClass) {
        this.rnd = rnd;
        this.spec = spec;
        this.version = version;
        this.flexible = spec.flexibleVersions.contains(version);
        this.minimal = minimal;
        this.topClass = topClass;
    }

    void fillTop(ApiMessage msg) throws ReflectiveOperationException {
        fill(msg, spec.fields, 0);
    }

    private void fill(Object target, List<Spec.Field> fields, int depth) throws ReflectiveOperationException {
        int maxKnownTag = -1;
        for (Spec.Field f : fields) {
            if (f.tag != null) maxKnownTag = Math.max(maxKnownTag, f.tag);
            if (!f.versions.contains(version)) continue;
            if (f.taggedIn(version) && (minimal || rnd.nextInt(3) == 0)) continue; // absent tagged field
            Method setter = setter(target.getClass(), f);
            Object v = value(f, setter.getParameterTypes()[0], depth);
            if (v == null) nulls++;
            if (f.taggedIn(version)) taggedFieldsSet++;
            setter.invoke(target, v);
        }
        if (flexible && !minimal && rnd.nextInt(3) == 0) {
            addUnknownTaggedFields((Message) target, maxKnownTag);
        }
    }

    /** 1 or 2 tagged fields with tags above every tag the struct knows, ascending. */
    private void addUnknownTaggedFields(Message target, int maxKnownTag) {
        int n = 1 + rnd.nextInt(2);
        int tag = maxKnownTag;
        for (int i = 0; i < n; i++) {
            int gap = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(20000) : 1 + rnd.nextInt(3);
            tag += gap;
            unknownTaggedFields++;
            target.unknownTaggedFields().add(new RawTaggedField(tag, randomBytes(rnd.nextInt(5) == 0 ? 130 + rnd.nextInt(20) : rnd.nextInt(7))));
        }
    }

    private static Method setter(Class<?> cls, Spec.Field f) throws NoSuchMethodException {
        String name = "set" + Character.toUpperCase(f.name.charAt(0)) + f.name.substring(1);
        for (Method m : cls.getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == 1 && !Modifier.isStatic(m.getModifiers())) return m;
        }
        throw new NoSuchMethodException(cls.getName() + "." + name + "(...) for field " + f.name + " (" + f.type + ")");
    }

    private Object value(Spec.Field f, Class<?> javaType, int depth) throws ReflectiveOperationException {
        boolean nullable = f.nullableIn(version);
        if (nullable && (minimal || rnd.nextInt(4) == 0)) return null;
        if (f.isArray()) return array(f, javaType, depth);
        String t = f.type;
        if (t.equals("records")) return records();
        if (t.equals("bytes")) {
            byte[] b = minimal ? new byte[0] : randomBytes(sizeFor(depth, 140));
            return javaType == ByteBuffer.class ? ByteBuffer.wrap(b) : b;
        }
        if (Spec.isPrimitive(t)) return primitive(t);
        // a struct-typed field
        return struct(t, depth + 1);
    }

    private Object array(Spec.Field f, Class<?> javaType, int depth) throws ReflectiveOperationException {
        String et = f.elementType();
        int n = minimal ? 0 : sizeFor(depth, Spec.isPrimitive(et) ? 140 : 3);
        Collection<Object> out;
        if (javaType.isInterface()) {
            out = new ArrayList<>(n);
        } else {
            @SuppressWarnings("unchecked")
            Collection<Object> c = (Collection<Object>) javaType.getConstructor().newInstance();
            out = c;
        }
        for (int i = 0; i < n; i++) {
            out.add(Spec.isPrimitive(et) ? primitive(et) : struct(et, depth + 1));
        }
        return out;
    }

    /** Mostly small sizes, now and then one that needs a two-byte length varint. */
    private int sizeFor(int depth, int big) {
        if (depth >= 3) return rnd.nextInt(2);
        if (big > 127 && rnd.nextInt(12) == 0) return big + rnd.nextInt(10);
        return rnd.nextInt(depth == 0 ? 4 : 3);
    }

    private Object struct(String typeName, int depth) throws ReflectiveOperationException {
        List<Spec.Field> fields = spec.structs.get(typeName);
        if (fields == null) throw new IllegalStateException("struct " + typeName + " is not defined in " + spec.fileName);
        Class<?> cls = Class.forName(topClass.getName() + "$" + typeName, true, topClass.getClassLoader());
        Object o = cls.getConstructor().newInstance();
        structs++;
        fill(o, fields, depth);
        return o;
    }

    private Object primitive(String t) {
        switch (t) {
            case "bool": return rnd.nextBoolean();
            case "int8": return (byte) randomLong();
            case "int16": return (short) randomLong();
            case "uint16": return (int) (randomLong() & 0xffff);
            case "int32": return (int) randomLong();
            case "uint32": return randomLong() & 0xffffffffL;
            case "int64": return randomLong();
            case "float64": return randomDouble();
            case "string": return randomString();
            case "uuid": return randomUuid();
            case "bytes": return randomBytes(rnd.nextInt(8));
            default: throw new IllegalArgumentException("unsupported array element type " + t);
        }
    }

    /** Edge values (0, ±1, min, max, byte/short boundaries) half of the time. */
    private long randomLong() {
        switch (rnd.nextInt(12)) {
            case 0: return 0;
            case 1: return -1;
            case 2: return 1;
            case 3: return Long.MIN_VALUE;
            case 4: return Long.MAX_VALUE;
            case 5: return rnd.nextBoolean() ? Integer.MIN_VALUE : Integer.MAX_VALUE;
            case 6: return rnd.nextBoolean() ? 0x7f : 0x80;
            case 7: return rnd.nextBoolean() ? 0x7fff : 0x8000;
            case 8: return rnd.nextInt(1000);
            default: return rnd.nextLong();
        }
    }

    private double randomDouble() {
        switch (rnd.nextInt(8)) {
            case 0: return 0.0;
            case 1: return -0.0;
            case 2: return rnd.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
            case 3: return Double.MIN_VALUE;
            case 4: return rnd.nextBoolean() ? Double.MAX_VALUE : -Double.MAX_VALUE;
            default: return (rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(40) - 20);
        }
    }

    private static final String[] PIECES = {
        "a", "b", "z", "Q", "0", "9", "-", "_", ".", " ", "topic", "group", "é", "ß", "Ж", "日本", "\uD83D\uDE00", "\u0000",
    };

    private String randomString() {
        if (minimal) return "";
        int n = rnd.nextInt(25) == 0 ? 130 + rnd.nextInt(10) : rnd.nextInt(11);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(rnd.nextInt(4) == 0 ? PIECES[rnd.nextInt(PIECES.length)] : (char) ('a' + rnd.nextInt(26)));
        }
        return sb.toString();
    }

    private Uuid randomUuid() {
        switch (rnd.nextInt(6)) {
            case 0: return Uuid.ZERO_UUID;
            case 1: return new Uuid(-1L, -1L);
            default: return new Uuid(rnd.nextLong(), rnd.nextLong());
        }
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) rnd.nextInt(256);
        return b;
    }

    /** One uncompressed v2 batch of 1-3 records (or an empty record set now and then). */
    private MemoryRecords records() {
        if (minimal || rnd.nextInt(6) == 0) return MemoryRecords.EMPTY;
        int n = 1 + rnd.nextInt(3);
        recordBatches++;
        SimpleRecord[] recs = new SimpleRecord[n];
        long ts = 1_700_000_000_000L + rnd.nextInt(1_000_000);
        for (int i = 0; i < n; i++) {
            int h = rnd.nextInt(3);
            Header[] headers = new Header[h];
            for (int j = 0; j < h; j++) {
                headers[j] = new RecordHeader("h" + j + randomString(), rnd.nextInt(4) == 0 ? null : randomBytes(rnd.nextInt(6)));
            }
            byte[] key = rnd.nextInt(3) == 0 ? null : randomBytes(rnd.nextInt(10));
            byte[] value = rnd.nextInt(8) == 0 ? null : randomBytes(rnd.nextInt(30));
            recs[i] = new SimpleRecord(ts + i, key, value, headers);
        }
        boolean idempotent = rnd.nextBoolean();
        long producerId = idempotent ? rnd.nextLong(1L << 40) : RecordBatch.NO_PRODUCER_ID;
        short epoch = idempotent ? (short) rnd.nextInt(Short.MAX_VALUE) : RecordBatch.NO_PRODUCER_EPOCH;
        int baseSequence = idempotent ? rnd.nextInt(1 << 20) : RecordBatch.NO_SEQUENCE;
        boolean transactional = idempotent && rnd.nextBoolean();
        long baseOffset = rnd.nextBoolean() ? 0 : rnd.nextLong(1L << 40);
        int leaderEpoch = rnd.nextBoolean() ? RecordBatch.NO_PARTITION_LEADER_EPOCH : rnd.nextInt(1000);
        return MemoryRecords.withRecords(RecordBatch.MAGIC_VALUE_V2, baseOffset, Compression.NONE, TimestampType.CREATE_TIME,
            producerId, epoch, baseSequence, leaderEpoch, transactional, recs);
    }
}
