/*
 * EVDNS_BASE_DISABLE_WHEN_INACTIVE: evdns keeps no event in the loop while
 * it has no lookup in flight.  With the flag, two lookups answered by a
 * responder that removes its own event after answering the second query:
 * event_base_dispatch returns 1 ("no events") by itself, after both
 * callbacks ran, without any loopexit (well under 2 s).  Before any
 * lookup, dispatch on a base holding only the evdns_base (with a
 * nameserver added) returns 1 at once.  Without the flag, evdns keeps
 * its nameserver socket's read event added, so the same dispatch does
 * not return on its own: a 300 ms loopexit ends it (dispatch returns 0,
 * >= 240 ms elapsed).
 */
#include <event2/event.h>
#include <event2/dns.h>
#include "dns_responder.h"

static struct event_base *base;
static int calls, ok_results;

static void handler(struct responder *r, const struct dns_query *q, void *arg)
{
    struct dns_reply rep;
    UNUSED(arg);
    reply_init(&rep, q, DNS_RCODE_NOERROR);
    reply_add_a(&rep, 60, "10.1.2.3");
    REQUIRE(reply_send(r, &rep) == 0);
    if (r->nqueries == 2)
        event_del(r->ev);
}

static void cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
    UNUSED(type);
    UNUSED(count);
    UNUSED(ttl);
    UNUSED(addresses);
    UNUSED(arg);
    calls++;
    if (result == DNS_ERR_NONE)
        ok_results++;
}

/* Two lookups; returns what event_base_dispatch returned. */
static int two_lookups(int flags, const struct timeval *exit_after,
    long long *elapsed)
{
    struct responder rs;
    struct evdns_base *dns;
    long long start;
    int r;

    calls = ok_results = 0;
    dns = evdns_base_new(base, flags);
    REQUIRE(dns != NULL);
    responder_open(&rs, base, handler, NULL);
    CHECK_INT(responder_add_to(&rs, dns), 0);
    CHECK(evdns_base_resolve_ipv4(dns, "a.example.test", 0, cb, NULL)
        != NULL);
    CHECK(evdns_base_resolve_ipv4(dns, "b.example.test", 0, cb, NULL)
        != NULL);
    if (exit_after)
        event_base_loopexit(base, exit_after);
    start = now_ms();
    r = event_base_dispatch(base);
    *elapsed = now_ms() - start;
    CHECK_INT(calls, 2);
    CHECK_INT(ok_results, 2);
    CHECK_INT(rs.nqueries, 2);
    evdns_base_free(dns, 0);
    responder_close(&rs);
    return r;
}

int main(void)
{
    struct evdns_base *dns;
    struct sockaddr_in sin;
    struct timeval short_exit = {0, 300000};
    long long elapsed;

    test_begin("evdns_disable_when_inactive");

    /* idle evdns_base with the flag: nothing in the loop */
    base = event_base_new();
    REQUIRE(base != NULL);
    dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    REQUIRE(dns != NULL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons(9); /* never used */
    CHECK_INT(evdns_base_nameserver_sockaddr_add(dns,
        (struct sockaddr *)&sin, sizeof sin, 0), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    evdns_base_free(dns, 0);
    event_base_free(base);

    /* with the flag: dispatch ends by itself once the lookups are done (no
     * loopexit: a pending loopexit timer would itself keep the loop busy;
     * check.h's 10 s watchdog is the safety net) */
    base = event_base_new();
    REQUIRE(base != NULL);
    CHECK_INT(two_lookups(EVDNS_BASE_DISABLE_WHEN_INACTIVE, NULL,
        &elapsed), 1);
    CHECK(elapsed < 2000);
    event_base_free(base);

    /* without the flag: only the 300 ms loopexit ends it */
    base = event_base_new();
    REQUIRE(base != NULL);
    CHECK_INT(two_lookups(0, &short_exit, &elapsed), 0);
    CHECK(elapsed >= 240);
    event_base_free(base);

    return test_end();
}
