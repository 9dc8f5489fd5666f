package org.pilotflow.agent.executor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

class PerNodeLimitTest {

    @Test
    void atMostTheLimitRunPerNodeAndTheRestStartInOrderAsSlotsFree() {
        PerNodeLimit limit = new PerNodeLimit(4);
        List<CompletableFuture<Integer>> started = new ArrayList<>();
        List<CompletableFuture<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            results.add(limit.run("a", () -> {
                CompletableFuture<Integer> f = new CompletableFuture<>();
                started.add(f);
                return f;
            }));
        }
        assertThat(started).hasSize(4);
        assertThat(limit.running("a")).isEqualTo(4);

        CompletableFuture<Integer> onB = limit.run("b", () -> CompletableFuture.completedFuture(7));
        assertThat(onB).isCompletedWithValue(7); // another node has slots of its own

        started.get(1).complete(1);
        assertThat(results.get(1)).isCompletedWithValue(1);
        assertThat(started).hasSize(5);
        started.get(0).completeExceptionally(new IllegalStateException("ssh failed"));
        assertThat(results.get(0)).isCompletedExceptionally();
        assertThat(started).hasSize(6);
        for (CompletableFuture<Integer> f : List.copyOf(started)) {
            f.complete(0);
        }
        assertThat(limit.running("a")).isZero();
        assertThat(results).allMatch(CompletableFuture::isDone);
    }
}
