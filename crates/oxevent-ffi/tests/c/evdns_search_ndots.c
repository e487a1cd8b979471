/*
 * The search list.  evdns_base_search_add("a.test") then ("b.test"), and
 * evdns_base_search_ndots_set(dns, 1).  Surprise: libevent keeps the list
 * in REVERSE order of the adds (each add pushes at the front), so the
 * last domain added is tried first.  The responder answers NXDOMAIN to
 * everything except the names it is told to answer, and logs the names.
 *  - "www" (0 dots < ndots): www.b.test, www.a.test, then the bare "www"
 *    (answered, 10.4.4.4): DNS_ERR_NONE, 3 queries in that order.
 *  - "x.y" (1 dot >= ndots): "x.y" first, then x.y.b.test, x.y.a.test,
 *    all NXDOMAIN: DNS_ERR_NOTEXIST after 3 queries (the bare name is not
 *    asked again).
 *  - "www" with DNS_QUERY_NO_SEARCH: only "www" (answered) is asked.
 *  - NODATA also moves on to the next domain: "nd" gets NODATA for
 *    nd.b.test, then nd.a.test is answered (10.5.5.5): 2 queries.
 *  - after evdns_base_search_clear, "www" asks only "www".
 */
#include <event2/event.h>
#include <event2/dns.h>
#include "dns_responder.h"

static struct event_base *base;
static int calls, got_result, got_count;
static struct in_addr got_addr;

static void handler(struct responder *r, const struct dns_query *q, void *arg)
{
    struct dns_reply rep;
    UNUSED(arg);
    if (name_eq(q->name, "www")) {
        reply_init(&rep, q, DNS_RCODE_NOERROR);
        reply_add_a(&rep, 60, "10.4.4.4");
    } else if (name_eq(q->name, "nd.b.test")) {
        reply_init(&rep, q, DNS_RCODE_NOERROR);
    } else if (name_eq(q->name, "nd.a.test")) {
        reply_init(&rep, q, DNS_RCODE_NOERROR);
        reply_add_a(&rep, 60, "10.5.5.5");
    } else {
        reply_init(&rep, q, DNS_RCODE_NXDOMAIN);
    }
    REQUIRE(reply_send(r, &rep) == 0);
}

static void cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
    UNUSED(type);
    UNUSED(ttl);
    UNUSED(arg);
    calls++;
    got_result = result;
    got_count = count;
    if (result == DNS_ERR_NONE && count >= 1)
        memcpy(&got_addr, addresses, sizeof got_addr);
    event_base_loopexit(base, NULL);
}

static void lookup(struct evdns_base *dns, const char *name, int flags)
{
    struct timeval limit = {3, 0};
    calls = 0;
    got_result = got_count = -1;
    memset(&got_addr, 0, sizeof got_addr);
    CHECK(evdns_base_resolve_ipv4(dns, name, flags, cb, NULL) != NULL);
    event_base_loopexit(base, &limit);
    event_base_dispatch(base);
    CHECK_INT(calls, 1);
}

int main(void)
{
    struct responder rs;
    struct evdns_base *dns;
    char buf[INET_ADDRSTRLEN];
    int i;

    test_begin("evdns_search_ndots");
    base = event_base_new();
    REQUIRE(base != NULL);
    responder_open(&rs, base, handler, NULL);
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(responder_add_to(&rs, dns), 0);
    evdns_base_search_add(dns, "a.test");
    evdns_base_search_add(dns, "b.test");
    evdns_base_search_ndots_set(dns, 1);

    lookup(dns, "www", 0);
    CHECK_INT(got_result, DNS_ERR_NONE);
    CHECK_INT(got_count, 1);
    CHECK_STR(inet_ntop(AF_INET, &got_addr, buf, sizeof buf), "10.4.4.4");
    CHECK_INT(rs.nqueries, 3);
    CHECK(name_eq(rs.log[0], "www.b.test"));
    CHECK(name_eq(rs.log[1], "www.a.test"));
    CHECK(name_eq(rs.log[2], "www"));

    lookup(dns, "x.y", 0);
    CHECK_INT(got_result, DNS_ERR_NOTEXIST);
    CHECK_INT(got_count, 0);
    CHECK_INT(rs.nqueries, 6);
    CHECK(name_eq(rs.log[3], "x.y"));
    CHECK(name_eq(rs.log[4], "x.y.b.test"));
    CHECK(name_eq(rs.log[5], "x.y.a.test"));

    lookup(dns, "www", DNS_QUERY_NO_SEARCH);
    CHECK_INT(got_result, DNS_ERR_NONE);
    CHECK_INT(rs.nqueries, 7);
    CHECK(name_eq(rs.log[6], "www"));

    lookup(dns, "nd", 0);
    CHECK_INT(got_result, DNS_ERR_NONE);
    CHECK_STR(inet_ntop(AF_INET, &got_addr, buf, sizeof buf), "10.5.5.5");
    CHECK_INT(rs.nqueries, 9);
    CHECK(name_eq(rs.log[7], "nd.b.test"));
    CHECK(name_eq(rs.log[8], "nd.a.test"));

    evdns_base_search_clear(dns);
    lookup(dns, "www", 0);
    CHECK_INT(got_result, DNS_ERR_NONE);
    CHECK_INT(rs.nqueries, 10);
    CHECK(name_eq(rs.log[9], "www"));

    for (i = 0; i < rs.nqueries && i < 10; i++)
        CHECK_INT(rs.logtype[i], DNS_T_A);

    evdns_base_free(dns, 0);
    responder_close(&rs);
    event_base_free(base);
    return test_end();
}
