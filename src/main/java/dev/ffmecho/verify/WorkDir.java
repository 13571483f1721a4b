package dev.ffmecho.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Where the traces, server output and Go build go: {@code --keep DIR}, kept, or a temporary dir deleted at the end. */
record WorkDir(Path path, boolean keep) implements AutoCloseable {
    static WorkDir open(Path keep) throws VerifyException {
        try {
            if (keep != null) return new WorkDir(Files.createDirectories(keep).toAbsolutePath(), true);
            return new WorkDir(Files.createTempDirectory("ffm-echo-verify-"), false);
        } catch (IOException e) {
            throw VerifyException.cannotRun("cannot create the work directory " + (keep != null ? keep : "in " + System.getProperty("java.io.tmpdir"))
                    + " (" + e.getMessage() + "); pass --keep a writable directory");
        }
    }

    @Override
    public void close() {
        if (keep) return;
        try (Stream<Path> all = Files.walk(path)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is no reason to change the verdict
        }
    }
}
