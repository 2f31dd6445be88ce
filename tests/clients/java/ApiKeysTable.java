// Kafka's own api key table, as a referee for the generated constants in
// assembly/codec/generated/apis.ts: prints every org.apache.kafka.common.protocol.ApiKeys
// value of the Kafka client jar, one line each: "<enum name> <api key>".
//
//   java -cp <classes>:<kafka lib>/* ApiKeysTable
import org.apache.kafka.common.protocol.ApiKeys;

public final class ApiKeysTable {
    public static void main(String[] argv) {
        for (ApiKeys key : ApiKeys.values()) System.out.println(key.name() + " " + key.id);
    }
}
