/*
 * How evdns maps negative and error replies (one A lookup per case, each
 * on a fresh evdns_base with default options, against a hand-written
 * responder).  Every failure calls back with type 0, count 0 and
 * addresses NULL, from the loop:
 *  - rcode 3 (NXDOMAIN) -> DNS_ERR_NOTEXIST after 1 query; ttl 0, or with
 *    an SOA in the authority section min(SOA TTL, SOA minimum) (45);
 *  - rcode 0 with no answer -> DNS_ERR_NODATA (70) after 1 query; ttl 0,
 *    or min(SOA TTL, minimum) (30) with an SOA; an answer of the wrong
 *    type (AAAA for an A query) is also NODATA;
 *  - rcode 2 (SERVFAIL) is treated like a timeout: libevent retransmits at
 *    once, up to "attempts" (default 3) queries, then reports
 *    DNS_ERR_TIMEOUT (67) -- not DNS_ERR_SERVERFAILED -- without waiting
 *    for the 5 s timeout;
 *  - rcode 5 (REFUSED) -> DNS_ERR_REFUSED after 1 query (with a single
 *    nameserver there is nobody to reissue to); rcode 4 -> DNS_ERR_NOTIMPL
 *    (1 query); rcode 1 -> DNS_ERR_FORMAT (1 query); rcode 9 ->
 *    DNS_ERR_UNKNOWN (1 query); the TC bit -> DNS_ERR_TRUNCATED (1 query).
 */
#include <event2/event.h>
#include <event2/dns.h>
#include "dns_responder.h"

enum mode {
    NXDOMAIN_SOA, NXDOMAIN_BARE, NODATA_BARE, NODATA_SOA, NODATA_WRONGTYPE,
    SERVFAIL, REFUSED, NOTIMP, FORMERR, RCODE9, TRUNCATED
};

static struct event_base *base;
static enum mode mode;
static int calls, got_result, got_type, got_count, got_ttl;
static void *got_addresses;

static void handler(struct responder *r, const struct dns_query *q, void *arg)
{
    struct dns_reply rep;
    UNUSED(arg);
    switch (mode) {
    case NXDOMAIN_SOA:
        reply_init(&rep, q, DNS_RCODE_NXDOMAIN);
        reply_add_soa(&rep, 600, 45);
        break;
    case NXDOMAIN_BARE:
        reply_init(&rep, q, DNS_RCODE_NXDOMAIN);
        break;
    case NODATA_BARE:
        reply_init(&rep, q, DNS_RCODE_NOERROR);
        break;
    case NODATA_SOA:
        reply_init(&rep, q, DNS_RCODE_NOERROR);
        reply_add_soa(&rep, 30, 300);
        break;
    case NODATA_WRONGTYPE:
        reply_init(&rep, q, DNS_RCODE_NOERROR);
        reply_add_aaaa(&rep, 100, "2001:db8::9");
        break;
    case SERVFAIL:
        reply_init(&rep, q, DNS_RCODE_SERVFAIL);
        break;
    case REFUSED:
        reply_init(&rep, q, DNS_RCODE_REFUSED);
        break;
    case NOTIMP:
        reply_init(&rep, q, DNS_RCODE_NOTIMP);
        break;
    case FORMERR:
        reply_init(&rep, q, DNS_RCODE_FORMERR);
        break;
    case RCODE9:
        reply_init(&rep, q, 9);
        break;
    case TRUNCATED:
        reply_init(&rep, q, DNS_RCODE_NOERROR);
        reply_set_flags(&rep, 0x8000u | 0x0200u | 0x0100u | 0x0080u);
        break;
    }
    REQUIRE(reply_send(r, &rep) == 0);
}

static void cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
    UNUSED(arg);
    calls++;
    got_result = result;
    got_type = type;
    got_count = count;
    got_ttl = ttl;
    got_addresses = addresses;
    event_base_loopexit(base, NULL);
}

/* One lookup in mode m; checks the result and the number of queries. */
static void run(enum mode m, int want_result, int want_ttl, int want_queries)
{
    struct responder rs;
    struct evdns_base *dns;
    struct timeval limit = {3, 0};
    long long start;

    mode = m;
    calls = 0;
    got_result = got_type = got_count = got_ttl = -1;
    got_addresses = &calls;
    responder_open(&rs, base, handler, NULL);
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(responder_add_to(&rs, dns), 0);
    CHECK(evdns_base_resolve_ipv4(dns, "neg.example.test", 0, cb, NULL)
        != NULL);
    start = now_ms();
    event_base_loopexit(base, &limit);
    event_base_dispatch(base);
    if (calls != 1 || got_result != want_result || got_ttl != want_ttl ||
        rs.nqueries != want_queries)
        fprintf(stderr, "mode %d: calls %d result %d ttl %d queries %d\n",
            (int)m, calls, got_result, got_ttl, rs.nqueries);
    CHECK_INT(calls, 1);
    CHECK_INT(got_result, want_result);
    CHECK_INT(got_type, 0);
    CHECK_INT(got_count, 0);
    CHECK(got_addresses == NULL);
    CHECK_INT(got_ttl, want_ttl);
    CHECK_INT(rs.nqueries, want_queries);
    CHECK(now_ms() - start < 2000);
    evdns_base_free(dns, 0);
    responder_close(&rs);
}

int main(void)
{
    test_begin("evdns_nxdomain_nodata");
    base = event_base_new();
    REQUIRE(base != NULL);

    run(NXDOMAIN_SOA, DNS_ERR_NOTEXIST, 45, 1);
    run(NXDOMAIN_BARE, DNS_ERR_NOTEXIST, 0, 1);
    run(NODATA_BARE, DNS_ERR_NODATA, 0, 1);
    run(NODATA_SOA, DNS_ERR_NODATA, 30, 1);
    run(NODATA_WRONGTYPE, DNS_ERR_NODATA, 0, 1);
    run(SERVFAIL, DNS_ERR_TIMEOUT, 0, 3);
    run(REFUSED, DNS_ERR_REFUSED, 0, 1);
    run(NOTIMP, DNS_ERR_NOTIMPL, 0, 1);
    run(FORMERR, DNS_ERR_FORMAT, 0, 1);
    run(RCODE9, DNS_ERR_UNKNOWN, 0, 1);
    run(TRUNCATED, DNS_ERR_TRUNCATED, 0, 1);
    CHECK_INT(DNS_ERR_NODATA, 70);

    event_base_free(base);
    return test_end();
}
