package org.pilotflow.e2e;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.Adler32;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.wire.StagingDirective;

/**
 * The application that {@link ClientStagingRestartTest} kills while the engine transfers a unit's input from the
 * client: makes the file, submits the unit, prints its session, the unit and where its sandbox will be, then runs
 * until it is killed.
 */
public final class ClientStagingScenario {

    static final long SIZE = 600L << 20;
    /** How long this application's engine holds a job it acquired. */
    static final java.time.Duration LOCK_TIME = java.time.Duration.ofSeconds(10);

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        Path client = Files.createDirectories(work.resolve("client"));
        String sum = write(client.resolve("big.dat"));
        Session session = LocalFixture.builder(work, EngineRestartTest.config(work).toBuilder()
                .clientDirectory(client).build()).create();
        // the restarted engine takes the transfer over once this engine's lock on its job expired: a lock of
        // LOCK_TIME, not Session.JOB_LOCK_TIME, keeps that wait short (a transfer outlasting it keeps extending it)
        LocalFixture.jobLockTime(session, LOCK_TIME);
        System.out.println("SESSION " + session.uid());
        ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 1);
        UnitManager umgr = session.createUnitManager();
        umgr.addPilot(pilot);
        ComputeUnit unit = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                .arguments("-c", "wc -c < big.dat")
                .inputStaging(List.of(StagingDirective.parse("d", "big.dat").verified(SIZE, sum))).build());
        System.out.println("UNIT " + unit.uid() + " " + pilot.sandbox());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    /** SIZE bytes (not sparse: a real copy takes its time), their adler32 as a directive gives it. */
    static String write(Path file) throws java.io.IOException {
        return write(file, SIZE);
    }

    /** {@code size} bytes (a whole number of MiB), as {@link #write(Path)}. */
    static String write(Path file, long size) throws java.io.IOException {
        byte[] block = new byte[1 << 20];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i * 31);
        }
        Adler32 adler = new Adler32();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long done = 0; done < size; done += block.length) {
                adler.update(block);
                ch.write(ByteBuffer.wrap(block));
            }
        }
        return String.format("adler32:%08x", adler.getValue());
    }
}
