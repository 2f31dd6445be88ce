// Prints Apache Kafka's error codes as JSON: one {"code", "name"} object per constant of
// org.apache.kafka.common.protocol.Errors, in the enum's declaration order. The output is
// data derived from kafka-clients (Apache-2.0) and is committed as
// spec/kafka-<version>/errors.json; tools/gen turns it into assembly/codec/generated/errors.ts.
//
//   java -cp .deps/kafka/lib/kafka-clients-<version>.jar tools/errors/DumpErrors.java
//
// Java 11+ runs this single source file directly; nothing is compiled into the repository.

import org.apache.kafka.common.protocol.Errors;

public class DumpErrors {
    public static void main(String[] args) {
        StringBuilder out = new StringBuilder();
        out.append("[\n");
        Errors[] all = Errors.values();
        for (int i = 0; i < all.length; i++) {
            Errors e = all[i];
            out.append("  { \"code\": ").append(e.code())
               .append(", \"name\": \"").append(e.name()).append("\" }")
               .append(i + 1 < all.length ? ",\n" : "\n");
        }
        out.append("]\n");
        System.out.print(out);
    }
}
