/*
 * evdns_cancel_request on a pending A lookup (its query already sent, the
 * responder holding it).  libevent does not run the callback inside
 * evdns_cancel_request: it is deferred and runs once from the next loop
 * iteration with DNS_ERR_CANCEL (69), type 0, count 0, addresses NULL and
 * the user arg.  When the responder later answers the cancelled query,
 * the reply is ignored (no second callback).  A second lookup issued
 * after the cancel on the same evdns_base still resolves normally.
 */
#include <event2/event.h>
#include <event2/dns.h>
#include "dns_responder.h"

static struct event_base *base;
static int calls[2], got_result[2], got_type[2], got_count[2];
static void *got_addresses[2], *got_arg[2];
static int inside_cancel, called_inside_cancel;
static struct dns_query held;
static int have_held;
static struct responder rs;

static void handler(struct responder *r, const struct dns_query *q, void *arg)
{
    struct dns_reply rep;
    UNUSED(arg);
    if (name_eq(q->name, "slow.example.test")) {
        held = *q; /* answered later, after the cancel */
        have_held = 1;
        return;
    }
    reply_init(&rep, q, DNS_RCODE_NOERROR);
    reply_add_a(&rep, 60, "10.3.3.3");
    REQUIRE(reply_send(r, &rep) == 0);
}

static void cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
    int i = *(int *)arg;
    UNUSED(ttl);
    calls[i]++;
    if (inside_cancel)
        called_inside_cancel = 1;
    got_result[i] = result;
    got_type[i] = type;
    got_count[i] = count;
    got_addresses[i] = addresses;
    got_arg[i] = arg;
}

static void run_ms(long ms)
{
    struct timeval tv;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

int main(void)
{
    struct evdns_base *dns;
    struct evdns_request *req;
    static int idx[2] = {0, 1};
    struct dns_reply rep;

    test_begin("evdns_cancel");
    base = event_base_new();
    REQUIRE(base != NULL);
    responder_open(&rs, base, handler, NULL);
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(responder_add_to(&rs, dns), 0);

    req = evdns_base_resolve_ipv4(dns, "slow.example.test", 0, cb, &idx[0]);
    REQUIRE(req != NULL);
    run_ms(100);
    CHECK_INT(have_held, 1);
    CHECK_INT(calls[0], 0);

    inside_cancel = 1;
    evdns_cancel_request(dns, req);
    inside_cancel = 0;
    CHECK_INT(called_inside_cancel, 0);
    CHECK_INT(calls[0], 0);

    /* now answer the cancelled query: it must be ignored */
    if (have_held) {
        reply_init(&rep, &held, DNS_RCODE_NOERROR);
        reply_add_a(&rep, 60, "10.9.9.9");
        REQUIRE(reply_send(&rs, &rep) == 0);
    }
    run_ms(150);
    CHECK_INT(calls[0], 1);
    CHECK_INT(got_result[0], DNS_ERR_CANCEL);
    CHECK_INT(got_type[0], 0);
    CHECK_INT(got_count[0], 0);
    CHECK(got_addresses[0] == NULL);
    CHECK(got_arg[0] == &idx[0]);

    CHECK(evdns_base_resolve_ipv4(dns, "fast.example.test", 0, cb, &idx[1])
        != NULL);
    run_ms(150);
    CHECK_INT(calls[1], 1);
    CHECK_INT(got_result[1], DNS_ERR_NONE);
    CHECK_INT(got_count[1], 1);
    CHECK_INT(calls[0], 1);
    CHECK_INT(rs.nqueries, 2);

    evdns_base_free(dns, 0);
    responder_close(&rs);
    event_base_free(base);
    return test_end();
}
