package dev.ffmecho.cli;

import dev.ffmecho.sys.Narrator;
import sun.misc.Signal;

/**
 * SIGINT and SIGTERM handling. The JVM owns the process's signal handlers, so a Java program cannot
 * install its own with sigaction through FFM; {@code sun.misc.Signal} (module jdk.unsupported, kept
 * for exactly this use) runs a Java handler on the JVM's signal dispatcher thread instead. Unlike a
 * shutdown hook, returning from it does not end the process, so the server can drain and
 * {@code main} can exit 0.
 */
final class Signals {
    private Signals() {}

    static void onTerminate(Runnable stop) {
        for (String name : new String[] {"INT", "TERM"}) {
            Signal.handle(new Signal(name), signal -> {
                Narrator.signal("SIG" + signal.getName());
                stop.run();
            });
        }
    }
}
