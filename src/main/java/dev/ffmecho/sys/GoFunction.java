package dev.ffmecho.sys;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The Go function a Java method mirrors, and the note in {@code native-notes/} that explains the
 * syscalls it makes. {@link Narrator} finds the nearest annotated caller of each syscall, so
 * {@code --narrate} can say {@code ← net.(*netFD).accept · native-notes/06-accept4-eagain.md}.
 * Annotating costs nothing at run time; only narration reads it.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface GoFunction {
    /** The Go function, as Go names it in a stack trace, at the profile's version (go1.6). */
    String value();

    /** The file under native-notes/ that explains the calls. */
    String note();
}
