package dev.ffmecho.verify;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A port for the traced server: one that no socket uses in any state, below the ephemeral range so
 * that no client connection — live, or lingering in TIME_WAIT from an earlier run — can take it
 * between the choice and the server's bind (a client's TIME_WAIT port once made Go's bind fail).
 */
final class FreePort {
    private static final int LOWEST = 10_000;
    private static final int TRIES = 200;

    private FreePort() {}

    static int pick() throws VerifyException {
        int high = Proc.ephemeralLow();
        int low = Math.max(1024, Math.min(LOWEST, high - 1000));
        for (int i = 0; i < TRIES; i++) {
            int port = ThreadLocalRandom.current().nextInt(low, high);
            if (!Proc.portInUse(port)) return port;
        }
        throw VerifyException.cannotRun("no free TCP port found between " + low + " and " + high
                + " in " + TRIES + " tries: close some connections and retry");
    }
}
