package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Myers' O((N+M)·D) shortest edit script over two line lists (E. Myers, "An O(ND) Difference
 * Algorithm and Its Variations", 1986). Common head and tail are trimmed first; the per-step
 * frontier snapshots cost O(D²) memory, so past {@link #MAX_EDITS} edits (two unrelated traces)
 * the middle is reported as replaced wholesale instead of aligned.
 */
final class MyersDiff {
    private MyersDiff() {}

    static final int MAX_EDITS = 4000;

    enum Type { EQUAL, DELETE, INSERT }

    /** One diff row: DELETE has only {@code a}, INSERT only {@code b}, EQUAL both (-1 = none). */
    record Op(Type type, int a, int b) {}

    static List<Op> diff(List<String> a, List<String> b) {
        int n = a.size();
        int m = b.size();
        int pre = 0;
        while (pre < n && pre < m && a.get(pre).equals(b.get(pre))) pre++;
        int suf = 0;
        while (suf < n - pre && suf < m - pre && a.get(n - 1 - suf).equals(b.get(m - 1 - suf))) suf++;
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < pre; i++) ops.add(new Op(Type.EQUAL, i, i));
        ops.addAll(core(a.subList(pre, n - suf), b.subList(pre, m - suf), pre, pre));
        for (int i = suf; i > 0; i--) ops.add(new Op(Type.EQUAL, n - i, m - i));
        return ops;
    }

    private static List<Op> core(List<String> a, List<String> b, int aOff, int bOff) {
        int n = a.size();
        int m = b.size();
        List<Op> ops = new ArrayList<>();
        if (n == 0 || m == 0) {
            for (int i = 0; i < n; i++) ops.add(new Op(Type.DELETE, aOff + i, -1));
            for (int j = 0; j < m; j++) ops.add(new Op(Type.INSERT, -1, bOff + j));
            return ops;
        }
        int max = n + m;
        int offset = max + 1;
        int[] v = new int[2 * max + 3];
        List<int[]> snapshots = new ArrayList<>();  // snapshots.get(d)[k + d + 1] = v[k] before step d
        int found = -1;
        outer:
        for (int d = 0; d <= Math.min(max, MAX_EDITS); d++) {
            int[] snap = new int[2 * d + 3];
            System.arraycopy(v, offset - d - 1, snap, 0, 2 * d + 3);
            snapshots.add(snap);
            for (int k = -d; k <= d; k += 2) {
                int x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]))
                        ? v[offset + k + 1] : v[offset + k - 1] + 1;
                int y = x - k;
                while (x < n && y < m && a.get(x).equals(b.get(y))) {
                    x++;
                    y++;
                }
                v[offset + k] = x;
                if (x >= n && y >= m) {
                    found = d;
                    break outer;
                }
            }
        }
        if (found < 0) {  // too different to align cheaply: replace wholesale
            for (int i = 0; i < n; i++) ops.add(new Op(Type.DELETE, aOff + i, -1));
            for (int j = 0; j < m; j++) ops.add(new Op(Type.INSERT, -1, bOff + j));
            return ops;
        }
        int x = n;
        int y = m;
        for (int d = found; d > 0; d--) {
            int[] snap = snapshots.get(d);
            int k = x - y;
            int prevK = (k == -d || (k != d && at(snap, d, k - 1) < at(snap, d, k + 1))) ? k + 1 : k - 1;
            int prevX = at(snap, d, prevK);
            int prevY = prevX - prevK;
            while (x > prevX && y > prevY) {
                ops.add(new Op(Type.EQUAL, aOff + x - 1, bOff + y - 1));
                x--;
                y--;
            }
            if (x == prevX) {
                ops.add(new Op(Type.INSERT, -1, bOff + y - 1));
            } else {
                ops.add(new Op(Type.DELETE, aOff + x - 1, -1));
            }
            x = prevX;
            y = prevY;
        }
        while (x > 0 && y > 0) {
            ops.add(new Op(Type.EQUAL, aOff + x - 1, bOff + y - 1));
            x--;
            y--;
        }
        Collections.reverse(ops);
        return ops;
    }

    private static int at(int[] snap, int d, int k) {
        int i = k + d + 1;
        return i >= 0 && i < snap.length ? snap[i] : 0;
    }
}
