package org.pilotflow.model.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.pilotflow.model.wire.StagingDirective.Action;
import org.pilotflow.model.wire.StagingDirective.Direction;
import org.pilotflow.model.wire.StagingDirective.Flag;

/** RP's directive semantics as PilotFlow takes them: shorthand, defaults, schemes, and what is refused. */
class StagingDirectiveTest {

    private static StagingDirective in(String shorthand) {
        return StagingDirective.parse("d", shorthand).resolved("d", Direction.INPUT);
    }

    @Test
    void shorthandAsRadicalPilotReadsIt() {
        StagingDirective d = in("pilot:///a.dat > b.dat");
        assertThat(d.source()).isEqualTo("pilot:///a.dat");
        assertThat(d.target()).isEqualTo("unit:///b.dat");
        assertThat(d.action()).isEqualTo(Action.TRANSFER); // RP's default action
        assertThat(d.flags()).containsExactly(Flag.CREATE_PARENTS); // RP's default flags

        assertThat(in("b.dat < pilot:///a.dat")).isEqualTo(d);
        assertThat(in("pilot:///a.dat >> b.dat")).isEqualTo(d); // append is read as '>' (RP ignores it too)
        assertThat(in("b.dat << pilot:///a.dat")).isEqualTo(d);
        // one name: the same name in the unit sandbox
        assertThat(in("pilot:///dir/a.dat").target()).isEqualTo("unit:///a.dat");
        // a directory target gets the source's name
        assertThat(in("pilot:///a.dat > sub/").target()).isEqualTo("unit:///sub/a.dat");
        assertThat(in("pilot:///a.dat > session://").target()).isEqualTo("session:///a.dat");
        // RP treats scheme://x like scheme:///x, and task:// is unit://
        assertThat(in("pilot://x/./y//z > task://b").source()).isEqualTo("pilot:///x/y/z");
        assertThat(in("pilot://x/./y//z > task://b").target()).isEqualTo("unit:///b");
        // resolving a resolved directive changes nothing
        assertThat(d.resolved("d", Direction.INPUT)).isEqualTo(d);
    }

    @Test
    void outputStagingReadsRelativePathsFromTheUnitSandbox() {
        StagingDirective d = StagingDirective.parse("d", "result.txt > pilot:///results/")
                .resolved("d", Direction.OUTPUT);
        assertThat(d.source()).isEqualTo("unit:///result.txt");
        assertThat(d.target()).isEqualTo("pilot:///results/result.txt");
    }

