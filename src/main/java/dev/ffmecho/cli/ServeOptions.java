package dev.ffmecho.cli;

import dev.ffmecho.flags.Flags;
import dev.ffmecho.flags.UsageException;

import java.util.List;

/**
 * The {@code serve} command line. Defaults reproduce the study note's traced run:
 * {@code --listen :10020 --profile go1.6 --mode sequential}.
 */
record ServeOptions(String listen, String profile, String mode, int loops, String io, String trigger, String accept,
                    int procs, int maxConns, boolean quiet, boolean narrate) {
    static final String DEFAULT_LISTEN = ":10020";
    /** The eventloop defaults are the faster of each pair as measured (native-notes/13). */
    static final String DEFAULT_IO = "epoll";
    static final String DEFAULT_TRIGGER = "level";
    static final String DEFAULT_ACCEPT = "reuseport";

    static ServeOptions parse(List<String> args) throws UsageException {
        String listen = DEFAULT_LISTEN;
        String profile = "go1.6";
        String mode = "sequential";
        int loops = 0;
        int procs = 0;
        String io = null;
        String trigger = null;
        String accept = null;
        int maxConns = 0;
        boolean quiet = false;
        boolean narrate = false;
        Flags flags = new Flags("see ffm-echo --help")
                .valued("--listen", "--profile", "--mode", "--loops", "--io", "--trigger", "--accept", "--procs", "--max-conns")
                .plain("--quiet", "--narrate").alias("-q", "--quiet");
        for (Flags.Arg arg : flags.parse(args)) {
            String name = arg.flag();
            String value = arg.value();
            switch (name == null ? "" : name) {
                case "--quiet" -> quiet = true;
                case "--narrate" -> narrate = true;
                case "--listen" -> listen = value;
                case "--profile" -> profile = oneOf(name, value, "go1.6", "go1.19", "go1.23");
                case "--mode" -> mode = oneOf(name, value, "sequential", "goroutine", "eventloop");
                case "--loops" -> loops = positive(name, value, 1024);
                case "--io" -> io = oneOf(name, value, "epoll", "io_uring");
                case "--trigger" -> trigger = oneOf(name, value, "level", "edge");
                case "--accept" -> accept = oneOf(name, value, "reuseport", "single");
                case "--procs" -> procs = positive(name, value, 32767); // the JDK scheduler's limit
                case "--max-conns" -> maxConns = positive(name, value, 1 << 24);
                default -> throw new UsageException("unexpected argument \"" + value + "\"; flags are --listen, --profile, --mode, "
                        + "--loops, --io, --trigger, --accept, --procs, --max-conns, --quiet, --narrate");
            }
        }
        if (!mode.equals("eventloop")) {
            String flag = loops != 0 ? "--loops" : io != null ? "--io" : trigger != null ? "--trigger" : accept != null ? "--accept" : null;
            if (flag != null) throw new UsageException(flag + " applies to --mode eventloop only; drop it or add --mode eventloop");
        }
        if (trigger != null && "io_uring".equals(io)) {
            throw new UsageException("--trigger applies to --io epoll only (io_uring has no readiness to trigger on); drop --trigger");
        }
        if (procs != 0 && !mode.equals("goroutine")) {
            throw new UsageException("--procs applies to --mode goroutine only; drop it or add --mode goroutine");
        }
        return new ServeOptions(listen, profile, mode, loops, io != null ? io : DEFAULT_IO, trigger != null ? trigger : DEFAULT_TRIGGER,
                accept != null ? accept : DEFAULT_ACCEPT, procs, maxConns, quiet, narrate);
    }

    private static String oneOf(String flag, String value, String... allowed) throws UsageException {
        for (String a : allowed) if (a.equals(value)) return value;
        throw new UsageException(flag + " " + value + " is not one of " + String.join(", ", allowed));
    }

    private static int positive(String flag, String value, int max) throws UsageException {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= max) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new UsageException(flag + " " + value + " is not a whole number from 1 to " + max);
    }
}
