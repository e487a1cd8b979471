/*
 * evutil_inet_pton / evutil_inet_ntop / evutil_inet_pton_scope for IPv4 and
 * IPv6: valid strings parse (bytes checked), invalid ones return 0; ntop
 * formats the canonical text and returns NULL when the buffer is too small;
 * pton_scope accepts "addr%ifname" and "addr%number" (scope id set), plain
 * addresses (scope 0), and refuses an unknown interface name.
 */
#include <event2/util.h>
#include <net/if.h>
#include <netinet/in.h>
#include "check.h"

static void v4_ok(const char *s, unsigned a, unsigned b, unsigned c, unsigned d)
{
    struct in_addr in;
    unsigned char *p = (unsigned char *)&in;
    char buf[32];
    memset(&in, 0, sizeof(in));
    if (evutil_inet_pton(AF_INET, s, &in) != 1) {
        fprintf(stderr, "inet_pton(AF_INET, \"%s\") failed\n", s);
        check_failures_++;
        return;
    }
    CHECK(p[0] == a && p[1] == b && p[2] == c && p[3] == d);
    CHECK(evutil_inet_ntop(AF_INET, &in, buf, sizeof(buf)) == buf);
    CHECK_STR(buf, s);
}

static void v4_bad(const char *s)
{
    struct in_addr in;
    if (evutil_inet_pton(AF_INET, s, &in) != 0) {
        fprintf(stderr, "inet_pton(AF_INET, \"%s\") accepted\n", s);
        check_failures_++;
    }
}

static void v6_round(const char *in_text, const char *canon)
{
    struct in6_addr a;
    char buf[64];
    if (evutil_inet_pton(AF_INET6, in_text, &a) != 1) {
        fprintf(stderr, "inet_pton(AF_INET6, \"%s\") failed\n", in_text);
        check_failures_++;
        return;
    }
    CHECK(evutil_inet_ntop(AF_INET6, &a, buf, sizeof(buf)) == buf);
    if (strcmp(buf, canon) != 0) {
        fprintf(stderr, "ntop(\"%s\") = \"%s\", expected \"%s\"\n", in_text,
            buf, canon);
        check_failures_++;
    }
}

static void v6_bad(const char *s)
{
    struct in6_addr a;
    if (evutil_inet_pton(AF_INET6, s, &a) != 0) {
        fprintf(stderr, "inet_pton(AF_INET6, \"%s\") accepted\n", s);
        check_failures_++;
    }
}

int main(void)
{
    struct in_addr in;
    struct in6_addr a6;
    unsigned scope;
    char small[8];
    char buf[64];

    test_begin("evutil_inet");
    v4_ok("1.2.3.4", 1, 2, 3, 4);
    v4_ok("127.0.0.1", 127, 0, 0, 1);
    v4_ok("255.255.255.255", 255, 255, 255, 255);
    v4_ok("0.0.0.0", 0, 0, 0, 0);
    v4_bad("256.1.1.1");
    v4_bad("1.2.3");
    v4_bad("1.2.3.4.5");
    v4_bad("abc");
    v4_bad("");
    v4_bad("1.2.3.4x");

    v6_round("::1", "::1");
    v6_round("::", "::");
    v6_round("2001:db8::1", "2001:db8::1");
    v6_round("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    v6_round("fe80::1:2", "fe80::1:2");
    v6_round("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8");
    v6_bad("1:2:3:4:5:6:7:8:9");
    v6_bad(":::");
    v6_bad("12345::1");
    v6_bad("g::1");
    v6_bad("1.2.3.4");

    memset(&a6, 0, sizeof(a6));
    CHECK_INT(evutil_inet_pton(AF_INET6, "::1", &a6), 1);
    CHECK(((unsigned char *)&a6)[15] == 1);

    /* Too small buffers. */
    CHECK_INT(evutil_inet_pton(AF_INET, "123.123.123.123", &in), 1);
    CHECK(evutil_inet_ntop(AF_INET, &in, small, sizeof(small)) == NULL);
    CHECK_INT(evutil_inet_pton(AF_INET6, "2001:db8::1234:5678", &a6), 1);
    CHECK(evutil_inet_ntop(AF_INET6, &a6, small, sizeof(small)) == NULL);
    CHECK(evutil_inet_ntop(AF_INET6, &a6, buf, sizeof(buf)) == buf);

    /* Scope ids. */
    scope = 99;
    CHECK_INT(evutil_inet_pton_scope(AF_INET6, "fe80::1", &a6, &scope), 1);
    CHECK_INT(scope, 0);
    scope = 99;
    CHECK_INT(evutil_inet_pton_scope(AF_INET6, "fe80::1%lo", &a6, &scope), 1);
    CHECK_INT(scope, if_nametoindex("lo"));
    CHECK(((unsigned char *)&a6)[0] == 0xfe && ((unsigned char *)&a6)[15] == 1);
    scope = 99;
    CHECK_INT(evutil_inet_pton_scope(AF_INET6, "fe80::1%5", &a6, &scope), 1);
    CHECK_INT(scope, 5);
    CHECK_INT(evutil_inet_pton_scope(AF_INET6, "fe80::1%no-such-if0", &a6, &scope), 0);
    CHECK_INT(evutil_inet_pton(AF_INET6, "fe80::1%lo", &a6), 0);
    scope = 99;
    CHECK_INT(evutil_inet_pton_scope(AF_INET, "1.2.3.4", &in, &scope), 1);

    return test_end();
}
