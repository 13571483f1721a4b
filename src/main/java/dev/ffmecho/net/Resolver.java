package dev.ffmecho.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Go's {@code net.ResolveTCPAddr("tcp", hostport)} for what this program accepts: an IP literal, an
 * empty host, or a name from {@code /etc/hosts} (Go's resolver reads that file before DNS too).
 * There is no DNS client here; a name that is not in /etc/hosts is an error that says so.
 *
 * <p>Resolving makes no socket calls. The somaxconn read and the stack probes the study note saw
 * "in ResolveTCPAddr" are Go's net package initialization: see {@link NetInit}.
 */
public final class Resolver {
    private static final Path HOSTS = Path.of("/etc/hosts");

    private Resolver() {}

    /** An address the user wrote that cannot be used; the message names the problem and the fix. */
    public static final class AddressException extends Exception {
        public AddressException(String message) {
            super(message);
        }
    }

    public static TCPAddr resolveTCPAddr(String hostport) throws AddressException {
        String[] hp = splitHostPort(hostport);
        int port = parsePort(hp[1], hostport);
        String host = hp[0];
        if (host.isEmpty()) return new TCPAddr(null, port);
        if (host.indexOf('%') >= 0) {
            throw new AddressException("address " + hostport + ": IPv6 zones are not supported; "
                    + "listen on [::] or a global address instead");
        }
        IP ip = IP.parse(host);
        if (ip == null) ip = lookupHosts(host, hostport);
        return new TCPAddr(ip, port);
    }

    /** Go's {@code SplitHostPort}: {@code host:port}, {@code [v6]:port}, {@code :port}. */
    static String[] splitHostPort(String hostport) throws AddressException {
        int colon = hostport.lastIndexOf(':');
        if (colon < 0) {
            throw new AddressException("address " + hostport + ": missing port; write HOST:PORT, e.g. :10020 or 127.0.0.1:10020");
        }
        String host = hostport.substring(0, colon);
        String port = hostport.substring(colon + 1);
        if (host.startsWith("[")) {
            if (!host.endsWith("]")) {
                throw new AddressException("address " + hostport + ": missing ']'; write an IPv6 host as [::1]:PORT");
            }
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new AddressException("address " + hostport + ": too many colons; write an IPv6 host in brackets, e.g. [::1]:10020");
        } else if (host.indexOf('[') >= 0 || host.indexOf(']') >= 0) {
            throw new AddressException("address " + hostport + ": unexpected bracket; write an IPv6 host as [::1]:PORT");
        }
        return new String[] {host, port};
    }

    private static int parsePort(String port, String hostport) throws AddressException {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new AddressException("address " + hostport + ": invalid port \"" + port
                    + "\"; use a number from 0 to 65535");
        }
        int p = Integer.parseInt(port);
        if (p > 65535) {
            throw new AddressException("address " + hostport + ": port " + p + " out of range; use 0 to 65535");
        }
        return p;
    }

    /** The first address for {@code name} in /etc/hosts, IPv4 preferred as Go's "tcp" lookup does. */
    private static IP lookupHosts(String name, String hostport) throws AddressException {
        List<String> lines;
        try {
            lines = Files.readAllLines(HOSTS);
        } catch (IOException e) {
            lines = List.of();
        }
        IP first = null;
        for (String line : lines) {
            int hash = line.indexOf('#');
            String[] f = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
            if (f.length < 2) continue;
            IP ip = IP.parse(f[0]);
            if (ip == null) continue;
            for (int i = 1; i < f.length; i++) {
                if (f[i].equalsIgnoreCase(name)) {
                    if (ip.to4() != null) return ip;
                    if (first == null) first = ip;
                }
            }
        }
        if (first != null) return first;
        throw new AddressException("address " + hostport + ": unknown host \"" + name
                + "\" (not an IP literal and not in /etc/hosts; ffm-echo does no DNS); use an IP such as 127.0.0.1 or ::1");
    }
}
