// Starts a Kroxylicious proxy from a YAML configuration file, for the benchmark's
// Kroxylicious anchor (tools/bench/proxy-bench.mjs --kroxylicious).
//
//   java -cp '.deps/kroxylicious/lib/*' tools/kroxylicious/KroxyliciousMain.java config.yaml
//
// Kroxylicious's own command-line app (kroxylicious-app) is not published to Maven Central,
// only its runtime (io.kroxylicious:kroxylicious-runtime); this stands in for the app: it
// parses the file with the runtime's ConfigParser, then runs KafkaProxy with the default
// feature set until the process is stopped (SIGTERM runs the shutdown hook).
import io.kroxylicious.proxy.KafkaProxy;
import io.kroxylicious.proxy.config.ConfigParser;
import io.kroxylicious.proxy.config.Configuration;
import io.kroxylicious.proxy.internal.config.Features;

import java.nio.file.Files;
import java.nio.file.Path;

public final class KroxyliciousMain {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: KroxyliciousMain <config.yaml>");
            System.exit(2);
        }
        ConfigParser parser = new ConfigParser();
        Configuration configuration = parser.parseConfiguration(Files.readString(Path.of(args[0])));
        KafkaProxy proxy = new KafkaProxy(parser, configuration, Features.defaultFeatures());
        Runtime.getRuntime().addShutdownHook(new Thread(proxy::shutdown, "kroxylicious-shutdown"));
        proxy.startup();
        // Printed once the listeners are bound, for whoever waits on the log.
        System.err.println("KroxyliciousMain: started");
        proxy.block();
    }
}
