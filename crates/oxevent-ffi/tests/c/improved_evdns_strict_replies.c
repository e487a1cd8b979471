/*
 * Improvement of ours (runs on oxevent only): replies that do not match
 * are dropped, never taken as the answer or as a failure.
 * Lookup 1: for its query the responder sends, in this order, (a) a reply
 * with the transaction id off by one, (b) a correct-looking reply whose QR
 * bit is clear (a query, not an answer), then (c) the right reply
 * (10.1.1.1).  libevent silently drops (a) and (b) and the callback gets
 * DNS_ERR_NONE with exactly the address of (c).
 * Lookup 2: the responder first sends a reply with the right id whose
 * question names another name, then the right reply: oxevent drops the
 * first and answers with the second (10.2.2.2).  libevent 2.1.12 fails
 * the lookup with DNS_ERR_UNKNOWN on the first, so whoever guesses a
 * transaction id can kill a lookup.
 * Lookup 3: the right reply sent from another port of 127.0.0.1 never
 * reaches the resolver (its socket is connected to the nameserver's
 * address and port), so the lookup times out (timeout 0.3 s, one
 * attempt).  libevent 2.1.12 compares addresses without the port and
 * takes it.
 */
#include <event2/event.h>
#include <event2/dns.h>
#include "dns_responder.h"

static struct event_base *base;
static int calls[3], got_result[3], got_count[3];
static struct in_addr got_addr[3];
static void *got_addresses[3];
static int finished;

static void handler(struct responder *r, const struct dns_query *q, void *arg)
{
    struct dns_reply rep;
    UNUSED(arg);
    if (name_eq(q->name, "one.example.test")) {
        reply_init(&rep, q, DNS_RCODE_NOERROR);
        reply_add_a(&rep, 60, "10.6.6.6");
        reply_set_id(&rep, q->id + 1);
        REQUIRE(reply_send(r, &rep) == 0);
        reply_set_id(&rep, q->id);
        reply_set_flags(&rep, 0x0100);
        REQUIRE(reply_send(r, &rep) == 0);
        reply_init(&rep, q, DNS_RCODE_NOERROR);
        reply_add_a(&rep, 60, "10.1.1.1");
        REQUIRE(reply_send(r, &rep) == 0);
    } else if (name_eq(q->name, "two.example.test")) {
        reply_init_name(&rep, q, DNS_RCODE_NOERROR, "other.example.test");
        reply_add_a(&rep, 60, "10.8.8.8");
        REQUIRE(reply_send(r, &rep) == 0);
        reply_init(&rep, q, DNS_RCODE_NOERROR);
        reply_add_a(&rep, 60, "10.2.2.2");
        REQUIRE(reply_send(r, &rep) == 0);
    } else if (name_eq(q->name, "three.example.test")) {
        reply_init(&rep, q, DNS_RCODE_NOERROR);
        reply_add_a(&rep, 60, "10.7.7.7");
        REQUIRE(reply_send_from_other(&rep) == 0);
    } else {
        CHECK(!"unexpected question");
    }
}

static void cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
    int i = *(int *)arg;
    UNUSED(type);
    UNUSED(ttl);
    calls[i]++;
    got_result[i] = result;
    got_count[i] = count;
    got_addresses[i] = addresses;
    if (result == DNS_ERR_NONE && count >= 1)
        memcpy(&got_addr[i], addresses, sizeof(struct in_addr));
    finished++;
}

static void run_until(int n)
{
    struct timeval tick = {0, 20000};
    long long start = now_ms();
    while (finished < n && now_ms() - start < 3000) {
        event_base_loopexit(base, &tick);
        event_base_dispatch(base);
    }
}

int main(void)
{
    struct responder rs;
    struct evdns_base *dns;
    struct timeval settle = {0, 200000};
    static int idx[3] = {0, 1, 2};
    char buf[INET_ADDRSTRLEN];

    test_begin("improved_evdns_strict_replies");
    base = event_base_new();
    REQUIRE(base != NULL);
    responder_open(&rs, base, handler, NULL);
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(responder_add_to(&rs, dns), 0);

    CHECK(evdns_base_resolve_ipv4(dns, "one.example.test", 0, cb, &idx[0])
        != NULL);
    run_until(1);
    CHECK_INT(calls[0], 1);
    CHECK_INT(got_result[0], DNS_ERR_NONE);
    CHECK_INT(got_count[0], 1);
    CHECK_STR(inet_ntop(AF_INET, &got_addr[0], buf, sizeof buf), "10.1.1.1");

    CHECK(evdns_base_resolve_ipv4(dns, "two.example.test", 0, cb, &idx[1])
        != NULL);
    run_until(2);
    /* give the right reply time to arrive and be ignored */
    event_base_loopexit(base, &settle);
    event_base_dispatch(base);
    CHECK_INT(calls[1], 1);
    CHECK_INT(got_result[1], DNS_ERR_NONE);
    CHECK_INT(got_count[1], 1);
    CHECK_STR(inet_ntop(AF_INET, &got_addr[1], buf, sizeof buf), "10.2.2.2");
    CHECK_INT(rs.nqueries, 2);
    CHECK_INT(calls[0], 1);

    CHECK_INT(evdns_base_set_option(dns, "timeout:", "0.3"), 0);
    CHECK_INT(evdns_base_set_option(dns, "attempts:", "1"), 0);
    CHECK(evdns_base_resolve_ipv4(dns, "three.example.test", 0, cb, &idx[2])
        != NULL);
    run_until(3);
    CHECK_INT(calls[2], 1);
    CHECK_INT(got_result[2], DNS_ERR_TIMEOUT);
    CHECK_INT(got_count[2], 0);
    CHECK_INT(rs.nqueries, 3);

    evdns_base_free(dns, 0);
    responder_close(&rs);
    event_base_free(base);
    return test_end();
}
