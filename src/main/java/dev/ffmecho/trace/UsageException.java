package dev.ffmecho.trace;

/** Bad command line: trace-diff prints the message as one line and exits 2. */
final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
