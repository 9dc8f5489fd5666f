package org.pilotflow.resource.config.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.agent.launch.LaunchMethodProvider;
import java.util.Map;

import org.pilotflow.resource.config.LaunchMethod;
import org.pilotflow.resource.config.LaunchMethods;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.config.ResourceConfigException;
import org.pilotflow.resource.config.ResourceRegistry;

/**
 * Adding a launch method is one package in the agent module: the resource configuration accepts a method in
 * {@code launch_methods.order} once an agent {@link LaunchMethodProvider} service names it, with no list of its own
 * to extend. The engine sees the agent's providers because the agent's classes are on its classpath (and the agent
 * jar it stages is the same build's). This test adds one provider in a class loader of its own, as the agent
 * module's service file would list it, so the other tests keep seeing the built-in methods alone.
 */
class LaunchMethodPluginTest {

    @TempDir
    Path dir;

    @Test
    void aMethodMadeInCodeIsCheckedByTheBuilderToo() {
        ResourceConfig.Builder b = ResourceRegistry.withBuiltIns().get("local.localhost").toBuilder()
                .launchMethods(new LaunchMethods(List.of(LaunchMethod.FORK, new LaunchMethod("srun")), Map.of()));
        assertThatThrownBy(b::build).isInstanceOf(ResourceConfigException.class)
                .hasMessageContaining("launch_methods/order/1").hasMessageContaining("\"srun\"")
                .hasMessageContaining("one of [FORK, SRUN, MPIEXEC, MPIRUN, SSH]");
        ResourceConfig.Builder options = ResourceRegistry.withBuiltIns().get("local.localhost").toBuilder()
                .launchMethods(new LaunchMethods(List.of(LaunchMethod.FORK), Map.of(new LaunchMethod("APRUN"),
                        Map.of())));
        assertThatThrownBy(options::build).hasMessageContaining("launch_methods/APRUN");
    }

    @Test
    void aMethodTheAgentDoesNotHaveIsRefusedNamingTheInstalledOnes() throws Exception {
        Path file = resourceFile();
        assertThatThrownBy(() -> ResourceRegistry.empty().loadFile(file))
                .isInstanceOf(ResourceConfigException.class)
                .hasMessageContaining("launch_methods/order/0")
                .hasMessageContaining("\"APRUN\"")
                .hasMessageContaining("one of [FORK, SRUN, MPIEXEC, MPIRUN, SSH]");
    }

    @Test
    void aMethodInstalledAsAProviderIsAcceptedWithItsOptions() throws Exception {
        Path file = resourceFile();
        Path services = dir.resolve("services/META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve(LaunchMethodProvider.class.getName()),
                AprunTestMethodProvider.class.getName() + "\n");

        try (URLClassLoader loader = isolatedLoader(dir.resolve("services"))) {
            Class<?> registry = loader.loadClass(ResourceRegistry.class.getName());
            Object r = registry.getMethod("empty").invoke(null);
            registry.getMethod("loadFile", Path.class).invoke(r, file);
            Object rc = registry.getMethod("get", String.class).invoke(r, "cray.machine");
            Object methods = rc.getClass().getMethod("launchMethods").invoke(rc);
            assertThat(methods.getClass().getMethod("order").invoke(methods).toString())
                    .isEqualTo("[APRUN, FORK]");
            Class<?> launchMethod = loader.loadClass("org.pilotflow.resource.config.LaunchMethod");
            Object aprun = launchMethod.getMethod("of", String.class).invoke(null, "APRUN");
            assertThat(methods.getClass().getMethod("optionsOf", launchMethod).invoke(methods, aprun).toString())
                    .isEqualTo("{executable=/opt/cray/bin/aprun}");
            assertThat(launchMethod.getMethod("installed").invoke(null).toString())
                    .isEqualTo("[FORK, SRUN, MPIEXEC, MPIRUN, SSH, APRUN]");
        } catch (InvocationTargetException e) {
            throw new AssertionError("the isolated configuration refused the installed method: " + e.getCause(),
                    e.getCause());
        }
    }

    private Path resourceFile() throws Exception {
        Path file = dir.resolve("resource_cray.json");
        Files.writeString(file, """
                {"machine": {
                  "schemas": {"local": {"job_manager_endpoint": "fork://localhost/",
                                        "filesystem_endpoint": "file://localhost/"}},
                  "cores_per_node": 2, "valid_roots": ["/tmp"], "default_remote_workdir": "/tmp/pilotflow",
                  "launch_methods": {"order": ["APRUN", "FORK"], "APRUN": {"executable": "/opt/cray/bin/aprun"}}
                }}""");
        return file;
    }

    /**
     * PilotFlow's engine-side and agent classes, their libraries and {@code extra}, without this JVM's class path
     * (whose loader already fixed the installed methods).
     */
    private static URLClassLoader isolatedLoader(Path extra) throws Exception {
        List<URL> urls = new ArrayList<>();
        for (Class<?> c : List.of(ResourceRegistry.class, LaunchMethodProvider.class, AprunTestMethodProvider.class,
                ObjectMapper.class, JsonParser.class, JsonProperty.class, org.slf4j.Logger.class)) {
            URL u = c.getProtectionDomain().getCodeSource().getLocation();
            if (!urls.contains(u)) {
                urls.add(u);
            }
        }
        urls.add(extra.toUri().toURL());
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }
}
