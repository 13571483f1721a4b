package dev.ffmecho.verify;

/**
 * Why {@code verify} stopped before it could print a verdict, as one line for the user, and the exit
 * status that goes with it: 2 when it could not run (bad option, missing tool, no ptrace, a failed
 * build), 1 when ffm-echo itself misbehaved (its echo was wrong), which is a difference too.
 */
public final class VerifyException extends Exception {
    static final int DIFFERENT = 1;
    static final int CANNOT_RUN = 2;

    private final int status;

    private VerifyException(String message, int status) {
        super(message);
        this.status = status;
    }

    /** Bad input or a missing prerequisite: exit 2. */
    static VerifyException cannotRun(String message) {
        return new VerifyException(message, CANNOT_RUN);
    }

    /** ffm-echo did not behave as an echo server: exit 1. */
    static VerifyException different(String message) {
        return new VerifyException(message, DIFFERENT);
    }

    int status() {
        return status;
    }
}