    @Test
    void theClientSideIsATransferOfTheEngineInTheRightDirection() {
        // 'input.dat' alone is RP's client-to-unit TRANSFER
        StagingDirective in = StagingDirective.parse("d", "input.dat").resolved("d", Direction.INPUT);
        assertThat(in.source()).isEqualTo("client:///input.dat");
        assertThat(in.target()).isEqualTo("unit:///input.dat");
        assertThat(in.onClient()).isTrue();
        StagingDirective out = StagingDirective.parse("d", "out.txt").resolved("d", Direction.OUTPUT);
        assertThat(out.source()).isEqualTo("unit:///out.txt");
        assertThat(out.target()).isEqualTo("client:///out.txt");
        assertThat(out.onClient()).isTrue();
        assertThat(StagingDirective.copy("pilot:///a", "a").resolved("d", Direction.INPUT).onClient()).isFalse();
        // COPY, LINK and MOVE are the agent's, on the resource
        assertThatThrownBy(() -> StagingDirective.copy("client:///a", "a").resolved("d", Direction.INPUT))
                .isInstanceOfSatisfying(StagingDirective.Invalid.class, e -> {
                    assertThat(e.field()).isEqualTo("d.action");
                    assertThat(e.expected()).contains("TRANSFER or TARBALL: a client:// location is on the "
                            + "application's machine");
                });
        // the wrong way round, both ends on the client, and a pilot's own staging
        assertThatThrownBy(() -> StagingDirective.parse("d", "pilot:///a > client:///a").resolved("d",
                Direction.INPUT)).hasMessageStartingWith("d.target is 'client:///a', expected a location on the "
                + "resource").hasMessageContaining("input staging moves files to the resource");
        assertThatThrownBy(() -> StagingDirective.parse("d", "client:///a > b").resolved("d", Direction.OUTPUT))
                .hasMessageStartingWith("d.target is 'b'").hasMessageContaining("the source is on the client");
        assertThat(StagingDirective.parse("d", "input.dat").resolved("d", Direction.PILOT_INPUT).target())
                .isEqualTo("pilot:///input.dat");
        assertThatThrownBy(() -> StagingDirective.parse("d", "pilot:///a > client:///a").resolved("d",
                Direction.PILOT_INPUT)).hasMessageContaining("pilot input staging moves files to the resource");
        // TARBALL is carried out on the resource, and from or to the client by the engine; COPY, LINK, MOVE are not
        assertThat(new StagingDirective("pilot:///inputs", "", Action.TARBALL).verified(4L, null).resolved("d",
                Direction.INPUT)).isEqualTo(new StagingDirective("pilot:///inputs", "unit:///inputs", Action.TARBALL)
                .verified(4L, null));
        assertThat(new StagingDirective("client:///inputs", "", Action.TARBALL).resolved("d", Direction.INPUT))
                .isEqualTo(new StagingDirective("client:///inputs", "unit:///inputs", Action.TARBALL));
        assertThat(new StagingDirective("outputs", "", Action.TARBALL).resolved("d", Direction.OUTPUT))
                .isEqualTo(new StagingDirective("unit:///outputs", "client:///outputs", Action.TARBALL));
        assertThat(new StagingDirective("inputs", "", Action.TARBALL).resolved("d", Direction.PILOT_INPUT))
                .isEqualTo(new StagingDirective("client:///inputs", "pilot:///inputs", Action.TARBALL));
        assertThatThrownBy(() -> new StagingDirective("client:///inputs", "", Action.COPY).resolved("d",
                Direction.INPUT)).isInstanceOfSatisfying(StagingDirective.Invalid.class, e -> {
                    assertThat(e.field()).isEqualTo("d.action");
                    assertThat(e.expected()).contains("TRANSFER or TARBALL", "COPY, LINK and MOVE work on the "
                            + "resource only");
                });
    }

    @Test
    void unknownSchemesAbsolutePathsAndDotDotAreRefused() {
        assertThatThrownBy(() -> in("gsiftp://host/a > b")).isInstanceOfSatisfying(StagingDirective.Invalid.class,
                e -> assertThat(e).hasMessage("d.source is 'gsiftp://host/a', expected a location with one of the "
                        + "schemes client://, resource://, session://, pilot://, unit:// (or task://), not "
                        + "'gsiftp://'"));
        assertThatThrownBy(() -> in("pilot:///a > /etc/passwd")).hasMessageStartingWith("d.target is "
                + "'/etc/passwd', expected a relative path or one below");
        assertThatThrownBy(() -> in("pilot:///a > ../../escape")).hasMessageStartingWith("d.target is "
                + "'../../escape', expected a relative path of plain names").hasMessageContaining("no '..'");
        assertThatThrownBy(() -> in("pilot:///../other/a > a")).hasMessageStartingWith("d.source is "
                + "'pilot:///../other/a'");
        assertThatThrownBy(() -> in("pilot:// > a")).hasMessageStartingWith("d.source is 'pilot://', expected a "
                + "file or directory below pilot://");
        assertThatThrownBy(() -> in("a > b > c")).hasMessageStartingWith("d is 'a > b > c', expected one source");
        assertThatThrownBy(() -> in(" ")).hasMessageStartingWith("d is ' ', expected a staging directive");
        assertThatThrownBy(() -> StagingDirective.copy("pilot:///a", "a").verified(-1L, null).resolved("d",
                Direction.INPUT)).hasMessageStartingWith("d.size is -1");
        assertThatThrownBy(() -> StagingDirective.copy("pilot:///a", "a").verified(null, "crc32:1234abcd")
                .resolved("d", Direction.INPUT)).hasMessage("d.checksum is 'crc32:1234abcd', expected "
                + "adler32:<8 hex digits> or md5:<32 hex digits>, or null");
        assertThatThrownBy(() -> StagingDirective.link("unit:///a", "x").resolved("p", Direction.PILOT_INPUT))
                .hasMessageStartingWith("p.source is 'unit:///a', expected a location in resource://, session:// or "
                        + "pilot://");
    }

