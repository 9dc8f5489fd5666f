package org.pilotflow.internal.lifecycle;

import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.camunda.bpm.engine.OptimisticLockingException;
import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.interceptor.Command;
import org.camunda.bpm.engine.impl.interceptor.CommandExecutor;
import org.pilotflow.api.PersistenceFailure;
import org.pilotflow.api.PilotException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs PilotFlow's work in engine transactions: Camunda's commands, on the engine's connection, so PilotFlow's rows
 * and the process instances commit or roll back together.
 */
public final class Transactions {

    private static final Logger LOG = LoggerFactory.getLogger(Transactions.class);
    /**
     * SQL states of a transaction that lost a race and may simply run again: serialization, deadlock, lock wait, a
     * unique key another transaction inserted first (a check-then-insert race; the next attempt sees the row), and a
     * foreign key whose parent another transaction deleted (a process instance deleted while this one wrote its
     * operator variables, PostgreSQL's 23503 and H2's 23506; the next attempt finds the instance ended).
     */
    private static final Set<String> RETRYABLE = Set.of("40001", "40P01", "55P03", "HYT00", "40XL1", "23505",
            "23503", "23506");
    private static final int ATTEMPTS = 20;

    private final CommandExecutor required;
    private final CommandExecutor requiresNew;
    private final Publisher publisher;

    public Transactions(CommandExecutor required, CommandExecutor requiresNew, Publisher publisher) {
        this.required = required;
        this.requiresNew = requiresNew;
        this.publisher = publisher;
    }

    /** The body of a transaction; SQL exceptions roll it back. */
    @FunctionalInterface
    public interface Body<T> {
        T run(Tx tx) throws SQLException;
    }

    /** The unit of work of the transaction this thread is in (inside a delegate or another body). */
    public Tx current() {
        return Tx.current(publisher);
    }

    /** Runs {@code body} in the current engine transaction, or in a new one when there is none. */
    public <T> T run(Body<T> body) {
        return execute(required, body);
    }

    /** Runs {@code body} in a transaction of its own, committed when it returns (even inside another one). */
    public <T> T runAlone(Body<T> body) {
        return execute(requiresNew, body);
    }

    /**
     * Runs {@code body} in a new transaction and runs it again when it lost a race with another transaction
     * (optimistic locking, deadlock, lock timeout). Must not be called inside a transaction: only a whole
     * transaction can be retried.
     */
    public <T> T runRetrying(Body<T> body) {
        if (Context.getCommandContext() != null) {
            throw new IllegalStateException("runRetrying inside a transaction: only a whole transaction can run again");
        }
        for (int attempt = 1; ; attempt++) {
            try {
                return execute(required, body);
            } catch (RuntimeException e) {
                if (!retryable(e) || attempt >= ATTEMPTS) {
                    throw e;
                }
                LOG.debug("transaction lost a race (attempt {}), running it again: {}", attempt, e.toString());
                try {
                    Thread.sleep(ThreadLocalRandom.current().nextLong(1, 10L * attempt));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private <T> T execute(CommandExecutor executor, Body<T> body) {
        Command<T> command = ctx -> {
            try {
                return body.run(Tx.current(publisher));
            } catch (SQLException e) {
                throw new ProcessEngineException("PilotFlow database access failed: " + e.getMessage()
                        + " (SQL state " + e.getSQLState() + ")", e);
            }
        };
        try {
            return executor.execute(command);
        } catch (PilotException | OptimisticLockingException e) {
            throw e;
        } catch (ProcessEngineException e) {
            if (retryable(e)) {
                throw e;
            }
            SQLException sql = sqlCause(e);
            if (sql != null) {
                throw new PersistenceFailure("the engine database refused a PilotFlow change: " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * Whether the failure came from the database (a statement, a connection, a lost race) rather than from what the
     * transaction did: worth another attempt later, not a verdict on its subject.
     */
    public static boolean aboutTheDatabase(Throwable e) {
        return e instanceof PersistenceFailure || retryable(e) || sqlCause(e) != null;
    }

    /** Whether the failure was a lost race that a new attempt may win. */
    public static boolean retryable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OptimisticLockingException) {
                return true;
            }
            if (t instanceof SQLException s && s.getSQLState() != null && RETRYABLE.contains(s.getSQLState())) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static SQLException sqlCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s) {
                return s;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }
}
