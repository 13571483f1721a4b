package dev.ffmecho.verify;

/**
 * What the built-in client does to the server, the same shapes everywhere in this project:
 * {@code serial} (one client, "hello", the study note's run), {@code back-to-back} (three clients,
 * 5 B, 70 000 B and 1 B, each closed before the next connects) and {@code concurrent=N} (N clients
 * at once, each 3 × 64 B round trips, then 200 000 B streamed, half-close, read to EOF).
 */
record Clients(Shape shape, int count) {
    enum Shape { SERIAL, BACK_TO_BACK, CONCURRENT }

    static final int DEFAULT_CONCURRENT = 4;
    /** More clients than this is a load test, not a trace to compare (and each needs two threads here). */
    static final int MAX_CONCURRENT = 64;

    static final Clients SERIAL = new Clients(Shape.SERIAL, 1);
    static final Clients BACK_TO_BACK = new Clients(Shape.BACK_TO_BACK, 3);

    static Clients concurrent(int n) {
        return new Clients(Shape.CONCURRENT, n);
    }

    /** {@code serial}, {@code back-to-back}, {@code concurrent} or {@code concurrent=N}. */
    static Clients parse(String value) throws VerifyException {
        switch (value) {
            case "serial" -> {
                return SERIAL;
            }
            case "back-to-back" -> {
                return BACK_TO_BACK;
            }
            case "concurrent" -> {
                return concurrent(DEFAULT_CONCURRENT);
            }
            default -> {
                if (!value.startsWith("concurrent=")) {
                    throw VerifyException.cannotRun("--clients " + value + " is not a client shape: use serial, back-to-back or concurrent[=N]");
                }
                return concurrent(count(value.substring("concurrent=".length())));
            }
        }
    }

    private static int count(String n) throws VerifyException {
        int count;
        try {
            count = Integer.parseInt(n);
        } catch (NumberFormatException e) {
            count = -1;
        }
        if (count < 1 || count > MAX_CONCURRENT) {
            throw VerifyException.cannotRun("--clients concurrent=" + n + ": N must be a number from 1 to " + MAX_CONCURRENT);
        }
        return count;
    }

    /** The default shape for a server mode: the study note's one client, or Go's concurrent shape. */
    static Clients defaultFor(String mode) {
        return mode.equals("goroutine") ? concurrent(DEFAULT_CONCURRENT) : SERIAL;
    }

    /** Several clients at once: their connections interleave, so traces are compared per connection. */
    boolean overlapping() {
        return shape == Shape.CONCURRENT;
    }

    /** As the option is spelled: {@code serial}, {@code back-to-back}, {@code concurrent=4}. */
    @Override
    public String toString() {
        return switch (shape) {
            case SERIAL -> "serial";
            case BACK_TO_BACK -> "back-to-back";
            case CONCURRENT -> "concurrent=" + count;
        };
    }

    /** As a bundled reference's name ends: {@code serial}, {@code back-to-back}, {@code concurrent-4}. */
    String key() {
        return toString().replace('=', '-');
    }
}
