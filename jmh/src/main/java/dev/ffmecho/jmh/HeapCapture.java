package dev.ffmecho.jmh;

import java.lang.foreign.MemorySegment;

/**
 * Whether this JDK lets {@code Linker.Option.captureCallState} write errno into a heap segment
 * (an {@code int[]}) when the downcall is {@code critical(true)}. Tried for real on a socketpair:
 * one 64-byte write and read with the heap capture segment; whatever the linker throws is the answer.
 *
 * <p>{@code java -cp jmh/target/benchmarks.jar dev.ffmecho.jmh.HeapCapture} prints it.
 */
public final class HeapCapture {
    record Result(boolean heapAccepted, String jdk, String refusal) {
        String describe() {
            return heapAccepted
                    ? "errno capture segment = heap int[] (JDK " + jdk + " accepts it with critical(true))"
                    : "errno capture segment = native, fallback (JDK " + jdk + " refuses a heap one: " + refusal + ")";
        }
    }

    private HeapCapture() {}

    /** Writes and reads 64 bytes over {@code a -> b} through the heap-access handles with an {@code int[]} capture segment. */
    static Result probe(int a, int b, MemorySegment out, MemorySegment in) {
        String jdk = Runtime.version().toString();
        MemorySegment heapState = MemorySegment.ofArray(new int[1]);
        try {
            long w = (long) DowncallBench.HEAP_WRITE.invokeExact(heapState, a, out, (long) DowncallBench.SIZE);
            long r = (long) DowncallBench.HEAP_READ.invokeExact(heapState, b, in, (long) DowncallBench.SIZE);
            DowncallBench.check(w, r);
            return new Result(true, jdk, null);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return new Result(false, jdk, e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static void main(String[] args) {
        int[] fds = SocketPair.open(SocketPair.SOCK_CLOEXEC);
        byte[] o = new byte[DowncallBench.SIZE];
        java.util.Arrays.fill(o, (byte) 'x');
        Result result = probe(fds[0], fds[1], MemorySegment.ofArray(o), MemorySegment.ofArray(new byte[DowncallBench.SIZE]));
        SocketPair.close(fds[0]);
        SocketPair.close(fds[1]);
        System.out.println(result.describe());
    }
}
