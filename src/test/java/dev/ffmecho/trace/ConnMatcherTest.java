package dev.ffmecho.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Connection stories pair as a multiset: equal ones whatever their order, then the closest. */
class ConnMatcherTest {

    private static int line = 1;

    private static Story conn(String role, String... texts) {
        List<Entry> entries = new ArrayList<>();
        for (String t : texts) {
            Syscall s = new Syscall(1, "x", "", null, "0", null, null, null, line, line, t);
            line++;
            entries.add(new Entry(t, List.of(s), Entry.Kind.CALL));
        }
        return new Story(Story.Kind.CONNECTION, role, entries);
    }

    @Test
    void equalStoriesPairWhateverTheirAcceptOrder() {
        Story small = conn("conn1", "accept", "bytes in=5", "close");
        Story big = conn("conn2", "accept", "bytes in=70000", "close");
        Story bigAgain = conn("conn1", "accept", "bytes in=70000", "close");
        Story smallAgain = conn("conn2", "accept", "bytes in=5", "close");
        List<ConnMatcher.Pair> pairs = ConnMatcher.pair(List.of(small, big), List.of(bigAgain, smallAgain));
        assertEquals(2, pairs.size());
        assertTrue(pairs.stream().allMatch(ConnMatcher.Pair::equal));
        assertEquals(smallAgain, pairs.get(0).act());
        assertEquals(bigAgain, pairs.get(1).act());
    }

    @Test
    void anUnequalStoryPairsWithTheClosestAndAMissingOneStandsAlone() {
        Story a = conn("conn1", "accept", "nodelay", "keepalive", "bytes in=5", "close");
        Story b = conn("conn2", "accept", "nodelay", "keepalive", "bytes in=70000", "close");
        Story c = conn("conn3", "accept", "nodelay", "keepalive", "bytes in=1", "close");
        Story bWithoutNodelay = conn("conn1", "accept", "keepalive", "bytes in=70000", "close");
        Story cOther = conn("conn2", "accept", "nodelay", "keepalive", "bytes in=1", "close");
        List<ConnMatcher.Pair> pairs = ConnMatcher.pair(List.of(a, b, c), List.of(bWithoutNodelay, cOther));
        assertEquals(3, pairs.size());
        assertEquals(a, pairs.get(0).ref());
        assertNull(pairs.get(0).act(), "conn1 has no counterpart left: " + pairs);
        assertEquals(bWithoutNodelay, pairs.get(1).act(), "b's closest is the one without NODELAY (1 line), not a (3 lines)");
        assertTrue(!pairs.get(1).equal() && pairs.get(2).equal());
        assertEquals(1, ConnMatcher.distance(b, bWithoutNodelay));
    }
}
