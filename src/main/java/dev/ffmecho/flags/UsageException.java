package dev.ffmecho.flags;

/** Bad command line: every command prints the message as one line on stderr and exits 2. */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
