/*
 * A nameserver that never answers, with evdns_base_set_option(dns,
 * "timeout:", "0.2") and ("attempts:", "2") (option names carry the
 * colon; both return 0).  libevent sends the query, waits 200 ms,
 * retransmits it once (same name), waits another 200 ms and then calls
 * back with DNS_ERR_TIMEOUT, type 0, count 0, addresses NULL: 2 queries
 * in all, no sooner than ~400 ms (checked as >= 320 ms).  Bad values are
 * rejected with -1 ("timeout:" "abc", "attempts:" "x"); the option name
 * without the colon ("timeout") is accepted too.
 */
#include <event2/event.h>
#include <event2/dns.h>
#include "dns_responder.h"

static struct event_base *base;
static int calls, got_result, got_type, got_count;
static void *got_addresses;
static long long done_at;

static void cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
    UNUSED(arg);
    UNUSED(ttl);
    calls++;
    got_result = result;
    got_type = type;
    got_count = count;
    got_addresses = addresses;
    done_at = now_ms();
    event_base_loopexit(base, NULL);
}

int main(void)
{
    struct responder rs;
    struct evdns_base *dns;
    struct timeval limit = {4, 0};
    long long start;

    test_begin("evdns_timeout_attempts");
    base = event_base_new();
    REQUIRE(base != NULL);
    responder_open(&rs, base, NULL, NULL); /* never answers */
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(responder_add_to(&rs, dns), 0);

    CHECK_INT(evdns_base_set_option(dns, "timeout:", "abc"), -1);
    CHECK_INT(evdns_base_set_option(dns, "attempts:", "x"), -1);
    CHECK_INT(evdns_base_set_option(dns, "timeout", "0.2"), 0);
    CHECK_INT(evdns_base_set_option(dns, "timeout:", "0.2"), 0);
    CHECK_INT(evdns_base_set_option(dns, "attempts:", "2"), 0);

    start = now_ms();
    CHECK(evdns_base_resolve_ipv4(dns, "silent.example.test", 0, cb, NULL)
        != NULL);
    event_base_loopexit(base, &limit);
    event_base_dispatch(base);

    CHECK_INT(calls, 1);
    CHECK_INT(got_result, DNS_ERR_TIMEOUT);
    CHECK_INT(got_type, 0);
    CHECK_INT(got_count, 0);
    CHECK(got_addresses == NULL);
    CHECK_INT(rs.nqueries, 2);
    CHECK(name_eq(rs.log[0], "silent.example.test"));
    CHECK(name_eq(rs.log[1], "silent.example.test"));
    CHECK(done_at - start >= 320);
    CHECK(done_at - start < 2500);

    evdns_base_free(dns, 0);
    responder_close(&rs);
    event_base_free(base);
    return test_end();
}
