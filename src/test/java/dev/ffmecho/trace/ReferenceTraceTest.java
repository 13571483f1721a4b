package dev.ffmecho.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ffmecho.StudyNote;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bundled go1.6 reference: its provenance, its seed blocks, and its normalized form. */
class ReferenceTraceTest {

    @Test
    void headerSaysWhereItComesFrom() {
        String ref = Fixtures.go16();
        assertTrue(ref.startsWith("#"));
        assertTrue(ref.contains("yuuki"));
        assertTrue(ref.contains("2016/05/11"));
        assertTrue(ref.contains("https://gist.github.com/yuuki/99b06be97a2f47b169aaa21e9d2cae76"));
        assertTrue(ref.contains("# --- derived from Go 1.6 source, not in the seed ---"));
        int derived = ref.indexOf("# --- derived from Go 1.6 source");
        for (String cite : List.of("src/io/io.go", "src/net/fd_unix.go", "src/runtime/netpoll_epoll.go",
                "src/runtime/proc.go", "src/net/tcpsock_posix.go")) {
            assertTrue(ref.indexOf(cite, derived) > 0, "derived phase cites " + cite);
        }
    }

    @Test
    void derivedPhaseIsWhatTheBriefSpecifies() {
        String ref = Fixtures.go16();
        String derived = ref.substring(ref.indexOf("# --- derived from Go 1.6 source"));
        List<String> calls = derived.lines().filter(l -> !l.startsWith("#")).toList();
        assertEquals(List.of(
                "read(5, 0xc820086000, 32768)            = -1 EAGAIN (Resource temporarily unavailable)",
                "epoll_wait(4, {{EPOLLOUT, {u32=912307056, u64=140631026479984}}}, 128, 0) = 1",
                "epoll_wait(4, {{EPOLLIN|EPOLLOUT, {u32=912307056, u64=140631026479984}}}, 128, -1) = 1",
                "read(5, \"hello\", 32768)                 = 5",
                "write(5, \"hello\", 5)                    = 5",
                "read(5, 0xc820086000, 32768)            = -1 EAGAIN (Resource temporarily unavailable)",
                "epoll_wait(4, {}, 128, 0)               = 0",
                "epoll_wait(4, {{EPOLLIN|EPOLLOUT|EPOLLRDHUP, {u32=912307056, u64=140631026479984}}}, 128, -1) = 1",
                "read(5, \"\", 32768)                      = 0",
                "epoll_ctl(4, EPOLL_CTL_DEL, 5, {0, {u32=0, u64=0}}) = 0",
                "close(5)                                = 0",
                "accept4(3, 0xc820033a40, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)",
                "epoll_wait(4, {}, 128, 0)               = 0",
                "epoll_wait(4,  <unfinished ...>",
                "+++ killed by SIGTERM +++"), calls);
    }

    /**
     * The study note's three strace excerpts are in the reference byte for byte: each copy hashes
     * to the SHA-256 recorded from the note when the reference was made, and the header shows the
     * same digests to a reader.
     */
    @Test
    void seedBlocksAreTheNotesExcerptsByDigest() {
        List<List<String>> excerpts = StudyNote.excerpts();
        assertEquals(3, excerpts.size(), "the note has three strace excerpts");
        String ref = Fixtures.go16();
        for (int i = 0; i < 3; i++) {
            String recorded = StudyNote.RECORDED_SHA256.get(i);
            assertEquals(recorded, StudyNote.sha256(excerpts.get(i)),
                    "seed block " + (i + 1) + " is not the note's excerpt byte for byte (first line: " + excerpts.get(i).get(0) + ")");
            assertTrue(ref.contains("#   block " + (i + 1) + "  " + recorded), "the header records block " + (i + 1) + "'s digest");
        }
    }

    /** The exact normalized form of the reference, as a golden file a reviewer can read. */
    @Test
    void normalizedFormMatchesTheGoldenFile() {
        List<String> expected = Fixtures.utf8Resource("go1.6.normalized.txt").lines().toList();
        assertEquals(expected, Fixtures.norm(Fixtures.go16()).lines());
    }

    @Test
    void theReferenceIsCutAtItsKillAndHasNoTrailer() {
        NormalizedTrace t = Fixtures.norm(Fixtures.go16());
        assertEquals("killed by SIGTERM", t.cutWhat());
        assertTrue(t.trailer().isEmpty());
        assertEquals("epoll_wait(epoll1, <unfinished>", t.lines().get(t.lines().size() - 1));
        assertEquals(3, t.counts().get(Rule.RUNTIME_NOISE), "clock_gettime and two futex calls of the seed");
    }
}
