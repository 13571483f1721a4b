package dev.ffmecho.cli;

import java.lang.reflect.InvocationTargetException;

/**
 * The jar's entry point, compiled for Java 8 so that any JVM can load it and say, in one line, why
 * it cannot run ffm-echo (java.lang.foreign is final from Java 22; the rest of the jar is class
 * version 66), instead of an UnsupportedClassVersionError stack trace.
 */
public final class Bootstrap {
    private static final int REQUIRED_JAVA = 22;

    private Bootstrap() {}

    public static void main(String[] args) throws Throwable {
        String spec = System.getProperty("java.specification.version", "0");
        int feature = Integer.parseInt(spec.startsWith("1.") ? spec.substring(2) : spec.split("\\.")[0]);
        if (feature < REQUIRED_JAVA) {
            fail("needs Java " + REQUIRED_JAVA + " or newer (java.lang.foreign), but this is Java " + spec
                    + " at " + System.getProperty("java.home")
                    + "; run it with a newer JDK (set JAVA_HOME, or use the ./ffm-echo launcher, which finds one)");
        }
        String os = System.getProperty("os.name", "");
        if (!os.equals("Linux")) {
            fail("runs on Linux only (it calls Linux's epoll and accept4 directly), not on " + os);
        }
        try {
            Class.forName("dev.ffmecho.cli.Main").getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void fail(String message) {
        System.err.println("ffm-echo: " + message);
        System.exit(2);
    }
}