    @Test
    void theDictionaryFormRefusesUnknownKeysActionsAndFlags() {
        StagingDirective d = StagingDirective.fromMap("d", Map.of("source", "pilot:///a", "target", "b",
                "action", "link", "flags", List.of("RECURSIVE", "non_fatal")));
        assertThat(d.action()).isEqualTo(Action.LINK);
        assertThat(d.flags()).isEqualTo(Set.of(Flag.RECURSIVE, Flag.NON_FATAL));
        assertThat(StagingDirective.fromMap("d", Map.of("source", "pilot:///a", "flags", "NON_FATAL")).flags())
                .containsExactly(Flag.NON_FATAL);

        assertThatThrownBy(() -> StagingDirective.fromMap("u[0].inputStaging[1]", Map.of("source", "pilot:///a",
                "action", "SYMLINK"))).hasMessage("u[0].inputStaging[1].action is 'SYMLINK', expected one of "
                + "[COPY, LINK, MOVE, TRANSFER, TARBALL]");
        assertThatThrownBy(() -> StagingDirective.fromMap("d", Map.of("source", "pilot:///a",
                "flags", List.of("CREATE_PARENTS", "SKIP_FAILED")))).hasMessage("d.flags[1] is 'SKIP_FAILED', "
                + "expected one of [CREATE_PARENTS, RECURSIVE, NON_FATAL]");
        assertThatThrownBy(() -> StagingDirective.fromMap("d", Map.of("source", "pilot:///a", "priority", 1)))
                .hasMessageStartingWith("d.priority is 1, expected no such key");
        // PanDA's checks beside RP's keys: the one way to reach them from BPMN
        StagingDirective checked = StagingDirective.fromMap("d", Map.of("source", "in.dat", "size", 12,
                "checksum", "MD5:0123456789abcdef0123456789ABCDEF"));
        assertThat(checked.size()).isEqualTo(12L);
        assertThat(checked.checksum()).isEqualTo("md5:0123456789abcdef0123456789abcdef");
        assertThatThrownBy(() -> StagingDirective.fromMap("d", Map.of("source", "in.dat", "size", -1)))
                .hasMessageStartingWith("d.size is -1, expected the source file's size in bytes");
        assertThatThrownBy(() -> StagingDirective.fromMap("d", Map.of("source", "in.dat", "size", 1.5)))
                .hasMessageStartingWith("d.size is 1.5");
        assertThatThrownBy(() -> StagingDirective.fromMap("d", Map.of("source", "in.dat", "checksum", "crc:1")))
                .hasMessageStartingWith("d.checksum is 'crc:1', expected adler32:<8 hex digits>");
        assertThatThrownBy(() -> StagingDirective.fromMap("d", Map.of("target", "a")))
                .hasMessageStartingWith("d.source is null");
    }

    @Test
    void travelsOverTheWire() throws Exception {
        StagingDirective d = StagingDirective.copy("pilot:///a", "unit:///b").withFlags(Flag.RECURSIVE)
                .verified(3L, "adler32:024d0127");
        String json = Wire.mapper().writeValueAsString(d);
        assertThat(Wire.mapper().readValue(json, StagingDirective.class)).isEqualTo(d);
        UnitSpec u = new UnitSpec("u", "u", "/bin/true", null, null, 1, 0, null, null, null, null, 0, false, null, 0,
                0, null, 0, List.of(d), List.of(d), true);
        assertThat(Wire.mapper().readValue(Wire.mapper().writeValueAsString(u), UnitSpec.class)).isEqualTo(u);
        // a spec from an engine that knows no staging
        UnitSpec old = Wire.mapper().readValue("{\"unitId\":\"u\",\"executable\":\"/bin/true\",\"cores\":1}",
                UnitSpec.class);
        assertThat(old.inputStaging()).isEmpty();
        assertThat(old.stageOnError()).isFalse();
    }
}
