/*
 * evutil_parse_sockaddr_port on valid strings ("1.2.3.4:80", "1.2.3.4",
 * "[::1]:8080", "[::1]", "::1", "[::ffff:1.2.3.4]:9", "1.2.3.4:65535")
 * -- family, address, port and the returned length -- and invalid ones
 * ("bad", "1.2.3.4:99999", ":0", "256.1.1.1:80", "[::1", "localhost:80"
 * ...); a too small output length is refused. evutil_sockaddr_cmp orders by
 * family, then address, then (when asked) port.
 */
#include <event2/util.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "check.h"

static void good(const char *s, int family, const char *addr, int port)
{
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);
    char buf[64];
    const void *ap;
    int got_port;

    memset(&ss, 0, sizeof(ss));
    if (evutil_parse_sockaddr_port(s, (struct sockaddr *)&ss, &len) != 0) {
        fprintf(stderr, "parse(\"%s\") failed\n", s);
        check_failures_++;
        return;
    }
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        CHECK_INT(len, sizeof(struct sockaddr_in));
        ap = &sin->sin_addr;
        got_port = ntohs(sin->sin_port);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        CHECK_INT(len, sizeof(struct sockaddr_in6));
        ap = &sin6->sin6_addr;
        got_port = ntohs(sin6->sin6_port);
    }
    if (ss.ss_family != family || got_port != port ||
        !inet_ntop(family, ap, buf, sizeof(buf)) || strcmp(buf, addr) != 0) {
        fprintf(stderr, "parse(\"%s\"): family %d port %d, expected %d %s:%d\n",
            s, ss.ss_family, got_port, family, addr, port);
        check_failures_++;
    }
}

static void bad(const char *s)
{
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);
    if (evutil_parse_sockaddr_port(s, (struct sockaddr *)&ss, &len) != -1) {
        fprintf(stderr, "parse(\"%s\") accepted\n", s);
        check_failures_++;
    }
}

static struct sockaddr_storage mk(const char *s)
{
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    REQUIRE(evutil_parse_sockaddr_port(s, (struct sockaddr *)&ss, &len) == 0);
    return ss;
}

#define SA(x) ((const struct sockaddr *)&(x))

int main(void)
{
    struct sockaddr_in small;
    int len;
    struct sockaddr_storage a80, a81, b80, a80b, v6a, v6b;

    test_begin("evutil_parse_sockaddr");
    good("1.2.3.4:80", AF_INET, "1.2.3.4", 80);
    good("1.2.3.4", AF_INET, "1.2.3.4", 0);
    good("127.0.0.1:65535", AF_INET, "127.0.0.1", 65535);
    good("[::1]:8080", AF_INET6, "::1", 8080);
    good("[::1]", AF_INET6, "::1", 0);
    good("::1", AF_INET6, "::1", 0);
    good("[2001:db8::5]:443", AF_INET6, "2001:db8::5", 443);
    good("[::ffff:1.2.3.4]:9", AF_INET6, "::ffff:1.2.3.4", 9);

    bad("bad");
    bad("");
    bad("1.2.3.4:99999");
    bad("1.2.3.4:65536");
    bad("1.2.3.4:0");
    bad("1.2.3.4:");
    bad("1.2.3.4:-1");
    bad("256.1.1.1:80");
    bad("1.2.3:80");
    bad("[::1");
    bad("[::1]:");
    bad("[::1]:0");
    bad("[1.2.3.4]:80");
    bad("localhost:80");
    bad("1.2.3.4 :80");

    /* Output too small for an IPv6 address. */
    len = (int)sizeof(small);
    CHECK_INT(evutil_parse_sockaddr_port("[::1]:80", (struct sockaddr *)&small, &len), -1);
    len = (int)sizeof(small);
    CHECK_INT(evutil_parse_sockaddr_port("1.2.3.4:80", (struct sockaddr *)&small, &len), 0);
    CHECK_INT(len, sizeof(small));

    a80 = mk("1.2.3.4:80");
    a80b = mk("1.2.3.4:80");
    a81 = mk("1.2.3.4:81");
    b80 = mk("1.2.3.5:80");
    v6a = mk("[::1]:80");
    v6b = mk("[::2]:80");
    CHECK_INT(evutil_sockaddr_cmp(SA(a80), SA(a80b), 1), 0);
    CHECK(evutil_sockaddr_cmp(SA(a80), SA(a81), 1) < 0);
    CHECK(evutil_sockaddr_cmp(SA(a81), SA(a80), 1) > 0);
    CHECK_INT(evutil_sockaddr_cmp(SA(a80), SA(a81), 0), 0);
    CHECK(evutil_sockaddr_cmp(SA(a81), SA(b80), 1) < 0);
    CHECK(evutil_sockaddr_cmp(SA(b80), SA(a81), 0) > 0);
    CHECK(evutil_sockaddr_cmp(SA(a80), SA(v6a), 1) < 0);
    CHECK(evutil_sockaddr_cmp(SA(v6a), SA(a80), 0) > 0);
    CHECK(evutil_sockaddr_cmp(SA(v6a), SA(v6b), 1) < 0);
    CHECK_INT(evutil_sockaddr_cmp(SA(v6a), SA(v6a), 1), 0);

    return test_end();
}
