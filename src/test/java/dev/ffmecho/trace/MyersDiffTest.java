package dev.ffmecho.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MyersDiffTest {

    private static String render(List<MyersDiff.Op> ops, List<String> a, List<String> b) {
        StringBuilder sb = new StringBuilder();
        for (MyersDiff.Op op : ops) {
            switch (op.type()) {
                case EQUAL -> sb.append(' ').append(a.get(op.a()));
                case DELETE -> sb.append('-').append(a.get(op.a()));
                case INSERT -> sb.append('+').append(b.get(op.b()));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    @Test
    void findsTheMinimalScript() {
        List<String> a = List.of("A", "B", "C", "A", "B", "B", "A");
        List<String> b = List.of("C", "B", "A", "B", "A", "C");
        List<MyersDiff.Op> ops = MyersDiff.diff(a, b);
        long edits = ops.stream().filter(o -> o.type() != MyersDiff.Type.EQUAL).count();
        assertEquals(5, edits, render(ops, a, b));  // the paper's example: D = 5
    }

    @Test
    void swappedLinesShowAsOneDeleteAndOneInsert() {
        List<String> a = List.of("x", "broadcast", "reuseaddr", "y");
        List<String> b = List.of("x", "reuseaddr", "broadcast", "y");
        assertEquals(" x\n-broadcast\n reuseaddr\n+broadcast\n y\n", render(MyersDiff.diff(a, b), a, b));
    }

    /** Against a plain LCS table on random inputs: the script is valid and has minimal length. */
    @Test
    void agreesWithLcsOnRandomInputs() {
        Random r = new Random(7);
        for (int round = 0; round < 500; round++) {
            List<String> a = random(r);
            List<String> b = random(r);
            List<MyersDiff.Op> ops = MyersDiff.diff(a, b);
            List<String> fromA = new ArrayList<>();
            List<String> toB = new ArrayList<>();
            int equal = 0;
            for (MyersDiff.Op op : ops) {
                if (op.type() != MyersDiff.Type.INSERT) fromA.add(a.get(op.a()));
                if (op.type() != MyersDiff.Type.DELETE) toB.add(b.get(op.b()));
                if (op.type() == MyersDiff.Type.EQUAL) {
                    assertEquals(a.get(op.a()), b.get(op.b()));
                    equal++;
                }
            }
            assertEquals(a, fromA);
            assertEquals(b, toB);
            assertEquals(lcs(a, b), equal, a + " vs " + b);
        }
    }

    private static List<String> random(Random r) {
        List<String> l = new ArrayList<>();
        for (int i = r.nextInt(15); i > 0; i--) l.add(String.valueOf((char) ('a' + r.nextInt(4))));
        return l;
    }

    private static int lcs(List<String> a, List<String> b) {
        int[][] t = new int[a.size() + 1][b.size() + 1];
        for (int i = a.size() - 1; i >= 0; i--) {
            for (int j = b.size() - 1; j >= 0; j--) {
                t[i][j] = a.get(i).equals(b.get(j)) ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
            }
        }
        return t[0][0];
    }
}
