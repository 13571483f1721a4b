package dev.ffmecho.net;

import dev.ffmecho.sys.Socket;

/**
 * Go's {@code net.TCPAddr}: an IP (absent for an empty host, which means "every address") and a port.
 */
public record TCPAddr(IP ip, int port) {
    public TCPAddr {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
    }

    /** Go's {@code isWildcard}: no IP, or {@code 0.0.0.0}, or {@code ::}. */
    public boolean isWildcard() {
        return ip == null || ip.isUnspecified();
    }

    /** Go's {@code TCPAddr.family}: AF_INET for an IPv4 (or absent) address, else AF_INET6. */
    public int family() {
        return ip == null || ip.to4() != null ? Socket.AF_INET : Socket.AF_INET6;
    }

    /** Go's {@code TCPAddr.String} ({@code JoinHostPort}): {@code 127.0.0.1:10020}, {@code [::1]:10020}, {@code :10020}. */
    @Override
    public String toString() {
        if (ip == null) return ":" + port;
        String host = ip.toString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
