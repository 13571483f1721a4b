package dev.ffmecho.sys;

import java.io.IOException;

/** A failed libc call, named the way strace and Go name it: {@code accept4: EMFILE (Too many open files)}. */
public final class SyscallException extends IOException {
    private final String syscall;
    private final int errno;

    public SyscallException(String syscall, int errno) {
        super(syscall + ": " + Errno.describe(errno));
        this.syscall = syscall;
        this.errno = errno;
    }

    public String syscall() {
        return syscall;
    }

    public int errno() {
        return errno;
    }
}
