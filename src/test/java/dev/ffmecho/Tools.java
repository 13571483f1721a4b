package dev.ffmecho;

import org.junit.jupiter.api.Assumptions;

import java.io.File;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * External tools the fidelity tests need (gcc, strace). In CI ({@code CI=true}) a missing tool is a
 * failure — CI must prove fidelity, not skip it; on a user's machine the test is skipped with a
 * message saying what to install.
 */
public final class Tools {
    private Tools() {}

    /** The absolute path of {@code tool} on PATH; fails (CI) or skips (elsewhere) when absent. */
    public static String require(String tool, String why) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            File f = new File(dir, tool);
            if (f.canExecute()) return f.getAbsolutePath();
        }
        String message = tool + " is not installed; it is needed to " + why + " (apt-get install " + tool + ")";
        if ("true".equals(System.getenv("CI"))) fail(message);
        Assumptions.abort(message);
        return null;
    }
}
