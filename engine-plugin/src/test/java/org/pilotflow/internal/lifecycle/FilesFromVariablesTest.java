package org.pilotflow.internal.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.FileSpec;

/** The variables of a "Stage data" task: every form a modeler can type, and bad input named by variable. */
class FilesFromVariablesTest {

    private static FilesFromVariables.Request read(Object files, Object... more) {
        Map<String, Object> vars = new HashMap<>(Map.of("pilot", "pilot.0001", "direction", "in"));
        vars.put("files", files);
        for (int i = 0; i < more.length; i += 2) {
            vars.put((String) more[i], more[i + 1]);
        }
        return FilesFromVariables.read(vars::get);
    }

    @Test
    void shorthandLines_skippingBlankAndCommentLines() {
        FilesFromVariables.Request r = read("# inputs\n/data/a.dat > pilot:///in/\n\n  pilot:///b.dat < /data/b.dat \n"
                + "/data/c.dat\n", "direction", "OUT", "tolerateFailedFiles", "");
        assertThat(r.in()).isFalse();
        assertThat(r.tolerate()).isFalse();
        assertThat(r.files()).extracting(FileSpec::source, FileSpec::target).containsExactly(
                org.assertj.core.groups.Tuple.tuple("/data/a.dat", "pilot:///in/"),
                org.assertj.core.groups.Tuple.tuple("/data/b.dat", "pilot:///b.dat"),
                org.assertj.core.groups.Tuple.tuple("/data/c.dat", ""));
    }

    @Test
    void aJsonArrayOfShorthandAndObjects_orAList() {
        FilesFromVariables.Request r = read("[\"a > pilot:///a\", {\"source\": \"b\", \"target\": \"pilot:///b\", "
                + "\"size\": 12, \"checksum\": \"ADLER32:0A1B2C3D\"}, {\"source\": \"c\", \"size\": \"7\", "
                + "\"checksum\": \"md5:0123456789abcdef0123456789abcdef\"}]", "tolerateFailedFiles", "true");
        assertThat(r.tolerate()).isTrue();
        assertThat(r.files().get(1).size()).isEqualTo(12L);
        assertThat(r.files().get(1).adler32()).isEqualTo("0a1b2c3d");
        assertThat(r.files().get(2).size()).isEqualTo(7L);
        assertThat(r.files().get(2).md5()).isEqualTo("0123456789abcdef0123456789abcdef");

        FilesFromVariables.Request list = read(List.of("a > pilot:///a", Map.of("source", "b", "size", 3L)),
                "tolerateFailedFiles", Boolean.TRUE);
        assertThat(list.files()).extracting(FileSpec::source).containsExactly("a", "b");
        assertThat(list.tolerate()).isTrue();
    }

    @Test
    void badInput_namesTheVariableTheValueAndWhatWasExpected() {
        assertThatThrownBy(() -> read("a > b", "pilot", " ")).isInstanceOf(BadParameter.class)
                .hasMessageStartingWith("pilot is ' ', expected the uid of a pilot");
        assertThatThrownBy(() -> read("a > b", "direction", "both")).hasMessageStartingWith(
                "direction is 'both', expected in (from this machine to the pilot's resource) or out");
        assertThatThrownBy(() -> read(null)).hasMessageStartingWith("files is null, expected a JSON array");
        assertThatThrownBy(() -> read("  \n# nothing\n")).hasMessageEndingWith("with at least one file");
        assertThatThrownBy(() -> read("[\"a > b\",")).hasMessageStartingWith("files is '[\"a > b\",', expected")
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> read("a > b\n > c")).isInstanceOfSatisfying(BadParameter.class,
                e -> assertThat(e.field()).isEqualTo("files[1]"));
        assertThatThrownBy(() -> read("[{\"source\": \"a\", \"sizes\": 1}]")).isInstanceOfSatisfying(
                BadParameter.class, e -> assertThat(e.getMessage()).startsWith("files[0].sizes is 1, expected no such"
                        + " key: a file has [source, target, size, checksum]"));
        assertThatThrownBy(() -> read("[{\"target\": \"a\"}]")).hasMessageStartingWith("files[0].source is null");
        assertThatThrownBy(() -> read("[{\"source\": \"a\", \"size\": -1}]"))
                .hasMessageStartingWith("files[0].size is -1, expected");
        assertThatThrownBy(() -> read("[{\"source\": \"a\", \"size\": \"big\"}]"))
                .hasMessageStartingWith("files[0].size is 'big', expected the file's size in bytes");
        assertThatThrownBy(() -> read("[\"a\", {\"source\": \"a\", \"checksum\": \"sha1:00\"}]"))
                .hasMessageStartingWith("files[1].checksum is 'sha1:00', expected");
        assertThatThrownBy(() -> read("[{\"source\": 3}]")).hasMessageStartingWith("files[0].source is 3, expected text");
        assertThatThrownBy(() -> read("[7]")).hasMessageStartingWith("files[0] is 7, expected");
        assertThatThrownBy(() -> read("a", "tolerateFailedFiles", "maybe"))
                .hasMessage("tolerateFailedFiles is 'maybe', expected true or false");
    }

    @Test
    void theResultIsOneMapPerFile() {
        FileSpec ok = FileSpec.of("a", "pilot:///a").transferred(6, "0a1b2c3d", null);
        FileSpec bad = FileSpec.of("b", "").failed(FileSpec.TransferError.MISSING_SOURCE, "no b");
        List<Map<String, Object>> r = FilesFromVariables.result(List.of(ok, bad));
        assertThat(r.get(0)).containsEntry("source", "a").containsEntry("target", "pilot:///a")
                .containsEntry("status", "TRANSFERRED").containsEntry("size", 6L)
                .containsEntry("checksum", "adler32:0a1b2c3d").containsEntry("error", null);
        assertThat(r.get(1)).containsEntry("status", "FAILED").containsEntry("error", "MISSING_SOURCE")
                .containsEntry("reason", "no b").containsEntry("size", null);
        assertThat(r.get(0)).isInstanceOf(java.io.Serializable.class);
    }
}
