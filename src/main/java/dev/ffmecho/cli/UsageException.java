package dev.ffmecho.cli;

/** Bad input from the user: printed as one line on stderr, exit status 2. */
final class UsageException extends Exception {
    UsageException(String message) {
        super(message);
    }
}
