package dev.ffmecho.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * What /proc says about a traced server (proc(5)): where its threads are, its sockets, and listening
 * ports. Public for the integration tests, which wait on traced servers the same way.
 */
public final class Proc {
    private static final String SYS_EPOLL_WAIT = "232";  // x86_64 syscall numbers (asm/unistd_64.h)
    private static final String SYS_EPOLL_PWAIT = "281";
    private static final String TCP_LISTEN = "0A";       // include/net/tcp_states.h: TCP_LISTEN = 10
    private static final List<Path> TCP_TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

    private Proc() {}

    /**
     * A thread of {@code pid} is blocked in epoll_wait/epoll_pwait with timeout -1 — the server is
     * parked waiting for the network — and no thread is on a CPU, so nothing is half-way through a
     * sequence of calls. /proc/PID/task/TID/syscall is "NR arg1 … arg6 sp pc" for a thread in a
     * syscall, "running" for one that is not; the timeout is arg4, an int: low 32 bits all ones.
     */
    static boolean parked(long pid) {
        return parked(taskSyscalls(pid));
    }

    /** {@link #parked(long)} of the threads' /proc/PID/task/TID/syscall lines, each split on blanks. */
    static boolean parked(List<String[]> threads) {
        for (String[] f : threads) {
            if (f[0].equals("running")) return false;
        }
        return anyBlockedInEpollWait(threads);
    }

    /** A thread of {@code pid} is blocked in epoll_wait/epoll_pwait with timeout -1 (others may be running). */
    public static boolean blockedInEpollWait(long pid) {
        return anyBlockedInEpollWait(taskSyscalls(pid));
    }

    private static boolean anyBlockedInEpollWait(List<String[]> threads) {
        return threads.stream().anyMatch(Proc::inEndlessEpollWait);
    }

    /** A /proc/PID/task/TID/syscall line (split) of a thread in epoll_wait/epoll_pwait with timeout -1. */
    private static boolean inEndlessEpollWait(String[] f) {
        return f.length >= 5 && (f[0].equals(SYS_EPOLL_WAIT) || f[0].equals(SYS_EPOLL_PWAIT))
                && (Long.parseUnsignedLong(f[4].replaceFirst("^0x", ""), 16) & 0xffff_ffffL) == 0xffff_ffffL;
    }

    /** One thread of a process: its name (comm) and its syscall line, split on blanks. */
    private record Task(String name, String[] syscall) {}

    private static List<String[]> taskSyscalls(long pid) {
        return tasks(pid).stream().map(Task::syscall).toList();
    }

    private static List<Task> tasks(long pid) {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            return tasks.map(t -> {
                try {
                    return new Task(firstLine(t.resolve("comm")).strip(), firstLine(t.resolve("syscall")).trim().split(" "));
                } catch (IOException gone) {
                    return new Task("?", new String[] {"exited"}); // the thread ended meanwhile
                }
            }).toList();
        } catch (IOException gone) {
            return List.of(); // the process ended
        }
    }

    /**
     * Why {@link #parked} is false right now, for a "did not park" message: whether a thread is in
     * an endless epoll wait, and which threads (by name) are on a CPU.
     */
    public static String whyNotParked(long pid) {
        List<Task> all = tasks(pid);
        if (all.isEmpty()) return "the process is gone";
        String poll = all.stream().anyMatch(t -> inEndlessEpollWait(t.syscall()))
                ? "a thread is in epoll_wait(-1)" : "no thread is in epoll_wait(-1)";
        List<String> onCpu = all.stream().filter(t -> t.syscall()[0].equals("running")).map(Task::name).toList();
        return poll + (onCpu.isEmpty() ? "" : "; on a CPU: " + String.join(", ", onCpu));
    }

    /** How many sockets {@code pid} holds open (fds whose link is "socket:[inode]"); -1 once it has exited. */
    public static int openSockets(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return (int) fds.filter(Proc::isSocket).count();
        } catch (IOException gone) {
            return -1;
        }
    }

    private static boolean isSocket(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString().startsWith("socket:");
        } catch (IOException closed) {
            return false;
        }
    }

    /** A TCP socket in LISTEN state on {@code port}, IPv4 or IPv6. */
    static boolean listening(int port) {
        return tcpSockets().anyMatch(f -> localPort(f) == port && f[3].equals(TCP_LISTEN));
    }

    /** Any TCP socket, in any state, has {@code port} as its local port. */
    static boolean portInUse(int port) {
        return tcpSockets().anyMatch(f -> localPort(f) == port);
    }

    /** Rows of /proc/net/tcp{,6} split on blanks: "sl local_address rem_address st …", addresses as HEXIP:HEXPORT. */
    private static Stream<String[]> tcpSockets() {
        return TCP_TABLES.stream().flatMap(table -> {
            try {
                return Files.readAllLines(table).stream().skip(1).map(l -> l.trim().split("\\s+")).filter(f -> f.length > 3);
            } catch (IOException noIpv6) {
                return Stream.empty();
            }
        });
    }

    private static int localPort(String[] row) {
        String local = row[1];
        return Integer.parseInt(local.substring(local.indexOf(':') + 1).toUpperCase(Locale.ROOT), 16);
    }

    /**
     * The first line of a /proc file, read line-wise: procfs files report size 0, and a read that
     * trusts the size (Files.readString) can stop after the first short read.
     */
    private static String firstLine(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        return lines.isEmpty() ? "" : lines.getFirst();
    }

    /** The first port of the kernel's ephemeral range (net.ipv4.ip_local_port_range; 32768 by default). */
    static int ephemeralLow() {
        try {
            return Integer.parseInt(firstLine(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0]);
        } catch (IOException | NumberFormatException e) {
            return 32768;
        }
    }
}
