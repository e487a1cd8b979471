/*
 * evdns against a small responder in the same loop (a UDP socket on
 * 127.0.0.1 answering by hand: the question echoed byte for byte, since
 * libevent randomizes the case of query names and drops replies that do
 * not echo them).  libevent 2.1.12: evdns_base_resolve_ipv4 gets both A
 * records in order with the smallest TTL (60 of 300 and 60), from the loop
 * and not inside the call; a name the responder calls NXDOMAIN gives
 * DNS_ERR_NOTEXIST with type 0, count 0 and NULL addresses; evdns_getaddrinfo
 * answers a numeric host before it returns (returning NULL) and a name
 * later, with a stream/TCP and a datagram/UDP entry per address;
 * count_nameservers and get_nameserver_addr report the server;
 * with EVDNS_BASE_DISABLE_WHEN_INACTIVE the loop ends once nothing is in
 * flight (dispatch returns 1 once the responder's event is gone).
 */
#include <event2/event.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

static int queries;
static int in_call;
static int a_calls, nx_calls, gai_calls, gai_numeric_calls;
static struct event *responder;

/* Answers "nx..." names with NXDOMAIN, others with 10.0.0.1 (TTL 300) and
 * 10.0.0.2 (TTL 60). */
static void on_query(evutil_socket_t fd, short what, void *arg)
{
    unsigned char q[512], r[600];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)&from, &fl);
    size_t k;
    int i;
    UNUSED(what);
    UNUSED(arg);
    if (n < 17)
        return;
    queries++;
    memcpy(r, q, (size_t)n);
    k = (size_t)n;
    r[2] |= 0x80;
    if ((q[13] | 0x20) == 'n' && (q[14] | 0x20) == 'x') {
        r[3] = 0x83;
    } else {
        r[3] = 0x80;
        r[7] = 2;
        for (i = 0; i < 2; i++) {
            unsigned char ans[16] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0,
                0, 4, 10, 0, 0, 0};
            ans[8] = i ? 0 : 1;
            ans[9] = i ? 60 : 44;
            ans[15] = (unsigned char)(i + 1);
            memcpy(r + k, ans, sizeof ans);
            k += sizeof ans;
        }
    }
    sendto(fd, r, k, 0, (struct sockaddr *)&from, fl);
}

static void a_cb(int result, char type, int count, int ttl, void *addrs,
    void *arg)
{
    struct in_addr *in = addrs;
    CHECK(!in_call);
    CHECK(arg == &a_calls);
    CHECK_INT(result, DNS_ERR_NONE);
    CHECK_INT(type, DNS_IPv4_A);
    CHECK_INT(count, 2);
    CHECK_INT(ttl, 60);
    CHECK(in && in[0].s_addr == htonl(0x0a000001) &&
        in[1].s_addr == htonl(0x0a000002));
    a_calls++;
}

static void nx_cb(int result, char type, int count, int ttl, void *addrs,
    void *arg)
{
    UNUSED(ttl);
    UNUSED(arg);
    CHECK_INT(result, DNS_ERR_NOTEXIST);
    CHECK_INT(type, 0);
    CHECK_INT(count, 0);
    CHECK(addrs == NULL);
    nx_calls++;
}

static void gai_cb(int result, struct evutil_addrinfo *res, void *arg)
{
    struct evutil_addrinfo *ai;
    int n = 0;
    int numeric = arg != NULL;
    CHECK_INT(result, 0);
    for (ai = res; ai; ai = ai->ai_next, n++) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;
        CHECK_INT(ai->ai_family, AF_INET);
        CHECK_INT(ntohs(sin->sin_port), 80);
        CHECK_INT(ai->ai_socktype, n % 2 ? SOCK_DGRAM : SOCK_STREAM);
        CHECK_INT(ai->ai_protocol, n % 2 ? IPPROTO_UDP : IPPROTO_TCP);
        if (numeric)
            CHECK(sin->sin_addr.s_addr == htonl(0x7f000001));
        else
            CHECK(sin->sin_addr.s_addr == htonl(0x0a000001 + n / 2));
    }
    CHECK_INT(n, numeric ? 2 : 4);
    if (res)
        evutil_freeaddrinfo(res);
    if (numeric)
        gai_numeric_calls++;
    else
        gai_calls++;
    if (a_calls && nx_calls && gai_calls && responder) {
        /* Everything answered: let the loop run dry. */
        event_del(responder);
    }
}

int main(void)
{
    struct event_base *base;
    struct evdns_base *dns;
    struct sockaddr_in sin, got;
    struct evutil_addrinfo hints;
    socklen_t sl = sizeof sin;
    int srv;
    void *r;

    test_begin("evdns_lookup_basics");
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(srv >= 0);
    REQUIRE(bind(srv, (struct sockaddr *)&sin, sizeof sin) == 0);
    REQUIRE(getsockname(srv, (struct sockaddr *)&sin, &sl) == 0);
    REQUIRE(evutil_make_socket_nonblocking(srv) == 0);
    responder = event_new(base, srv, EV_READ | EV_PERSIST, on_query, NULL);
    REQUIRE(responder != NULL && event_add(responder, NULL) == 0);

    dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    REQUIRE(dns != NULL);
    CHECK_INT(evdns_base_count_nameservers(dns), 0);
    CHECK_INT(evdns_base_nameserver_sockaddr_add(dns,
        (struct sockaddr *)&sin, sizeof sin, 0), 0);
    CHECK_INT(evdns_base_count_nameservers(dns), 1);
    memset(&got, 0, sizeof got);
    CHECK_INT(evdns_base_get_nameserver_addr(dns, 0, (struct sockaddr *)&got,
        sizeof got), (int)sizeof got);
    CHECK(got.sin_port == sin.sin_port &&
        got.sin_addr.s_addr == sin.sin_addr.s_addr);
    CHECK_INT(evdns_base_get_nameserver_addr(dns, 1, (struct sockaddr *)&got,
        sizeof got), -1);
    CHECK_STR(evdns_err_to_string(DNS_ERR_NOTEXIST), "name does not exist");
    CHECK_STR(evdns_err_to_string(DNS_ERR_TIMEOUT), "request timed out");
    CHECK_STR(evdns_err_to_string(1234), "[Unknown error code]");

    in_call = 1;
    r = evdns_base_resolve_ipv4(dns, "www.example.com", 0, a_cb, &a_calls);
    CHECK(r != NULL);
    r = evdns_base_resolve_ipv4(dns, "nx.example.com", DNS_QUERY_NO_SEARCH,
        nx_cb, NULL);
    CHECK(r != NULL);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    r = evdns_getaddrinfo(dns, "127.0.0.1", "80", &hints, gai_cb, &hints);
    CHECK(r == NULL);
    CHECK_INT(gai_numeric_calls, 1);
    r = evdns_getaddrinfo(dns, "host.example.com", "80", &hints, gai_cb, NULL);
    CHECK(r != NULL);
    in_call = 0;
    CHECK_INT(a_calls, 0);

    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(a_calls, 1);
    CHECK_INT(nx_calls, 1);
    CHECK_INT(gai_calls, 1);
    CHECK_INT(queries, 3);

    evdns_base_free(dns, 0);
    event_free(responder);
    close(srv);
    event_base_free(base);
    return test_end();
}
