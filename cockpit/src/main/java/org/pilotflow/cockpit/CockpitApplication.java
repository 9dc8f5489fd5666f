package org.pilotflow.cockpit;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.PropertySource;

/**
 * The Cockpit node: Camunda's webapp starter on the PilotFlow database, configured by {@code cockpit.properties}
 * (job execution off, history level as the database has it, no schema change, no deployment).
 */
@SpringBootApplication
@PropertySource("classpath:org/pilotflow/cockpit/cockpit.properties")
public class CockpitApplication {
}
