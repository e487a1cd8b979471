/*
 * evdns_getaddrinfo beyond the basics (a responder in the same loop):
 *  - AF_UNSPEC with SOCK_STREAM asks A and AAAA and gives one list with
 *    the IPv4 address first, then the IPv6 one;
 *  - a name from a hosts file loaded with evdns_base_load_hosts is
 *    answered before the call returns (NULL returned), no query sent;
 *  - evdns_getaddrinfo_cancel: the callback runs once, from the loop (not
 *    inside the cancel call), with EVUTIL_EAI_CANCEL and NULL;
 *  - a service name ("http") gives port 80; an unknown service gives
 *    EVUTIL_EAI_NONAME at once (libevent 2.1.12's answer);
 *  - NXDOMAIN for both families gives EVUTIL_EAI_NONAME.
 */
#include <event2/event.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include "dns_responder.h"

static struct event_base *base;
static int calls[6], codes[6], in_cancel;
static struct evutil_addrinfo *lists[6];

static void handler(struct responder *r, const struct dns_query *q, void *arg)
{
    struct dns_reply rep;
    UNUSED(arg);
    if (name_eq(q->name, "nx.test")) {
        reply_init(&rep, q, DNS_RCODE_NXDOMAIN);
    } else {
        reply_init(&rep, q, DNS_RCODE_NOERROR);
        if (q->qtype == DNS_T_A)
            reply_add_a(&rep, 60, "10.3.3.3");
        else
            reply_add_aaaa(&rep, 60, "2001:db8::3");
    }
    REQUIRE(reply_send(r, &rep) == 0);
}

static void cb(int result, struct evutil_addrinfo *res, void *arg)
{
    int i = *(int *)arg;
    calls[i]++;
    codes[i] = result;
    lists[i] = res;
    if (i == 2)
        CHECK(!in_cancel);
}

static void run_until(int *flag)
{
    struct timeval tick = {0, 20000};
    long long start = now_ms();
    while (!*flag && now_ms() - start < 3000) {
        event_base_loopexit(base, &tick);
        event_base_dispatch(base);
    }
}

int main(void)
{
    struct responder rs;
    struct evdns_base *dns;
    struct evutil_addrinfo hints, *ai;
    struct evdns_getaddrinfo_request *req;
    static int idx[6] = {0, 1, 2, 3, 4, 5};
    char path[64];
    FILE *f;
    int n;

    test_begin("evdns_getaddrinfo_cases");
    base = event_base_new();
    REQUIRE(base != NULL);
    responder_open(&rs, base, handler, NULL);
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(responder_add_to(&rs, dns), 0);

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    req = evdns_getaddrinfo(dns, "both.test", "80", &hints, cb, &idx[0]);
    CHECK(req != NULL);
    run_until(&calls[0]);
    CHECK_INT(calls[0], 1);
    CHECK_INT(codes[0], 0);
    n = 0;
    for (ai = lists[0]; ai; ai = ai->ai_next, n++) {
        CHECK_INT(ai->ai_socktype, SOCK_STREAM);
        CHECK_INT(ai->ai_family, n == 0 ? AF_INET : AF_INET6);
    }
    CHECK_INT(n, 2);
    evutil_freeaddrinfo(lists[0]);
    CHECK_INT(rs.nqueries, 2);

    snprintf(path, sizeof path, "/tmp/evdns-hosts-%ld", (long)getpid());
    f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs("# test hosts\n192.0.2.44 printer.test printer\n", f);
    fclose(f);
    CHECK_INT(evdns_base_load_hosts(dns, path), 0);
    unlink(path);
    hints.ai_family = AF_INET;
    req = evdns_getaddrinfo(dns, "PRINTER", "http", &hints, cb, &idx[1]);
    CHECK(req == NULL);
    CHECK_INT(calls[1], 1);
    CHECK_INT(codes[1], 0);
    REQUIRE(lists[1] != NULL);
    CHECK(((struct sockaddr_in *)lists[1]->ai_addr)->sin_addr.s_addr ==
        htonl(0xc000022c));
    CHECK_INT(ntohs(((struct sockaddr_in *)lists[1]->ai_addr)->sin_port), 80);
    CHECK(lists[1]->ai_next == NULL);
    evutil_freeaddrinfo(lists[1]);
    CHECK_INT(rs.nqueries, 2);

    req = evdns_getaddrinfo(dns, "late.test", "80", &hints, cb, &idx[2]);
    CHECK(req != NULL);
    in_cancel = 1;
    evdns_getaddrinfo_cancel(req);
    in_cancel = 0;
    CHECK_INT(calls[2], 0);
    {
        struct timeval t = {0, 200000};
        event_base_loopexit(base, &t);
        event_base_dispatch(base);
    }
    CHECK_INT(calls[2], 1);
    CHECK_INT(codes[2], EVUTIL_EAI_CANCEL);
    CHECK(lists[2] == NULL);

    req = evdns_getaddrinfo(dns, "svc.test", "no-such-service-xyz", &hints,
        cb, &idx[3]);
    CHECK(req == NULL);
    CHECK_INT(calls[3], 1);
    CHECK_INT(codes[3], EVUTIL_EAI_NONAME);
    CHECK(lists[3] == NULL);

    hints.ai_family = AF_UNSPEC;
    req = evdns_getaddrinfo(dns, "nx.test", "80", &hints, cb, &idx[4]);
    CHECK(req != NULL);
    run_until(&calls[4]);
    CHECK_INT(calls[4], 1);
    CHECK_INT(codes[4], EVUTIL_EAI_NONAME);
    CHECK(lists[4] == NULL);

    evdns_base_free(dns, 0);
    responder_close(&rs);
    event_base_free(base);
    return test_end();
}
