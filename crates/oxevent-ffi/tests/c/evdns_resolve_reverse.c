/*
 * Reverse lookups against a hand-written responder.
 * evdns_base_resolve_reverse(192.0.2.7) sends one PTR question (type 12,
 * class IN) for 7.2.0.192.in-addr.arpa (modulo 0x20 case);
 * evdns_base_resolve_reverse_ipv6(2001:db8::567:89ab) asks for the
 * ip6.arpa nibble name b.a.9.8.7.6.5.0.0.0...8.b.d.0.1.0.0.2.ip6.arpa.
 * The responder answers each with one PTR record (TTL 1234 / 77).  The
 * callback gets DNS_ERR_NONE, type DNS_PTR, count 1, that TTL, and
 * `addresses` is a char ** -- a pointer to one char * holding the target
 * name as a dotted string (no trailing dot), valid during the callback.
 */
#include <event2/event.h>
#include <event2/dns.h>
#include "dns_responder.h"

static struct event_base *base;
static int calls;
static int got_result[2], got_type[2], got_count[2], got_ttl[2];
static char got_name[2][256];
static struct responder rs;

static const char v6_name[] =
    "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
    "ip6.arpa";

static void handler(struct responder *r, const struct dns_query *q, void *arg)
{
    struct dns_reply rep;
    UNUSED(arg);
    CHECK_INT(q->qtype, DNS_T_PTR);
    CHECK_INT(q->qclass, 1);
    reply_init(&rep, q, DNS_RCODE_NOERROR);
    if (name_eq(q->name, "7.2.0.192.in-addr.arpa")) {
        reply_add_ptr(&rep, 1234, "seven.example.test");
    } else if (name_eq(q->name, v6_name)) {
        reply_add_ptr(&rep, 77, "six.example.test");
    } else {
        fprintf(stderr, "unexpected question %s\n", q->name);
        CHECK(!"unexpected question");
        reply_init(&rep, q, DNS_RCODE_NXDOMAIN);
    }
    REQUIRE(reply_send(r, &rep) == 0);
}

static void cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
    int i = *(int *)arg;
    calls++;
    got_result[i] = result;
    got_type[i] = type;
    got_count[i] = count;
    got_ttl[i] = ttl;
    if (result == DNS_ERR_NONE && addresses) {
        char **names = addresses;
        if (names[0])
            snprintf(got_name[i], sizeof got_name[i], "%s", names[0]);
    }
    if (calls == 2)
        event_base_loopexit(base, NULL);
}

int main(void)
{
    struct evdns_base *dns;
    struct timeval limit = {4, 0};
    struct in_addr in4;
    struct in6_addr in6;
    static int idx[2] = {0, 1};

    test_begin("evdns_resolve_reverse");
    base = event_base_new();
    REQUIRE(base != NULL);
    responder_open(&rs, base, handler, NULL);
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(responder_add_to(&rs, dns), 0);

    REQUIRE(inet_pton(AF_INET, "192.0.2.7", &in4) == 1);
    REQUIRE(inet_pton(AF_INET6, "2001:db8::567:89ab", &in6) == 1);
    CHECK(evdns_base_resolve_reverse(dns, &in4, 0, cb, &idx[0]) != NULL);
    CHECK(evdns_base_resolve_reverse_ipv6(dns, &in6, 0, cb, &idx[1])
        != NULL);
    CHECK_INT(calls, 0);

    event_base_loopexit(base, &limit);
    event_base_dispatch(base);

    CHECK_INT(calls, 2);
    CHECK_INT(rs.nqueries, 2);
    CHECK(name_eq(rs.log[0], "7.2.0.192.in-addr.arpa"));
    CHECK(name_eq(rs.log[1], v6_name));
    CHECK_INT(got_result[0], DNS_ERR_NONE);
    CHECK_INT(got_type[0], DNS_PTR);
    CHECK_INT(got_count[0], 1);
    CHECK_INT(got_ttl[0], 1234);
    CHECK_STR(got_name[0], "seven.example.test");
    CHECK_INT(got_result[1], DNS_ERR_NONE);
    CHECK_INT(got_type[1], DNS_PTR);
    CHECK_INT(got_count[1], 1);
    CHECK_INT(got_ttl[1], 77);
    CHECK_STR(got_name[1], "six.example.test");

    evdns_base_free(dns, 0);
    responder_close(&rs);
    event_base_free(base);
    return test_end();
}
