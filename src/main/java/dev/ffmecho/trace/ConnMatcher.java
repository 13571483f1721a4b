package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Pairs the connection stories of two traces as a multiset: each reference connection with an
 * actual one whose story is equal, whatever their accept order; those left over with the closest
 * one left (fewest diff lines, the smallest pair first), so a defect in one connection shows as a
 * small diff against its nearest twin; any still unpaired (a different number of connections)
 * stand alone.
 */
final class ConnMatcher {
    private ConnMatcher() {}

    /** Past this many unequal connections per side, they are paired in accept order (bounded work). */
    static final int MAX_CLOSEST = 64;

    /** A pairing; {@code ref} or {@code act} is null for a connection the other side lacks. */
    record Pair(Story ref, Story act, boolean equal) {}

    static List<Pair> pair(List<Story> reference, List<Story> actual) {
        List<Story> freeRef = new ArrayList<>(reference);
        List<Story> freeAct = new ArrayList<>(actual);
        List<Pair> pairs = new ArrayList<>();
        for (Story r : reference) {
            for (Story a : freeAct) {
                if (a.lines().equals(r.lines())) {
                    pairs.add(new Pair(r, a, true));
                    freeRef.remove(r);
                    freeAct.remove(a);
                    break;
                }
            }
        }
        pairs.addAll(closest(freeRef, freeAct));
        for (Story r : freeRef) pairs.add(new Pair(r, null, false));
        for (Story a : freeAct) pairs.add(new Pair(null, a, false));
        pairs.sort(Comparator.comparingInt((Pair p) -> acceptLine(p.ref())).thenComparingInt(p -> acceptLine(p.act())));
        return pairs;
    }

    /** Where a connection story starts in its file (reference connections first, in accept order). */
    private static int acceptLine(Story s) {
        return s == null || s.entries().isEmpty() ? Integer.MAX_VALUE : s.entries().get(0).firstLine();
    }

    /** Pairs (and removes from both lists) unequal stories, the closest pair first. */
    private static List<Pair> closest(List<Story> ref, List<Story> act) {
        List<Pair> pairs = new ArrayList<>();
        if (ref.size() > MAX_CLOSEST || act.size() > MAX_CLOSEST) {
            while (!ref.isEmpty() && !act.isEmpty()) pairs.add(new Pair(ref.remove(0), act.remove(0), false));
            return pairs;
        }
        int[][] distance = new int[ref.size()][act.size()];
        for (int i = 0; i < ref.size(); i++) {
            for (int j = 0; j < act.size(); j++) distance[i][j] = distance(ref.get(i), act.get(j));
        }
        boolean[] refUsed = new boolean[ref.size()];
        boolean[] actUsed = new boolean[act.size()];
        for (int k = Math.min(ref.size(), act.size()); k > 0; k--) {
            int bi = -1;
            int bj = -1;
            for (int i = 0; i < ref.size(); i++) {
                for (int j = 0; j < act.size(); j++) {
                    if (refUsed[i] || actUsed[j]) continue;
                    if (bi < 0 || distance[i][j] < distance[bi][bj]) {
                        bi = i;
                        bj = j;
                    }
                }
            }
            refUsed[bi] = true;
            actUsed[bj] = true;
            pairs.add(new Pair(ref.get(bi), act.get(bj), false));
        }
        List<Story> leftRef = new ArrayList<>();
        List<Story> leftAct = new ArrayList<>();
        for (int i = 0; i < ref.size(); i++) if (!refUsed[i]) leftRef.add(ref.get(i));
        for (int j = 0; j < act.size(); j++) if (!actUsed[j]) leftAct.add(act.get(j));
        ref.clear();
        ref.addAll(leftRef);
        act.clear();
        act.addAll(leftAct);
        return pairs;
    }

    /** Diff lines between two stories: lines deleted plus lines inserted. */
    static int distance(Story a, Story b) {
        return (int) MyersDiff.diff(a.lines(), b.lines()).stream().filter(o -> o.type() != MyersDiff.Type.EQUAL).count();
    }
}
