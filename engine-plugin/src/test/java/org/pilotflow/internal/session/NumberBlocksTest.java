package org.pilotflow.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class NumberBlocksTest {

    /** A counter as the database keeps it: each take returns the next free number and moves past n. */
    private final AtomicLong next = new AtomicLong();
    private final List<Integer> takes = new ArrayList<>();
    private final NumberBlocks.Counter counter = n -> {
        takes.add(n);
        return next.getAndAdd(n);
    };

    @Test
    void singleNumbersComeFromOneBlockAndOneTransaction() {
        NumberBlocks blocks = new NumberBlocks();
        for (int i = 0; i < NumberBlocks.BLOCK; i++) {
            assertThat(blocks.take("s1", 1, counter)).isEqualTo(i);
        }
        assertThat(takes).containsExactly(NumberBlocks.BLOCK);
        assertThat(blocks.take("s1", 1, counter)).isEqualTo(NumberBlocks.BLOCK);
        assertThat(takes).containsExactly(NumberBlocks.BLOCK, NumberBlocks.BLOCK);
    }

    @Test
    void aRunThatDoesNotFitSkipsTheRestOfTheBlockAndNumbersAreNeverHandedOutTwice() {
        NumberBlocks blocks = new NumberBlocks();
        Set<Long> seen = new HashSet<>();
        int[] sizes = {1, 60, 5, NumberBlocks.BLOCK, 3, NumberBlocks.BLOCK - 1, 2, 200};
        for (int n : sizes) {
            long first = blocks.take("s1", n, counter);
            for (long k = first; k < first + n; k++) {
                assertThat(seen.add(k)).as("number %d handed out twice", k).isTrue();
            }
        }
        // 5 did not fit behind 1 + 60 in the first block of 64: it started a new one
        assertThat(takes).startsWith(NumberBlocks.BLOCK, NumberBlocks.BLOCK);
    }

    @Test
    void sessionsHaveBlocksOfTheirOwnAndAForgottenSessionStartsANewBlock() {
        NumberBlocks blocks = new NumberBlocks();
        AtomicLong other = new AtomicLong(1000);
        assertThat(blocks.take("s1", 1, counter)).isZero();
        assertThat(blocks.take("s2", 1, n -> other.getAndAdd(n))).isEqualTo(1000);
        assertThat(blocks.take("s1", 1, counter)).isEqualTo(1);
        blocks.forget("s1");
        assertThat(blocks.take("s1", 1, counter)).isEqualTo(NumberBlocks.BLOCK);
    }
}
