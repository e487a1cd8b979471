/*
 * 100 A lookups in flight at once, more than evdns's default max-inflight
 * of 64.  The responder holds every query without answering: after 200 ms
 * it has received exactly 64 (libevent sends 64 and queues the other 36),
 * all distinct names.  It then answers the held ones and, from then on,
 * every query at once, each name hN.example.test with 10.77.(N/256).(N%256)
 * -- as each lookup finishes libevent sends a queued one.  All 100
 * callbacks run exactly once with DNS_ERR_NONE, count 1 and the address
 * derived from their own name; the responder saw 100 queries in all.
 */
#include <event2/event.h>
#include <event2/dns.h>
#include "dns_responder.h"

#define N 100

static struct event_base *base;
static int calls[N], done, bad;
static struct dns_query held[N];
static int nheld, holding = 1;
static char slots[N]; /* &slots[i] is lookup i's arg */

static void answer(struct responder *r, const struct dns_query *q)
{
    struct dns_reply rep;
    char ip[32];
    int n = atoi(q->name + 1); /* "hN.example.test", h may be H */
    snprintf(ip, sizeof ip, "10.77.%d.%d", n / 256, n % 256);
    reply_init(&rep, q, DNS_RCODE_NOERROR);
    reply_add_a(&rep, 60, ip);
    REQUIRE(reply_send(r, &rep) == 0);
}

static void handler(struct responder *r, const struct dns_query *q, void *arg)
{
    UNUSED(arg);
    if (holding) {
        REQUIRE(nheld < N);
        held[nheld++] = *q;
        return;
    }
    answer(r, q);
}

static void cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
    int i = (int)((char *)arg - slots);
    struct in_addr want;
    char ip[32];
    UNUSED(type);
    UNUSED(ttl);
    calls[i]++;
    snprintf(ip, sizeof ip, "10.77.%d.%d", i / 256, i % 256);
    inet_pton(AF_INET, ip, &want);
    if (result != DNS_ERR_NONE || count != 1 ||
        memcmp(addresses, &want, sizeof want) != 0)
        bad++;
    if (++done == N)
        event_base_loopexit(base, NULL);
}

int main(void)
{
    struct responder rs;
    struct evdns_base *dns;
    struct timeval hold = {0, 200000}, limit = {4, 0};
    char name[64];
    int i, j, dup = 0;

    test_begin("evdns_many_lookups");
    base = event_base_new();
    REQUIRE(base != NULL);
    responder_open(&rs, base, handler, NULL);
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(responder_add_to(&rs, dns), 0);

    for (i = 0; i < N; i++) {
        snprintf(name, sizeof name, "h%d.example.test", i);
        CHECK(evdns_base_resolve_ipv4(dns, name, 0, cb, &slots[i]) != NULL);
    }
    event_base_loopexit(base, &hold);
    event_base_dispatch(base);
    CHECK_INT(nheld, 64);
    CHECK_INT(done, 0);
    for (i = 0; i < nheld; i++)
        for (j = i + 1; j < nheld; j++)
            if (name_eq(held[i].name, held[j].name))
                dup++;
    CHECK_INT(dup, 0);

    holding = 0;
    for (i = 0; i < nheld; i++)
        answer(&rs, &held[i]);
    event_base_loopexit(base, &limit);
    event_base_dispatch(base);

    CHECK_INT(done, N);
    CHECK_INT(bad, 0);
    for (i = 0; i < N; i++)
        CHECK_INT(calls[i], 1);
    CHECK_INT(rs.nqueries, N);

    evdns_base_free(dns, 0);
    responder_close(&rs);
    event_base_free(base);
    return test_end();
}
