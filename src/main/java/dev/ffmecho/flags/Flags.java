package dev.ffmecho.flags;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one command-line tokenizer of every command ({@code serve}, {@code trace-diff},
 * {@code verify}): each declares its flags — those that take a value ({@code --name value} or
 * {@code --name=value}), those that do not, short aliases — and gets back the arguments in order,
 * each a flag with its value or a positional argument. What a value means is the command's business;
 * the mistakes every command shares (an unknown flag, a missing or empty value, a value given to a
 * flag that takes none) are reported here, in the same words, followed by the command's hint.
 */
public final class Flags {
    /** One argument: a flag (with its value, null for a flag without one), or a positional argument ({@code flag} null). */
    public record Arg(String flag, String value) {
        public boolean positional() {
            return flag == null;
        }
    }

    private final String hint;
    private final Set<String> valued = new HashSet<>();
    private final Set<String> plain = new HashSet<>();
    private final Map<String, String> aliases = new HashMap<>();

    /** @param hint what every tokenizing error ends with, after "; " (e.g. "see ffm-echo --help", or a usage line) */
    public Flags(String hint) {
        this.hint = hint;
    }

    /** Flags that take a value. */
    public Flags valued(String... names) {
        valued.addAll(List.of(names));
        return this;
    }

    /** Flags that take none. */
    public Flags plain(String... names) {
        plain.addAll(List.of(names));
        return this;
    }

    /** {@code shortName} means {@code name} ({@code -q} for {@code --quiet}). */
    public Flags alias(String shortName, String name) {
        aliases.put(shortName, name);
        return this;
    }

    /**
     * The arguments in order. A value is the rest of {@code --name=value} or the next argument,
     * which must not itself look like a flag ({@code --html --explain} is a missing value, not a
     * file named "--explain"). A lone {@code -} is positional.
     */
    public List<Arg> parse(List<String> args) throws UsageException {
        List<Arg> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a == null) throw usage("empty argument");
            if (!a.startsWith("-") || a.equals("-")) {
                out.add(new Arg(null, a));
                continue;
            }
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            name = aliases.getOrDefault(name, name);
            if (plain.contains(name)) {
                if (value != null) throw usage(name + " takes no value; write " + name);
                out.add(new Arg(name, null));
            } else if (valued.contains(name)) {
                if (value == null && i + 1 < args.size() && args.get(i + 1) != null && !args.get(i + 1).startsWith("--")) {
                    value = args.get(++i);
                }
                if (value == null || value.isEmpty()) throw usage(name + " needs a value");
                out.add(new Arg(name, value));
            } else {
                throw usage("unknown flag " + a);
            }
        }
        return out;
    }

    private UsageException usage(String problem) {
        return new UsageException(problem + "; " + hint);
    }
}
