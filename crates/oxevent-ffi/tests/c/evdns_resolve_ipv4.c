/*
 * evdns_base_resolve_ipv4 against a hand-written responder that answers
 * the A question with two A records, TTL 300 (10.0.0.1) then TTL 60
 * (10.0.0.2).  libevent sends one query (type A, class IN, RD set) and
 * calls back once with DNS_ERR_NONE, type DNS_IPv4_A, count 2, the
 * in_addr array in answer order, ttl = the SMALLEST record TTL (60) and
 * the user arg.  The callback never runs inside evdns_base_resolve_ipv4
 * (libevent defers it to the loop), even though the query is sent from
 * inside that call.  The query name is the one asked, modulo 0x20 case.
 */
#include <event2/event.h>
#include <event2/dns.h>
#include "dns_responder.h"

static struct event_base *base;
static int calls, inside_resolve, called_inside;
static int got_result, got_type, got_count, got_ttl;
static void *got_arg;
static struct in_addr got_addrs[4];
static struct responder rs;

static void handler(struct responder *r, const struct dns_query *q, void *arg)
{
    struct dns_reply rep;
    UNUSED(arg);
    CHECK_INT(q->qtype, DNS_T_A);
    CHECK_INT(q->qclass, 1);
    CHECK_INT(q->flags & 0x0100, 0x0100); /* RD */
    CHECK(name_eq(q->name, "host.example.test"));
    reply_init(&rep, q, DNS_RCODE_NOERROR);
    reply_add_a(&rep, 300, "10.0.0.1");
    reply_add_a(&rep, 60, "10.0.0.2");
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
        memcpy(got_addrs, addresses, sizeof(struct in_addr) * count);
    event_base_loopexit(base, NULL);
}

int main(void)
{
    struct evdns_base *dns;
    struct evdns_request *req;
    struct timeval limit = {4, 0};
    int marker = 42;
    char buf[INET_ADDRSTRLEN];

    test_begin("evdns_resolve_ipv4");
    base = event_base_new();
    REQUIRE(base != NULL);
    responder_open(&rs, base, handler, NULL);
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(responder_add_to(&rs, dns), 0);

    inside_resolve = 1;
    req = evdns_base_resolve_ipv4(dns, "host.example.test", 0, cb, &marker);
    inside_resolve = 0;
    CHECK(req != NULL);
    CHECK_INT(calls, 0);
    {
        /* the query is already on the responder's socket */
        unsigned char peek[64];
        CHECK(recv(rs.fd, peek, sizeof peek, MSG_PEEK) >= 12);
    }

    event_base_loopexit(base, &limit);
    event_base_dispatch(base);

    CHECK_INT(calls, 1);
    CHECK_INT(called_inside, 0);
    CHECK_INT(rs.nqueries, 1);
    CHECK_INT(got_result, DNS_ERR_NONE);
    CHECK_INT(got_type, DNS_IPv4_A);
    CHECK_INT(got_count, 2);
    CHECK_INT(got_ttl, 60);
    CHECK(got_arg == &marker);
    CHECK_STR(inet_ntop(AF_INET, &got_addrs[0], buf, sizeof buf), "10.0.0.1");
    CHECK_STR(inet_ntop(AF_INET, &got_addrs[1], buf, sizeof buf), "10.0.0.2");

    evdns_base_free(dns, 0);
    responder_close(&rs);
    event_base_free(base);
    return test_end();
}
