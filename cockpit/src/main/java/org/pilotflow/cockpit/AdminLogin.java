package org.pilotflow.cockpit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.camunda.bpm.engine.AuthorizationService;
import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.authorization.Authorization;
import org.camunda.bpm.engine.authorization.Groups;
import org.camunda.bpm.engine.authorization.Permissions;
import org.camunda.bpm.engine.authorization.Resource;
import org.camunda.bpm.engine.authorization.Resources;
import org.camunda.bpm.engine.identity.Group;
import org.camunda.bpm.engine.identity.User;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The Cockpit's login, {@value #USER}, a member of Camunda's administrators group. Its password is never fixed in
 * code: {@value #PASSWORD_VARIABLE} when set (set again at every start), else a random one, written to
 * {@code ~/.pilotflow/cockpit-password} (mode 0600) when the user is created, and left alone after that (the user of
 * another database takes the password already there). The password is never logged.
 */
@Component
class AdminLogin {

    static final String USER = "admin";
    static final String PASSWORD_VARIABLE = "PILOTFLOW_COCKPIT_PASSWORD";
    private static final Logger LOG = LoggerFactory.getLogger(AdminLogin.class);

    private final ProcessEngine engine;

    AdminLogin(ProcessEngine engine) {
        this.engine = engine;
    }

    static Path passwordFile() {
        return Path.of(System.getProperty("user.home"), ".pilotflow", "cockpit-password");
    }

    @EventListener(ApplicationReadyEvent.class)
    void ensure() throws IOException {
        IdentityService identity = engine.getIdentityService();
        String given = System.getenv(PASSWORD_VARIABLE);
        User user = identity.createUserQuery().userId(USER).singleResult();
        String how;
        if (user == null) {
            user = identity.newUser(USER);
            user.setFirstName("PilotFlow");
            user.setLastName("Administrator");
            if (given != null && !given.isEmpty()) {
                user.setPassword(given);
                how = "the password in " + PASSWORD_VARIABLE;
            } else {
                user.setPassword(generatedPassword());
                how = "the password in " + passwordFile();
            }
            identity.saveUser(user);
        } else if (given != null && !given.isEmpty()) {
            user.setPassword(given);
            identity.saveUser(user);
            how = "the password in " + PASSWORD_VARIABLE;
        } else {
            how = "the password it was given before (" + passwordFile() + " when PilotFlow's Cockpit generated it; set "
                    + PASSWORD_VARIABLE + " to reset it)";
        }
        makeAdministrator(identity, engine.getAuthorizationService());
        LOG.info("Cockpit is ready: log in as {} with {}", USER, how);
    }

    /** Camunda's administrators group with every permission on every resource, and the user in it. */
    private static void makeAdministrator(IdentityService identity, AuthorizationService authorizations) {
        if (identity.createGroupQuery().groupId(Groups.CAMUNDA_ADMIN).count() == 0) {
            Group g = identity.newGroup(Groups.CAMUNDA_ADMIN);
            g.setName("Camunda BPM Administrators");
            g.setType(Groups.GROUP_TYPE_SYSTEM);
            identity.saveGroup(g);
        }
        for (Resource r : Resources.values()) {
            if (authorizations.createAuthorizationQuery().groupIdIn(Groups.CAMUNDA_ADMIN).resourceType(r)
                    .resourceId(Authorization.ANY).count() == 0) {
                Authorization a = authorizations.createNewAuthorization(Authorization.AUTH_TYPE_GRANT);
                a.setGroupId(Groups.CAMUNDA_ADMIN);
                a.setResource(r);
                a.setResourceId(Authorization.ANY);
                a.addPermission(Permissions.ALL);
                authorizations.saveAuthorization(a);
            }
        }
        if (identity.createUserQuery().userId(USER).memberOfGroup(Groups.CAMUNDA_ADMIN).count() == 0) {
            identity.createMembership(USER, Groups.CAMUNDA_ADMIN);
        }
    }

    /**
     * The password in {@link #passwordFile()}, made (random, mode 0600) if there is none yet: one file serves every
     * database this user opens Cockpit on, so a second work directory does not overwrite the first one's password.
     */
    private static String generatedPassword() throws IOException {
        Path file = passwordFile();
        if (Files.isRegularFile(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (!lines.isEmpty() && !lines.get(0).isBlank()) {
                return lines.get(0).strip();
            }
        }
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(file, List.of(password), StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        return password;
    }
}
