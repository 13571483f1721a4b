package dev.ffmecho.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class IPTest {
    @ParameterizedTest
    @CsvSource({
            "127.0.0.1, 127.0.0.1",
            "0.0.0.0, 0.0.0.0",
            "255.255.255.255, 255.255.255.255",
            "::, ::",
            "::1, ::1",
            "1::, 1::",
            "fe80::1:2, fe80::1:2",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
            "2001:DB8::A, 2001:db8::a",
            "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:7:8",
            "::ffff:127.0.0.1, 127.0.0.1",
            "::ffff:10.0.54.10, 10.0.54.10",
            "64:ff9b::1.2.3.4, 64:ff9b::102:304",
    })
    void parsesLiteralsAndPrintsThemTheWayGoDoes(String literal, String printed) {
        IP ip = IP.parse(literal);
        assertNotNull(ip, literal);
        assertEquals(printed, ip.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.x", ":::", "1:::2",
            "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7::8", "::1.2.3", "g::1",
            "1:", ":1", "localhost"})
    void rejectsWhatGosParseIPRejects(String literal) {
        assertNull(IP.parse(literal), literal);
    }

    @org.junit.jupiter.api.Test
    void holdsIPv4InItsMappedFormSoTo4AndTo16AreViews() {
        IP v4 = IP.parse("127.0.0.1");
        assertArrayEquals(new byte[] {127, 0, 0, 1}, v4.to4());
        assertEquals(IP.parse("::ffff:127.0.0.1"), v4);
        assertNull(IP.parse("::1").to4());
        assertEquals(16, v4.to16().length);
    }
}
