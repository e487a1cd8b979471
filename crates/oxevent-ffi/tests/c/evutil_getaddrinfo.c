/*
 * evutil_getaddrinfo with numeric hosts: IPv4 and IPv6 literals with a
 * numeric port (family, address, port, socktype, protocol filled in);
 * EVUTIL_AI_PASSIVE with no host gives the wildcard address, no host without
 * PASSIVE gives loopback; a non-numeric host with EVUTIL_AI_NUMERICHOST
 * fails with EVUTIL_EAI_NONAME, as does no host and no service;
 * evutil_gai_strerror is never NULL; results are freed with
 * evutil_freeaddrinfo.
 */
#include <event2/util.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "check.h"

static int addr_is(const struct evutil_addrinfo *ai, int family,
    const char *text, int port)
{
    char buf[64];
    const void *ap;
    int p;
    if (!ai || ai->ai_family != family || !ai->ai_addr)
        return 0;
    if (family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ai->ai_addr;
        if (ai->ai_addrlen != sizeof(*sin))
            return 0;
        ap = &sin->sin_addr;
        p = ntohs(sin->sin_port);
    } else {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ai->ai_addr;
        if (ai->ai_addrlen != sizeof(*sin6))
            return 0;
        ap = &sin6->sin6_addr;
        p = ntohs(sin6->sin6_port);
    }
    if (!inet_ntop(family, ap, buf, sizeof(buf)))
        return 0;
    if (strcmp(buf, text) != 0 || p != port) {
        fprintf(stderr, "got %s port %d, expected %s port %d\n", buf, p, text, port);
        return 0;
    }
    return 1;
}

int main(void)
{
    struct evutil_addrinfo hints, *res;
    int codes[] = {EVUTIL_EAI_ADDRFAMILY, EVUTIL_EAI_AGAIN, EVUTIL_EAI_BADFLAGS,
        EVUTIL_EAI_FAIL, EVUTIL_EAI_FAMILY, EVUTIL_EAI_MEMORY, EVUTIL_EAI_NODATA,
        EVUTIL_EAI_NONAME, EVUTIL_EAI_SERVICE, EVUTIL_EAI_SOCKTYPE,
        EVUTIL_EAI_SYSTEM, EVUTIL_EAI_CANCEL, 0};
    unsigned i;

    test_begin("evutil_getaddrinfo");

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = EVUTIL_AI_NUMERICHOST;
    res = NULL;
    CHECK_INT(evutil_getaddrinfo("127.0.0.1", "80", &hints, &res), 0);
    CHECK(addr_is(res, AF_INET, "127.0.0.1", 80));
    if (res) {
        CHECK_INT(res->ai_socktype, SOCK_STREAM);
        CHECK_INT(res->ai_protocol, IPPROTO_TCP);
        CHECK(res->ai_next == NULL);
        evutil_freeaddrinfo(res);
    }

    res = NULL;
    CHECK_INT(evutil_getaddrinfo("::1", "8080", &hints, &res), 0);
    CHECK(addr_is(res, AF_INET6, "::1", 8080));
    if (res)
        evutil_freeaddrinfo(res);

    /* UDP */
    hints.ai_socktype = SOCK_DGRAM;
    res = NULL;
    CHECK_INT(evutil_getaddrinfo("10.1.2.3", "53", &hints, &res), 0);
    CHECK(addr_is(res, AF_INET, "10.1.2.3", 53));
    if (res) {
        CHECK_INT(res->ai_socktype, SOCK_DGRAM);
        CHECK_INT(res->ai_protocol, IPPROTO_UDP);
        evutil_freeaddrinfo(res);
    }

    /* Passive, no host. */
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = EVUTIL_AI_PASSIVE;
    res = NULL;
    CHECK_INT(evutil_getaddrinfo(NULL, "9000", &hints, &res), 0);
    CHECK(addr_is(res, AF_INET, "0.0.0.0", 9000));
    if (res)
        evutil_freeaddrinfo(res);
    hints.ai_family = AF_INET6;
    res = NULL;
    CHECK_INT(evutil_getaddrinfo(NULL, "9000", &hints, &res), 0);
    CHECK(addr_is(res, AF_INET6, "::", 9000));
    if (res)
        evutil_freeaddrinfo(res);

    /* Not passive, no host: loopback. */
    hints.ai_family = AF_INET;
    hints.ai_flags = 0;
    res = NULL;
    CHECK_INT(evutil_getaddrinfo(NULL, "9001", &hints, &res), 0);
    CHECK(addr_is(res, AF_INET, "127.0.0.1", 9001));
    if (res)
        evutil_freeaddrinfo(res);

    /* Errors. */
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_flags = EVUTIL_AI_NUMERICHOST;
    res = NULL;
    CHECK_INT(evutil_getaddrinfo("not-an-ip", "80", &hints, &res), EVUTIL_EAI_NONAME);
    CHECK_INT(evutil_getaddrinfo("300.1.1.1", "80", &hints, &res), EVUTIL_EAI_NONAME);
    CHECK_INT(evutil_getaddrinfo(NULL, NULL, &hints, &res), EVUTIL_EAI_NONAME);
    hints.ai_family = AF_INET6;
    CHECK(evutil_getaddrinfo("1.2.3.4", "80", &hints, &res) != 0);

    /* No hints at all: at least one IPv4 answer first for an IPv4 literal. */
    res = NULL;
    CHECK_INT(evutil_getaddrinfo("192.0.2.7", "7", NULL, &res), 0);
    CHECK(addr_is(res, AF_INET, "192.0.2.7", 7));
    if (res)
        evutil_freeaddrinfo(res);

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *s = evutil_gai_strerror(codes[i]);
        CHECK(s != NULL && s[0] != '\0');
    }
    CHECK(evutil_gai_strerror(12345) != NULL);
    return test_end();
}
