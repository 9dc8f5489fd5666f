package org.pilotflow.agent.nodes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostlistTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            n1                     | n1
            n1.cluster.org         | n1.cluster.org
            n1,n2,login-3          | n1 n2 login-3
            node[01-04,07]         | node01 node02 node03 node04 node07
            node[1-3]              | node1 node2 node3
            node[8-11]             | node8 node9 node10 node11
            node[08-11]            | node08 node09 node10 node11
            node[001-002]          | node001 node002
            n[1-2]-ib,gpu[3,5]     | n1-ib n2-ib gpu3 gpu5
            a[001-003]b[1-2]       | a001b1 a001b2 a002b1 a002b2 a003b1 a003b2
            rack[0-1]-n[1-2].x     | rack0-n1.x rack0-n2.x rack1-n1.x rack1-n2.x
            [1-2]                  | 1 2
            x[5]                   | x5
            a,b[1-2],c             | a b1 b2 c
            """)
    void expandsLikeScontrolShowHostnames(String list, String expected) {
        assertThat(Hostlist.expand(list)).containsExactly(expected.split(" "));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            node[1-3                | '[' without ']'
            node1-3]                | ']' without '['
            node[1-[2]]             | nested '['
            node[]                  | is not a list of numbers and ranges
            node[a-c]               | is not a list of numbers and ranges
            node[1-]                | is not a list of numbers and ranges
            node[1,,2]              | is not a list of numbers and ranges
            node[3-1]               | range '3-1' ends before it starts
            'n1,,n2'                | empty host name
            'n1,'                   | empty host name
            n 1                     | is not a host name
            n[1-99999999999999999999] | out of range
            n[0-100000]             | more than 100000 hosts
            a[1-1000]b[1-1000]      | more than 100000 hosts
            """)
    void refusesBadListsSayingWhy(String list, String why) {
        assertThatThrownBy(() -> Hostlist.expand(list)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(why);
    }

    @Test
    void refusesEmptyLists() {
        assertThatThrownBy(() -> Hostlist.expand("")).hasMessage("empty host list");
        assertThatThrownBy(() -> Hostlist.expand(null)).hasMessage("empty host list");
    }

    @Test
    void largeRangesExpandInOrder() {
        List<String> hosts = Hostlist.expand("c[0001-2000]");
        assertThat(hosts).hasSize(2000).startsWith("c0001", "c0002").endsWith("c2000");
    }
}
