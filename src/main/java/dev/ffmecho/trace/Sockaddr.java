package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strace-printed socket address, {@code {sa_family=AF_INET6, sin6_port=htons(0), ...}}, as an
 * ordered list of field items that the sockaddr rules can reorder and edit, then print again.
 * The address item of an IPv6 sockaddr has no {@code key=}: strace prints it as
 * {@code inet_pton(AF_INET6, "::1", &sin6_addr)}, so it is keyed {@code sin6_addr} here.
 */
final class Sockaddr {
    private static final List<String> INET6_ORDER =
            List.of("sa_family", "sin6_port", "sin6_flowinfo", "sin6_addr", "sin6_scope_id");
    private static final List<String> INET_ORDER = List.of("sa_family", "sin_port", "sin_addr");
    private static final Pattern KEY = Pattern.compile("^([a-z0-9_]+)=");
    private static final Pattern V6_ADDR = Pattern.compile("^inet_pton\\((AF_INET6), (\"[^\"]*\"|<addr>), (&sin6_addr)\\)$");
    private static final Pattern V4_ADDR = Pattern.compile("^sin_addr=inet_addr\\((\"[^\"]*\"|<addr>)\\)$");

    /** One field: its key and its full printed text ({@code sin6_port=htons(0)}). */
    record Field(String key, String text) {}

    final List<Field> fields;

    private Sockaddr(List<Field> fields) {
        this.fields = fields;
    }

    static boolean looksLike(String arg) {
        return arg != null && arg.startsWith("{sa_family=") && arg.endsWith("}");
    }

    /** Parses a sockaddr argument, or returns null for anything else. */
    static Sockaddr parse(String arg) {
        if (!looksLike(arg)) return null;
        List<Field> fields = new ArrayList<>();
        for (String item : ArgList.split(arg.substring(1, arg.length() - 1))) {
            Matcher k = KEY.matcher(item);
            String key = k.find() ? k.group(1) : item.startsWith("inet_pton(") ? "sin6_addr" : item;
            fields.add(new Field(key, item));
        }
        return new Sockaddr(fields);
    }

    String family() {
        for (Field f : fields) {
            if (f.key.equals("sa_family")) return f.text.substring("sa_family=".length());
        }
        return "";
    }

    /** Puts the fields in strace 6.x order; returns true when that changed anything. */
    boolean canonicalizeOrder() {
        List<String> order = switch (family()) {
            case "AF_INET6" -> INET6_ORDER;
            case "AF_INET" -> INET_ORDER;
            default -> List.of();
        };
        if (order.isEmpty()) return false;
        List<Field> sorted = new ArrayList<>(fields);
        sorted.sort(Comparator.comparingInt(f -> {
            int i = order.indexOf(f.key);
            return i < 0 ? order.size() : i;
        }));
        if (sorted.equals(fields)) return false;
        fields.clear();
        fields.addAll(sorted);
        return true;
    }

    /** Replaces the text of the field {@code key}; returns false when absent or unchanged. */
    boolean edit(String key, java.util.function.UnaryOperator<String> f) {
        for (int i = 0; i < fields.size(); i++) {
            Field old = fields.get(i);
            if (old.key.equals(key)) {
                String now = f.apply(old.text);
                if (now.equals(old.text)) return false;
                fields.set(i, new Field(key, now));
                return true;
            }
        }
        return false;
    }

    /** Replaces the IP address (v6 or v4) by {@code <addr>}; returns true when it did. */
    boolean maskAddress() {
        boolean v6 = edit("sin6_addr", t -> {
            Matcher m = V6_ADDR.matcher(t);
            return m.matches() ? "inet_pton(" + m.group(1) + ", <addr>, " + m.group(3) + ")" : t;
        });
        boolean v4 = edit("sin_addr", t -> V4_ADDR.matcher(t).matches() ? "sin_addr=inet_addr(<addr>)" : t);
        return v6 || v4;
    }

    String render() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(fields.get(i).text);
        }
        return sb.append('}').toString();
    }
}
