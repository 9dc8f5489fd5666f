package org.pilotflow.spring;

import org.pilotflow.api.BadParameter;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** A bad {@code pilotflow.*} property, said in one line instead of a stack of bean-creation failures. */
public class PilotFlowPropertyFailureAnalyzer extends AbstractFailureAnalyzer<BadParameter> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, BadParameter cause) {
        if (cause.field() == null || !cause.field().startsWith(PilotFlowProperties.PREFIX + ".")) {
            return null;
        }
        return new FailureAnalysis("Invalid PilotFlow setting: " + cause.getMessage(),
                "Change " + cause.field() + " in the application's configuration (see the README's Spring Boot"
                        + " section for every pilotflow.* property and its default).", cause);
    }
}
