package dev.ffmecho.net;

import dev.ffmecho.sys.SockaddrIn6;

import java.util.Arrays;

/**
 * Go's {@code net.IP}: an address as 16 bytes, IPv4 held in its IPv4-mapped IPv6 form
 * ({@code ::ffff:a.b.c.d}), so that {@code To4} and {@code To16} are views, not conversions.
 * Only literals are parsed here (Go's {@code ParseIP}); there is no DNS in this program.
 */
public final class IP {
    private static final byte[] V4_IN_V6_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};

    public static final IP IPV4_ZERO = v4(0, 0, 0, 0);
    public static final IP IPV6_ZERO = new IP(new byte[16]);
    public static final IP IPV6_LOOPBACK = parse("::1");

    private final byte[] bytes; // always 16

    private IP(byte[] sixteen) {
        this.bytes = sixteen;
    }

    /** Go's {@code IPv4(a, b, c, d)}. */
    public static IP v4(int a, int b, int c, int d) {
        byte[] ip = Arrays.copyOf(V4_IN_V6_PREFIX, 16);
        ip[12] = (byte) a;
        ip[13] = (byte) b;
        ip[14] = (byte) c;
        ip[15] = (byte) d;
        return new IP(ip);
    }

    /** From the 4 or 16 bytes a sockaddr holds. */
    public static IP ofBytes(byte[] raw) {
        if (raw.length == 4) return v4(raw[0] & 0xff, raw[1] & 0xff, raw[2] & 0xff, raw[3] & 0xff);
        if (raw.length == 16) return new IP(raw.clone());
        throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + raw.length);
    }

    /** Go's {@code ParseIP}: a dotted-quad IPv4 or an RFC 4291 IPv6 literal; {@code null} otherwise. */
    public static IP parse(String s) {
        if (s.indexOf(':') >= 0) return parseV6(s);
        byte[] v4 = parseV4(s);
        return v4 == null ? null : ofBytes(v4);
    }

    private static byte[] parseV4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) return null;
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            // Go 1.17+ rejects leading zeros (ambiguous octal); so do we.
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) return null;
            int v = 0;
            for (int k = 0; k < p.length(); k++) {
                char c = p.charAt(k);
                if (c < '0' || c > '9') return null;
                v = v * 10 + (c - '0');
            }
            if (v > 255) return null;
            out[i] = (byte) v;
        }
        return out;
    }

    private static IP parseV6(String s) {
        byte[] out = new byte[16];
        int ellipsis = -1; // byte index where "::" stands
        int i = 0;         // byte index being filled
        int pos = 0;       // char index in s
        if (s.startsWith("::")) {
            ellipsis = 0;
            pos = 2;
            if (pos == s.length()) return new IP(out);
        }
        while (i < 16) {
            int end = pos;
            while (end < s.length() && isHex(s.charAt(end))) end++;
            if (end == pos || end - pos > 4) {
                return null;
            }
            if (end < s.length() && s.charAt(end) == '.') {
                // Embedded IPv4 in the last 32 bits.
                if (ellipsis < 0 && i != 12) return null;
                if (i + 4 > 16) return null;
                byte[] v4 = parseV4(s.substring(pos));
                if (v4 == null) return null;
                System.arraycopy(v4, 0, out, i, 4);
                i += 4;
                pos = s.length();
                break;
            }
            int group = Integer.parseInt(s, pos, end, 16);
            out[i++] = (byte) (group >> 8);
            out[i++] = (byte) group;
            pos = end;
            if (pos == s.length()) break;
            if (s.charAt(pos) != ':' || pos + 1 == s.length()) return null;
            pos++;
            if (s.charAt(pos) == ':') {
                if (ellipsis >= 0) return null; // only one "::"
                ellipsis = i;
                pos++;
                if (pos == s.length()) break;
            }
        }
        if (pos != s.length()) return null;
        if (i < 16) {
            if (ellipsis < 0) return null;
            int n = 16 - i; // zeros the "::" stands for
            System.arraycopy(out, ellipsis, out, ellipsis + n, i - ellipsis);
            Arrays.fill(out, ellipsis, ellipsis + n, (byte) 0);
        } else if (ellipsis >= 0) {
            return null; // "::" must stand for at least one zero group (as in Go's ParseIP)
        }
        return new IP(out);
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** Go's {@code To4}: the 4-byte form, or {@code null} if this is not an IPv4 address. */
    public byte[] to4() {
        if (!Arrays.equals(bytes, 0, 12, V4_IN_V6_PREFIX, 0, 12)) return null;
        return Arrays.copyOfRange(bytes, 12, 16);
    }

    /** Go's {@code To16}. */
    public byte[] to16() {
        return bytes.clone();
    }

    /** Go's {@code IsUnspecified}: {@code 0.0.0.0} or {@code ::}. */
    public boolean isUnspecified() {
        return equals(IPV4_ZERO) || equals(IPV6_ZERO);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IP other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** Go's {@code IP.String}: dotted quad for IPv4 (mapped or not), RFC 5952 for IPv6 (longest zero run as "::"). */
    @Override
    public String toString() {
        byte[] v4 = to4();
        if (v4 != null) {
            return (v4[0] & 0xff) + "." + (v4[1] & 0xff) + "." + (v4[2] & 0xff) + "." + (v4[3] & 0xff);
        }
        return SockaddrIn6.ntop(bytes);
    }
}
