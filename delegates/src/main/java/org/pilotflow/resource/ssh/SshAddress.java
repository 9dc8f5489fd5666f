package org.pilotflow.resource.ssh;

import java.util.Objects;

/**
 * Where to connect as written in an endpoint or a job handle: {@code [user@]host[:port]} ({@code [v6addr]:port}
 * for IPv6). Missing parts stay missing ({@code user == null}, {@code port == -1}) so the same endpoint and the
 * job handles made from it name the same connection; the credentials and {@code ~/.ssh/config} fill them in.
 */
record SshAddress(String user, String host, int port) {

    SshAddress {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (port < -1 || port == 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " of " + host + " is not a TCP port");
        }
    }

    /**
     * Parses {@code [user@]host[:port]}.
     *
     * @throws IllegalArgumentException naming the location when it is not of that form
     */
    static SshAddress parse(String location) {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException("SSH location '" + location + "' is not of the form [user@]host[:port]");
        }
        String rest = location;
        String user = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            user = rest.substring(0, at);
            rest = rest.substring(at + 1);
            if (user.isEmpty()) {
                throw new IllegalArgumentException("SSH location '" + location + "' has an empty user");
            }
        }
        String host = rest;
        String portText = null;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("SSH location '" + location + "' lacks the ']' of its IPv6 host");
            }
            host = rest.substring(0, close + 1);
            if (close + 1 < rest.length()) {
                if (rest.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("SSH location '" + location + "' is not of the form "
                            + "[user@]host[:port]");
                }
                portText = rest.substring(close + 2);
            }
        } else {
            int colon = rest.indexOf(':');
            if (colon >= 0) {
                host = rest.substring(0, colon);
                portText = rest.substring(colon + 1);
            }
        }
        int port = -1;
        if (portText != null) {
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("SSH location '" + location + "' has port '" + portText
                        + "', expected a number");
            }
        }
        try {
            return new SshAddress(user, host, port);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("SSH location '" + location + "': " + e.getMessage(), e);
        }
    }

    /** The host as JSch wants it: without the brackets of an IPv6 address. */
    String bareHost() {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    @Override
    public String toString() {
        return (user != null ? user + "@" : "") + host + (port > 0 ? ":" + port : "");
    }
}
