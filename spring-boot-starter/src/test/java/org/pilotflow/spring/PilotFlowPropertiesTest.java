package org.pilotflow.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.pilotflow.api.BadParameter;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.context.properties.bind.BindException;

/**
 * Bad {@code pilotflow.*} properties fail the application's start with a message naming the property, its value and
 * what was expected. Only PilotFlow's auto-configuration runs (no engine is built: the properties fail first).
 */
class PilotFlowPropertiesTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PilotFlowAutoConfiguration.class));

    @Test
    void aValueOutOfRangeNamesThePropertyTheValueAndTheExpectation() {
        runner.withPropertyValues("pilotflow.heartbeat-interval=4s", "pilotflow.heartbeat-timeout=5s")
                .run(context -> {
                    assertThat(context).hasFailed();
                    Throwable failure = context.getStartupFailure();
                    BadParameter bad = cause(failure, BadParameter.class);
                    assertThat(bad.getMessage()).isEqualTo("pilotflow.heartbeat-timeout is PT5S, expected at least"
                            + " twice heartbeatInterval (PT4S)");
                    FailureAnalysis analysis = new PilotFlowPropertyFailureAnalyzer().analyze(failure);
                    assertThat(analysis.getDescription()).contains("pilotflow.heartbeat-timeout is PT5S");
                    assertThat(analysis.getAction()).startsWith("Change pilotflow.heartbeat-timeout");
                });
        runner.withPropertyValues("pilotflow.sync-threads=0").run(context -> assertThat(
                cause(context.getStartupFailure(), BadParameter.class).getMessage())
                .isEqualTo("pilotflow.sync-threads is 0, expected 1..256"));
        runner.withPropertyValues("pilotflow.finished-unit-cache=-5").run(context -> assertThat(
                cause(context.getStartupFailure(), BadParameter.class).getMessage())
                .startsWith("pilotflow.finished-unit-cache is -5, expected 0..1000000"));
    }

    @Test
    void aValueOfTheWrongTypeOrAnUnknownNameFailsTheStart() {
        runner.withPropertyValues("pilotflow.cancel-grace=soon").run(context -> {
            BindException e = cause(context.getStartupFailure(), BindException.class);
            assertThat(e.getProperty().getName().toString()).isEqualTo("pilotflow.cancel-grace");
            assertThat(e.getProperty().getValue()).isEqualTo("soon");
        });
        runner.withPropertyValues("pilotflow.heartbeat-timout=20s").run(context ->
                assertThat(cause(context.getStartupFailure(), BindException.class).getMessage())
                        .contains("pilotflow"));
    }

    @Test
    void propertyNamesAreTheSettingsInSpringsSpelling() {
        assertThat(PilotFlowProperties.propertyName("heartbeatTimeout")).isEqualTo("pilotflow.heartbeat-timeout");
        assertThat(PilotFlowProperties.propertyName("workDirectory")).isEqualTo("pilotflow.work-directory");
    }

    private static <T extends Throwable> T cause(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + t, t);
    }

    /** H2's own shutdown hook would close the database before PilotFlow cancels its pilots at the application's end. */
    @Test
    void anH2FileDatabaseClosedAtJvmExitIsRefusedNamingTheUrl() {
        try (com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource()) {
            pool.setJdbcUrl("jdbc:h2:async:/tmp/x/db/app;WRITE_DELAY=0");
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> PilotFlowSessionLifecycle.requireDatabaseOpenUntilStopped(pool))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("spring.datasource.url is jdbc:h2:async:/tmp/x/db/app;WRITE_DELAY=0, expected an H2 "
                            + "URL with ;DB_CLOSE_ON_EXIT=FALSE: H2 would close the database at JVM exit before "
                            + "PilotFlow cancels its pilots and stops");
            pool.setJdbcUrl("jdbc:h2:async:/tmp/x/db/app;WRITE_DELAY=0;db_close_on_exit=false");
            PilotFlowSessionLifecycle.requireDatabaseOpenUntilStopped(pool);
            pool.setJdbcUrl("jdbc:h2:mem:x");
            PilotFlowSessionLifecycle.requireDatabaseOpenUntilStopped(pool);
        }
    }
}
