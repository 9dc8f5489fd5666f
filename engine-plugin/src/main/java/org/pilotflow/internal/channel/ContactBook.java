package org.pilotflow.internal.channel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.pilotflow.internal.store.PilotKey;

/**
 * Which agents this engine node has heard from since the last flush to {@code PF_CONTACT}. A sync counts from the
 * moment it arrives until it has been answered, however long its reports take to apply: an agent whose sync is
 * still being worked on is in contact, so a slow engine never declares a working agent lost.
 *
 * <p>Threads: the endpoint's threads call {@link #arrived}/{@link #answered}; the contact recorder's thread calls
 * {@link #takeHeard}. All state is in concurrent maps and atomics.
 */
public final class ContactBook {

    private static final class Contact {
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicBoolean heard = new AtomicBoolean();
    }

    private final Map<PilotKey, Contact> contacts = new ConcurrentHashMap<>();

    public void arrived(PilotKey pilot) {
        Contact c = contacts.computeIfAbsent(pilot, k -> new Contact());
        c.inFlight.incrementAndGet();
        c.heard.set(true);
    }

    public void answered(PilotKey pilot) {
        Contact c = contacts.get(pilot);
        if (c == null) {
            return; // forgotten meanwhile (the pilot ended): nothing to count
        }
        c.inFlight.decrementAndGet();
        c.heard.set(true);
    }

    /** The pilots heard since the last call, or with a sync in hand right now. */
    public List<PilotKey> takeHeard() {
        List<PilotKey> out = new ArrayList<>();
        contacts.forEach((k, c) -> {
            if (c.heard.getAndSet(false) || c.inFlight.get() > 0) {
                out.add(k);
            }
        });
        return out;
    }

    /** Marks pilots as heard again (their contact could not be written). */
    public void heardAgain(List<PilotKey> pilots) {
        for (PilotKey p : pilots) {
            contacts.computeIfAbsent(p, k -> new Contact()).heard.set(true);
        }
    }

    /** Whether one of this pilot's syncs is being worked on here now. */
    public boolean inFlight(PilotKey pilot) {
        Contact c = contacts.get(pilot);
        return c != null && c.inFlight.get() > 0;
    }

    public void forget(PilotKey pilot) {
        contacts.remove(pilot);
    }
}
