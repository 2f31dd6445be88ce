// Kafka's own ssl.principal.mapping.rules, as a referee for the filter's mapping
// (assembly/acl/principal-mapping.ts): runs org.apache.kafka.common.security.ssl.SslPrincipalMapper
// from the Kafka client jar over cases read from stdin and prints what Kafka decides.
//
// Input, one line each, strings base64 (UTF-8):
//   R <rules>      start a case: SslPrincipalMapper.fromRules(rules)
//   D <dn>         map one distinguished name with the current case's rules
// Output, one line per input line:
//   R ok | R invalid <base64 message>
//   D name <base64 short name> | D nomatch | D error <exception class>
// ("nomatch" is SslPrincipalMapper.NoMatchingRule: the broker fails the authentication.)
//
//   java -cp <classes>:<kafka lib>/* PrincipalMapperReferee < cases
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.apache.kafka.common.security.ssl.SslPrincipalMapper;

public final class PrincipalMapperReferee {
    public static void main(String[] argv) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        SslPrincipalMapper mapper = null;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) continue;
            String text = line.length() > 2 ? decode(line.substring(2)) : "";
            if (line.startsWith("R")) {
                try {
                    mapper = SslPrincipalMapper.fromRules(text);
                    out.println("R ok");
                } catch (IllegalArgumentException e) {
                    mapper = null;
                    out.println("R invalid " + encode(String.valueOf(e.getMessage())));
                }
            } else if (line.startsWith("D")) {
                if (mapper == null) {
                    out.println("D error NoRules");
                    continue;
                }
                try {
                    out.println("D name " + encode(mapper.getName(text)));
                } catch (SslPrincipalMapper.NoMatchingRule e) {
                    out.println("D nomatch");
                } catch (Exception | StackOverflowError e) {
                    out.println("D error " + e.getClass().getSimpleName());
                }
            } else {
                throw new IllegalArgumentException("unknown input line: " + line);
            }
        }
        out.flush();
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    private static String encode(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
