package org.pilotflow.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pilotflow.internal.store.Json;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.model.wire.StagingDirective.Action;
import org.pilotflow.model.wire.StagingDirective.Flag;

/** Staging directives in unit and pilot descriptions: what the builders accept, store, and refuse (by name). */
class StagingDescriptionTest {

    private static ComputeUnitDescription.Builder unit() {
        return ComputeUnitDescription.builder().executable("/bin/true");
    }

    private static ComputePilotDescription.Builder pilot() {
        return ComputePilotDescription.builder().resource("local.localhost").runtime(Duration.ofMinutes(5)).cores(1);
    }

    @Test
    void directivesAreStoredWrittenOut() {
        ComputeUnitDescription d = unit()
                .inputStaging("pilot:///shared/db.sqlite > db.sqlite", "in.dat < resource:///inputs/in.dat")
                .outputStaging(List.of(StagingDirective.move("result.dat", "pilot:///results/")
                        .withFlags(Flag.CREATE_PARENTS, Flag.NON_FATAL)))
                .stageOnError(true).build();
        assertThat(d.inputStaging()).containsExactly(
                new StagingDirective("pilot:///shared/db.sqlite", "unit:///db.sqlite", Action.TRANSFER),
                new StagingDirective("resource:///inputs/in.dat", "unit:///in.dat", Action.TRANSFER));
        assertThat(d.outputStaging()).containsExactly(new StagingDirective("unit:///result.dat",
                "pilot:///results/result.dat", Action.MOVE).withFlags(Flag.CREATE_PARENTS, Flag.NON_FATAL));
        assertThat(d.stageOnError()).isTrue();

        // as the engine's database keeps it, and as an older version stored a description without staging
        ComputeUnitDescription back = Json.read(Json.write(d), new com.fasterxml.jackson.core.type.TypeReference<>() { });
        assertThat(back).isEqualTo(d);
        ComputeUnitDescription old = Json.read("{\"executable\":\"/bin/true\",\"cores\":1}",
                new com.fasterxml.jackson.core.type.TypeReference<ComputeUnitDescription>() { });
        assertThat(old.inputStaging()).isEmpty();
        assertThat(old.outputStaging()).isEmpty();
        assertThat(old.stageOnError()).isFalse();
    }

    @Test
    void aTarballIsAcceptedOnTheResourceAndStoredAsGiven() {
        ComputeUnitDescription d = unit()
                .inputStaging(List.of(new StagingDirective("pilot:///dataset", "", Action.TARBALL)))
                .outputStaging(List.of(new StagingDirective("results", "pilot:///collected/", Action.TARBALL)
                        .withFlags(Flag.NON_FATAL)))
                .build();
        assertThat(d.inputStaging()).containsExactly(new StagingDirective("pilot:///dataset", "unit:///dataset",
                Action.TARBALL));
        assertThat(d.outputStaging()).containsExactly(new StagingDirective("unit:///results",
                "pilot:///collected/results", Action.TARBALL).withFlags(Flag.NON_FATAL));
        assertThat(Json.read(Json.write(d), new com.fasterxml.jackson.core.type.TypeReference<ComputeUnitDescription>()
        { })).isEqualTo(d);
        assertThat(pilot().inputStaging(List.of(new StagingDirective("resource:///db", "", Action.TARBALL))).build()
                .inputStaging()).containsExactly(new StagingDirective("resource:///db", "pilot:///db", Action.TARBALL));
    }

    @Test
    void aBadDirectiveIsABadParameterNamingItsField() {
        assertThatThrownBy(() -> unit().inputStaging("pilot:///a", "unit:///x > client:///x").build())
                .isInstanceOfSatisfying(BadParameter.class, e -> {
                    assertThat(e.field()).isEqualTo("inputStaging[1].target");
                    assertThat(e.value()).isEqualTo("client:///x");
                    assertThat(e.expected()).contains("input staging moves files to the resource");
                });
        assertThatThrownBy(() -> unit().inputStaging("srm://host/a > a").build())
                .isInstanceOfSatisfying(BadParameter.class, e -> assertThat(e.field())
                        .isEqualTo("inputStaging[0].source"))
                .hasMessageContaining("not 'srm://'");
        assertThatThrownBy(() -> unit().outputStaging("out.dat > pilot:///../../etc/cron.d/x").build())
                .isInstanceOfSatisfying(BadParameter.class, e -> assertThat(e.field())
                        .isEqualTo("outputStaging[0].target"))
                .hasMessageContaining("no '..'");
        assertThatThrownBy(() -> unit().inputStaging("pilot:///a > /home/me/a").build())
                .isInstanceOfSatisfying(BadParameter.class, e -> assertThat(e.field())
                        .isEqualTo("inputStaging[0].target"));
        assertThatThrownBy(() -> unit().inputStaging(List.of(new StagingDirective("client:///a", "a",
                Action.MOVE))).build())
                .isInstanceOfSatisfying(BadParameter.class, e -> assertThat(e.field())
                        .isEqualTo("inputStaging[0].action"))
                .hasMessageContaining("MOVE").hasMessageContaining("expected TRANSFER or TARBALL");
        assertThat(unit().inputStaging(List.of(new StagingDirective("client:///a", "a", Action.TARBALL))).build()
                .inputStaging()).containsExactly(new StagingDirective("client:///a", "unit:///a", Action.TARBALL));
        assertThatThrownBy(() -> unit().inputStaging(Arrays.asList(StagingDirective.copy("pilot:///a", "a"), null))
                .build()).isInstanceOfSatisfying(BadParameter.class, e -> assertThat(e.field())
                .isEqualTo("inputStaging[1]"));
        assertThatThrownBy(() -> unit().inputStaging("a > b > c").build())
                .isInstanceOfSatisfying(BadParameter.class, e -> assertThat(e.field()).isEqualTo("inputStaging[0]"));
    }

    @Test
    void aPilotStagesIntoItsSandboxAndHasNoUnitSandbox() {
        ComputePilotDescription p = pilot().inputStaging("resource:///data/db.sqlite").build();
        assertThat(p.inputStaging()).containsExactly(new StagingDirective("resource:///data/db.sqlite",
                "pilot:///db.sqlite", Action.TRANSFER));
        assertThat(p.toBuilder().build()).isEqualTo(p);
        assertThatThrownBy(() -> pilot().inputStaging("unit:///x > y").build())
                .isInstanceOfSatisfying(BadParameter.class, e -> assertThat(e.field())
                        .isEqualTo("inputStaging[0].source"))
                .hasMessageContaining("a pilot's staging has no unit");
    }
}
