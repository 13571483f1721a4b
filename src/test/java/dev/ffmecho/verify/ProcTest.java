package dev.ffmecho.verify;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The /proc readings that decide when a traced server is ready, settled, and which port it may take. */
class ProcTest {
    private static String[] line(String syscallFile) {
        return syscallFile.split(" ");
    }

    // /proc/PID/task/TID/syscall as the kernel writes it: "NR arg1..arg6 sp pc", or "running".
    private static final String[] EPOLL_WAIT_FOREVER = line("232 0x4 0x7ffd5c2e1a40 0x80 0xffffffff 0x0 0x0 0x7ffd5c2e1a28 0x7f3b1c0e8d4e");
    private static final String[] EPOLL_PWAIT_FOREVER = line("281 0x4 0xc000059b38 0x80 0xffffffffffffffff 0x0 0x8 0xc000059ad0 0x4028a3");
    private static final String[] EPOLL_WAIT_NOW = line("232 0x4 0x7ffd5c2e1a40 0x80 0x0 0x0 0x0 0x7ffd5c2e1a28 0x7f3b1c0e8d4e");
    private static final String[] FUTEX = line("202 0x7f3b1c2a9910 0x80 0x0 0x0 0x0 0x0 0x7f3b1bffed70 0x7f3b1c0e8d4e");
    private static final String[] RUNNING = line("running");

    @Test
    void parkedMeansOneThreadInAnEndlessEpollWaitAndNoneOnACpu() {
        assertTrue(Proc.parked(List.of(FUTEX, EPOLL_WAIT_FOREVER, FUTEX)));
        assertTrue(Proc.parked(List.<String[]>of(EPOLL_PWAIT_FOREVER)), "Go 1.19+: epoll_pwait, timeout -1 sign-extended");
        assertFalse(Proc.parked(List.of(FUTEX, EPOLL_WAIT_NOW)), "a non-blocking poll is a thread about to do more");
        assertFalse(Proc.parked(List.of(EPOLL_WAIT_FOREVER, RUNNING)), "another thread is still working");
        assertFalse(Proc.parked(List.<String[]>of(FUTEX)));
        assertFalse(Proc.parked(List.of()), "no threads: the process is gone");
    }

    @Test
    void aListeningPortIsSeenInUseAndListening() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertTrue(Proc.listening(s.getLocalPort()));
            assertTrue(Proc.portInUse(s.getLocalPort()));
        }
    }

    @Test
    void socketsOfAProcessAreCounted() throws Exception {
        long self = ProcessHandle.current().pid();
        int before = Proc.openSockets(self);
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertTrue(s.isBound());
            assertEquals(before + 1, Proc.openSockets(self));
        }
        assertEquals(before, Proc.openSockets(self));
    }

    @Test
    void aFreePortIsFreeAndBelowTheEphemeralRange() throws Exception {
        for (int i = 0; i < 20; i++) {
            int p = FreePort.pick();
            assertTrue(p >= 1024 && p < Proc.ephemeralLow(), p + " below " + Proc.ephemeralLow());
            assertFalse(Proc.portInUse(p));
        }
        assertTrue(Proc.ephemeralLow() > 1024, "read from /proc/sys/net/ipv4/ip_local_port_range");
    }

    /** The "did not park" message says what /proc saw: here a sleeping child, then the same child gone. */
    @Test
    void whyNotParkedNamesWhatTheThreadsAreDoing() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "30").start();
        try {
            Thread.sleep(200);
            assertEquals("no thread is in epoll_wait(-1)", Proc.whyNotParked(sleeper.pid()));
        } finally {
            sleeper.destroy();
            sleeper.waitFor();
        }
        assertEquals("the process is gone", Proc.whyNotParked(sleeper.pid()));
    }
}
