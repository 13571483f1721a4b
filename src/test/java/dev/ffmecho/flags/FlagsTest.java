package dev.ffmecho.flags;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The tokenizer every command shares: the forms it accepts and the mistakes it names, in the same words for all. */
class FlagsTest {
    private static final Flags FLAGS = new Flags("see --help").valued("--html", "--loops").plain("--quiet").alias("-q", "--quiet");

    private static List<Flags.Arg> parse(String... args) throws UsageException {
        return FLAGS.parse(List.of(args));
    }

    private static String error(String... args) {
        return assertThrows(UsageException.class, () -> parse(args)).getMessage();
    }

    @Test
    void valuesComeJoinedOrNextAndPositionalsKeepTheirPlace() throws UsageException {
        assertEquals(List.of(new Flags.Arg("--html", "a.html"), new Flags.Arg(null, "run.strace"), new Flags.Arg("--loops", "-1"),
                        new Flags.Arg("--quiet", null), new Flags.Arg(null, "-")),
                parse("--html=a.html", "run.strace", "--loops", "-1", "-q", "-"));
    }

    @Test
    void everyMistakeIsOneSentenceWithTheCommandsHint() {
        assertEquals("unknown flag --frobnicate; see --help", error("--frobnicate"));
        assertEquals("--html needs a value; see --help", error("--html"));
        assertEquals("--html needs a value; see --help", error("--html="));
        assertEquals("--html needs a value; see --help", error("--html", "--quiet"), "a flag is not a value");
        assertEquals("--quiet takes no value; write --quiet; see --help", error("--quiet=yes"));
        assertEquals("empty argument; see --help", assertThrows(UsageException.class,
                () -> FLAGS.parse(java.util.Arrays.asList("--quiet", null))).getMessage());
    }
}
