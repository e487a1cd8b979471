/*
 * evdns_base_resolve_ipv6 against a hand-written responder: the query is
 * one AAAA question (type 28, class IN) for the name asked (modulo 0x20
 * case); the reply carries an A record first (which an AAAA lookup skips)
 * then three AAAA records with TTLs 500, 90 and 700.  libevent calls back
 * once, from the loop, with DNS_ERR_NONE, type DNS_IPv6_AAAA, count 3, the
 * in6_addr array in answer order (the A record ignored), ttl 90 (the
 * smallest TTL among the AAAA records it used) and the user arg.
 */
#include <event2/event.h>
#include <event2/dns.h>
#include "dns_responder.h"

static struct event_base *base;
static int calls, inside_resolve, called_inside;
static int got_result, got_type, got_count, got_ttl;
static void *got_arg;
static struct in6_addr got_addrs[4];
static struct responder rs;

static void handler(struct responder *r, const struct dns_query *q, void *arg)
{
    struct dns_reply rep;
    UNUSED(arg);
    CHECK_INT(q->qtype, DNS_T_AAAA);
    CHECK_INT(q->qclass, 1);
    CHECK(name_eq(q->name, "v6.example.test"));
    reply_init(&rep, q, DNS_RCODE_NOERROR);
    reply_add_a(&rep, 10, "10.9.9.9");
    reply_add_aaaa(&rep, 500, "2001:db8::1");
    reply_add_aaaa(&rep, 90, "2001:db8::2:0:0:5");
    reply_add_aaaa(&rep, 700, "fe80::abcd");
    REQUIRE(reply_send(r, &rep) == 0);
}

static void cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
    calls++;
    called_inside = inside_resolve;
    got_result = result;
    got_type = type;
    got_count = count;
    got_ttl = ttl;
    got_arg = arg;
    if (result == DNS_ERR_NONE && addresses && count > 0 && count <= 4)
        memcpy(got_addrs, addresses, sizeof(struct in6_addr) * count);
    event_base_loopexit(base, NULL);
}

int main(void)
{
    struct evdns_base *dns;
    struct timeval limit = {4, 0};
    int marker = 7;
    char buf[INET6_ADDRSTRLEN];

    test_begin("evdns_resolve_ipv6");
    base = event_base_new();
    REQUIRE(base != NULL);
    responder_open(&rs, base, handler, NULL);
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(responder_add_to(&rs, dns), 0);

    inside_resolve = 1;
    CHECK(evdns_base_resolve_ipv6(dns, "v6.example.test", 0, cb, &marker)
        != NULL);
    inside_resolve = 0;
    CHECK_INT(calls, 0);

    event_base_loopexit(base, &limit);
    event_base_dispatch(base);

    CHECK_INT(calls, 1);
    CHECK_INT(called_inside, 0);
    CHECK_INT(rs.nqueries, 1);
    CHECK_INT(got_result, DNS_ERR_NONE);
    CHECK_INT(got_type, DNS_IPv6_AAAA);
    CHECK_INT(got_count, 3);
    CHECK_INT(got_ttl, 90);
    CHECK(got_arg == &marker);
    CHECK_STR(inet_ntop(AF_INET6, &got_addrs[0], buf, sizeof buf),
        "2001:db8::1");
    CHECK_STR(inet_ntop(AF_INET6, &got_addrs[1], buf, sizeof buf),
        "2001:db8::2:0:0:5");
    CHECK_STR(inet_ntop(AF_INET6, &got_addrs[2], buf, sizeof buf),
        "fe80::abcd");

    evdns_base_free(dns, 0);
    responder_close(&rs);
    event_base_free(base);
    return test_end();
}
