package dev.ffmecho.loop;

import java.io.IOException;

/** The chosen {@link Io} cannot serve on this machine; the message names the cause. */
public final class IoUnavailableException extends IOException {
    IoUnavailableException(String cause) {
        super(cause);
    }
}
