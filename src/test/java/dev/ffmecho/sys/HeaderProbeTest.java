package dev.ffmecho.sys;

import dev.ffmecho.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every constant and struct layout the sys package declares, checked against the system's C headers:
 * a C probe that prints each macro value, sizeof and offsetof is generated from the Java
 * declarations, compiled with gcc and run. A constant that drifts from its header fails here.
 */
class HeaderProbeTest {
    /** Constant classes whose every public static final int is a C macro of the same name. */
    private static final List<Class<?>> CONSTANT_CLASSES = List.of(Socket.class, EPoll.class, Unistd.class, Mman.class, Errno.class, IoUring.class);

    private static final Map<String, Long> probed = new LinkedHashMap<>();
    private static final Map<Integer, String> cErrnoNames = new LinkedHashMap<>();

    @BeforeAll
    static void compileAndRunProbe(@TempDir Path dir) throws Exception {
        String gcc = Tools.require("gcc", "check constants and struct layouts against the C headers");
        StringBuilder c = new StringBuilder("""
                #define _GNU_SOURCE
                #include <errno.h>
                #include <fcntl.h>
                #include <linux/io_uring.h>
                #include <netinet/in.h>
                #include <netinet/tcp.h>
                #include <stddef.h>
                #include <stdio.h>
                #include <string.h>
                #include <sys/epoll.h>
                #include <sys/mman.h>
                #include <sys/eventfd.h>
                #include <sys/socket.h>
                #include <sys/syscall.h>
                #include <sys/time.h>
                #include <unistd.h>
                #define P(name, value) printf("%s %lld\\n", name, (long long) (value))
                int main(void) {
                """);
        for (String name : constants().keySet()) c.append("  P(\"").append(name).append("\", ").append(name).append(");\n");
        c.append("""
                  P("sizeof sockaddr", sizeof(struct sockaddr));
                  P("sizeof sockaddr_in", sizeof(struct sockaddr_in));
                  P("offsetof sockaddr_in.sin_family", offsetof(struct sockaddr_in, sin_family));
                  P("offsetof sockaddr_in.sin_port", offsetof(struct sockaddr_in, sin_port));
                  P("offsetof sockaddr_in.sin_addr", offsetof(struct sockaddr_in, sin_addr));
                  P("sizeof sockaddr_in6", sizeof(struct sockaddr_in6));
                  P("offsetof sockaddr_in6.sin6_family", offsetof(struct sockaddr_in6, sin6_family));
                  P("offsetof sockaddr_in6.sin6_port", offsetof(struct sockaddr_in6, sin6_port));
                  P("offsetof sockaddr_in6.sin6_flowinfo", offsetof(struct sockaddr_in6, sin6_flowinfo));
                  P("offsetof sockaddr_in6.sin6_addr", offsetof(struct sockaddr_in6, sin6_addr));
                  P("offsetof sockaddr_in6.sin6_scope_id", offsetof(struct sockaddr_in6, sin6_scope_id));
                  P("sizeof timeval", sizeof(struct timeval));
                  P("offsetof timeval.tv_sec", offsetof(struct timeval, tv_sec));
                  P("offsetof timeval.tv_usec", offsetof(struct timeval, tv_usec));
                  P("sizeof epoll_event", sizeof(struct epoll_event));
                """);
        for (String[] struct : IO_URING_STRUCTS) {
            c.append("  P(\"sizeof ").append(struct[0]).append("\", sizeof(struct ").append(struct[0]).append("));\n");
            for (int i = 1; i < struct.length; i++) {
                c.append("  P(\"offsetof ").append(struct[0]).append('.').append(struct[i]).append("\", offsetof(struct ")
                        .append(struct[0]).append(", ").append(struct[i]).append("));\n");
            }
        }
        c.append("""
                  P("offsetof io_uring_buf_ring.tail", offsetof(struct io_uring_buf_ring, tail));
                  P("offsetof epoll_event.events", offsetof(struct epoll_event, events));
                  P("offsetof epoll_event.data", offsetof(struct epoll_event, data));
                  for (int e = 1; e < 134; e++) if (strerrorname_np(e)) printf("errno %d %s\\n", e, strerrorname_np(e));
                  return 0;
                }
                """);
        Path src = dir.resolve("probe.c");
        Path exe = dir.resolve("probe");
        Files.writeString(src, c);
        run(List.of(gcc, "-Wall", "-Werror", "-o", exe.toString(), src.toString()));
        for (String line : run(List.of(exe.toString())).split("\n")) {
            if (line.startsWith("errno ")) {
                String[] f = line.split(" ");
                cErrnoNames.put(Integer.parseInt(f[1]), f[2]);
            } else {
                int sp = line.lastIndexOf(' ');
                probed.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1)));
            }
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + command);
        assertEquals(0, p.exitValue(), command + " failed:\n" + out);
        return out;
    }

    /** The io_uring structs and the fields each Java layout names, as {struct, field…}. */
    private static final String[][] IO_URING_STRUCTS = {
        {"io_uring_params", "sq_entries", "cq_entries", "flags", "sq_thread_cpu", "sq_thread_idle", "features", "wq_fd",
            "resv", "sq_off", "cq_off"},
        {"io_sqring_offsets", "head", "tail", "ring_mask", "ring_entries", "flags", "dropped", "array", "resv1", "resv2"},
        {"io_cqring_offsets", "head", "tail", "ring_mask", "ring_entries", "overflow", "cqes", "flags", "resv1", "resv2"},
        {"io_uring_sqe", "opcode", "flags", "ioprio", "fd", "addr2", "addr", "len", "rw_flags", "user_data", "buf_group",
            "personality", "file_index", "addr3", "__pad2"},
        {"io_uring_cqe", "user_data", "res", "flags"},
        {"io_uring_buf", "addr", "len", "bid", "resv"},
        {"io_uring_buf_reg", "ring_addr", "ring_entries", "bgid", "pad", "resv"},
    };

    /** Every public static final int or long of the constant classes: each is a C macro or enum constant of that name. */
    private static Map<String, Long> constants() throws IllegalAccessException {
        Map<String, Long> all = new LinkedHashMap<>();
        for (Class<?> k : CONSTANT_CLASSES) {
            for (Field f : k.getDeclaredFields()) {
                int m = f.getModifiers();
                if (!Modifier.isPublic(m) || !Modifier.isStatic(m) || !Modifier.isFinal(m)) continue;
                if (f.getType() == int.class) all.put(f.getName(), (long) f.getInt(null));
                if (f.getType() == long.class) all.put(f.getName(), f.getLong(null));
            }
        }
        return all;
    }

    @Test
    void everyDeclaredConstantEqualsItsCHeaderValue() throws IllegalAccessException {
        List<String> wrong = new ArrayList<>();
        constants().forEach((name, value) -> {
            if ((long) value != probed.get(name) && (int) (long) probed.get(name) != value) {
                wrong.add(name + ": Java " + value + ", C " + probed.get(name));
            }
        });
        assertTrue(constants().size() >= 40, "expected the sys constants to be found by reflection");
        assertEquals(List.of(), wrong);
    }

    @Test
    void sockaddrInLayoutMatchesNetinetIn() {
        assertStruct("sockaddr_in", SockaddrIn.LAYOUT, "sin_family", "sin_port", "sin_addr");
    }

    @Test
    void sockaddrIn6LayoutMatchesNetinetIn() {
        assertStruct("sockaddr_in6", SockaddrIn6.LAYOUT,
                "sin6_family", "sin6_port", "sin6_flowinfo", "sin6_addr", "sin6_scope_id");
    }

    /** SO_RCVTIMEO/SO_SNDTIMEO take a struct timeval; the probe also checks their numbers are the 64-bit-time_t ones. */
    @Test
    void timevalLayoutMatchesSysTime() {
        assertStruct("timeval", Socket.TIMEVAL, "tv_sec", "tv_usec");
    }

    @Test
    void epollEventIsPackedTwelveBytesOnX86_64() {
        assertStruct("epoll_event", EpollEvent.LAYOUT, "events", "data");
        if (System.getProperty("os.arch").equals("amd64")) {
            assertEquals(12, EpollEvent.SIZE);
            assertEquals(4, EpollEvent.LAYOUT.byteOffset(groupElement("data")));
        }
    }

    @Test
    void ioUringLayoutsMatchLinuxIoUringH() {
        StructLayout[] layouts = {IoUringParams.LAYOUT, IoUringParams.SQ_OFFSETS, IoUringParams.CQ_OFFSETS, IoUringSqe.LAYOUT,
            IoUringCqe.LAYOUT, IoUringBufRing.BUF, IoUringBufRing.REG};
        for (int i = 0; i < layouts.length; i++) {
            String[] struct = IO_URING_STRUCTS[i];
            assertStruct(struct[0], layouts[i], java.util.Arrays.copyOfRange(struct, 1, struct.length));
        }
        assertEquals(probed.get("offsetof io_uring_buf_ring.tail"), IoUringBufRing.TAIL_OFFSET);
    }

    @Test
    void rawSockaddrAnyIsGos112ByteBuffer() {
        // Go: RawSockaddrAny{Addr RawSockaddr; Pad [96]int8}, RawSockaddr being struct sockaddr.
        assertEquals(probed.get("sizeof sockaddr") + 96, RawSockaddrAny.SIZE);
        assertEquals(112, RawSockaddrAny.SIZE);
        assertTrue(RawSockaddrAny.SIZE >= probed.get("sizeof sockaddr_in6"));
    }

    @Test
    void errnoNamesMatchGlibc() {
        assertTrue(cErrnoNames.size() > 100, "the probe printed glibc's errno names");
        List<String> wrong = new ArrayList<>();
        cErrnoNames.forEach((errno, name) -> {
            if (!name.equals(Errno.name(errno))) wrong.add(errno + ": Java " + Errno.name(errno) + ", glibc " + name);
        });
        assertEquals(List.of(), wrong);
        assertEquals("EAGAIN (Resource temporarily unavailable)", Errno.describe(Errno.EAGAIN));
    }

    @Test
    void refusesAnEpollEventLayoutForAnUnknownArchitecture() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class,
                () -> EpollEvent.layoutFor("sparc"));
        assertTrue(e.getMessage().contains("sparc"));
    }

    private static void assertStruct(String cName, StructLayout layout, String... fields) {
        assertEquals(probed.get("sizeof " + cName), layout.byteSize(), "sizeof " + cName);
        for (String f : fields) {
            assertEquals(probed.get("offsetof " + cName + "." + f),
                    layout.byteOffset(MemoryLayout.PathElement.groupElement(f)), "offsetof " + cName + "." + f);
        }
    }
}
