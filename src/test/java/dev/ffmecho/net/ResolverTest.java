package dev.ffmecho.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResolverTest {
    @Test
    void emptyHostMeansEveryAddressLikeGo() throws Exception {
        TCPAddr a = Resolver.resolveTCPAddr(":10020");
        assertNull(a.ip());
        assertEquals(10020, a.port());
        assertTrue(a.isWildcard());
        assertEquals(":10020", a.toString());
    }

    @Test
    void bracketedIPv6AndPlainIPv4() throws Exception {
        assertEquals("[::1]:8080", Resolver.resolveTCPAddr("[::1]:8080").toString());
        assertEquals("127.0.0.1:0", Resolver.resolveTCPAddr("127.0.0.1:0").toString());
    }

    @Test
    void localhostComesFromEtcHostsPreferringIPv4() throws Exception {
        assertEquals("127.0.0.1:1", Resolver.resolveTCPAddr("localhost:1").toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            ":99999|port 99999 out of range",
            "nohost:1|unknown host \"nohost\"",
            "10020|missing port",
            "::1:80|too many colons",
            "[::1:80|missing ']'",
            ":http|invalid port \"http\"",
            "127.0.0.1:|invalid port \"\"",
            "[fe80::1%eth0]:80|zones are not supported",
    })
    void badAddressesSayWhatIsWrongAndHowToFixIt(String input, String expected) {
        var e = assertThrows(Resolver.AddressException.class, () -> Resolver.resolveTCPAddr(input));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains(input), "names the input: " + e.getMessage());
    }

    @Test
    void wildcardListenersGoDualStackOnAfInet6WhenMappedAddressesWork() throws Exception {
        // favoriteAddrFamily in "listen" mode: the probe decides; loopback here supports v4-mapped.
        assertTrue(NetInit.supportsIPv4map(Profile.GO1_6), "this machine's loopback supports IPv4-mapped IPv6");
        assertEquals(dev.ffmecho.sys.Socket.AF_INET6,
                TCPListener.favoriteAddrFamily(Profile.GO1_6, Resolver.resolveTCPAddr(":1")));
        assertEquals(dev.ffmecho.sys.Socket.AF_INET6,
                TCPListener.favoriteAddrFamily(Profile.GO1_6, Resolver.resolveTCPAddr("0.0.0.0:1")));
        assertEquals(dev.ffmecho.sys.Socket.AF_INET,
                TCPListener.favoriteAddrFamily(Profile.GO1_6, Resolver.resolveTCPAddr("127.0.0.1:1")));
        assertEquals(dev.ffmecho.sys.Socket.AF_INET6,
                TCPListener.favoriteAddrFamily(Profile.GO1_6, Resolver.resolveTCPAddr("[::1]:1")));
    }
}
