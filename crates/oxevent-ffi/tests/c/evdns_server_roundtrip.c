/*
 * evdns's DNS server and resolver in one loop: a server port on a UDP
 * socket bound to 127.0.0.1, and an evdns_base that asks it.  The server
 * callback sees one question with its type, class IN and name (in the
 * resolver's 0x20 mixed case: compared ignoring case) and the requester's
 * address; it answers A (two addresses, TTL 120), AAAA, PTR (by in-addr
 * name), NXDOMAIN through evdns_server_request_respond's error, and drops
 * one request (that lookup times out: timeout 1 s, one attempt).
 * get_requesting_addr returns the address's length.  The resolver's
 * callbacks get what the server put in.  Closing the port
 * closes its socket (libevent 2.1.12 does).
 */
#include <event2/event.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/util.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include "check.h"

static int served, done;
static int a_ok, aaaa_ok, ptr_ok, nx_ok, drop_ok;

static void server_cb(struct evdns_server_request *req, void *arg)
{
    struct evdns_server_question *q;
    struct sockaddr_in from;
    UNUSED(arg);
    served++;
    CHECK_INT(req->nquestions, 1);
    q = req->questions[0];
    CHECK_INT(q->dns_question_class, EVDNS_CLASS_INET);
    CHECK_INT(evdns_server_request_get_requesting_addr(req,
        (struct sockaddr *)&from, sizeof from), (int)sizeof from);
    CHECK_INT(from.sin_family, AF_INET);
    CHECK(from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK_INT(evdns_server_request_get_requesting_addr(req,
        (struct sockaddr *)&from, 4), -1);
    if (!strcasecmp(q->name, "a.test")) {
        ev_uint32_t addrs[2];
        CHECK_INT(q->type, EVDNS_TYPE_A);
        addrs[0] = htonl(0x0a000001);
        addrs[1] = htonl(0x0a000002);
        CHECK_INT(evdns_server_request_add_a_reply(req, q->name, 2, addrs,
            120), 0);
        evdns_server_request_set_flags(req, EVDNS_FLAGS_AA);
        CHECK_INT(evdns_server_request_respond(req, 0), 0);
    } else if (!strcasecmp(q->name, "aaaa.test")) {
        unsigned char a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 9};
        CHECK_INT(q->type, EVDNS_TYPE_AAAA);
        CHECK_INT(evdns_server_request_add_aaaa_reply(req, q->name, 1, a6,
            30), 0);
        CHECK_INT(evdns_server_request_respond(req, 0), 0);
    } else if (!strcasecmp(q->name, "7.2.0.192.in-addr.arpa")) {
        CHECK_INT(q->type, EVDNS_TYPE_PTR);
        CHECK_INT(evdns_server_request_add_ptr_reply(req, NULL, q->name,
            "host.test", 60), 0);
        CHECK_INT(evdns_server_request_respond(req, 0), 0);
    } else if (!strcasecmp(q->name, "nx.test")) {
        CHECK_INT(evdns_server_request_respond(req, DNS_ERR_NOTEXIST), 0);
    } else {
        CHECK(!strcasecmp(q->name, "drop.test"));
        CHECK_INT(evdns_server_request_drop(req), 0);
    }
}

static void lookup_cb(int result, char type, int count, int ttl,
    void *addrs, void *arg)
{
    const char *what = arg;
    done++;
    if (!strcmp(what, "a")) {
        struct in_addr *in = addrs;
        a_ok = result == 0 && type == DNS_IPv4_A && count == 2 &&
            ttl == 120 && in[0].s_addr == htonl(0x0a000001) &&
            in[1].s_addr == htonl(0x0a000002);
    } else if (!strcmp(what, "aaaa")) {
        unsigned char *a6 = addrs;
        aaaa_ok = result == 0 && type == DNS_IPv6_AAAA && count == 1 &&
            ttl == 30 && a6[0] == 0x20 && a6[15] == 9;
    } else if (!strcmp(what, "ptr")) {
        char **name = addrs;
        ptr_ok = result == 0 && type == DNS_PTR && count == 1 &&
            ttl == 60 && !strcmp(*name, "host.test");
    } else if (!strcmp(what, "nx")) {
        nx_ok = result == DNS_ERR_NOTEXIST && count == 0;
    } else {
        drop_ok = result == DNS_ERR_TIMEOUT && count == 0;
    }
}

int main(void)
{
    struct event_base *base;
    struct evdns_base *dns;
    struct evdns_server_port *port;
    struct sockaddr_in sin;
    struct in_addr rev;
    socklen_t sl = sizeof sin;
    struct timeval tick = {0, 100000};
    int srv, i;

    test_begin("evdns_server_roundtrip");
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(srv >= 0);
    REQUIRE(bind(srv, (struct sockaddr *)&sin, sizeof sin) == 0);
    REQUIRE(getsockname(srv, (struct sockaddr *)&sin, &sl) == 0);
    REQUIRE(evutil_make_socket_nonblocking(srv) == 0);
    port = evdns_add_server_port_with_base(base, srv, 0, server_cb, NULL);
    REQUIRE(port != NULL);

    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(evdns_base_nameserver_sockaddr_add(dns,
        (struct sockaddr *)&sin, sizeof sin, 0), 0);
    CHECK_INT(evdns_base_set_option(dns, "timeout:", "1"), 0);
    CHECK_INT(evdns_base_set_option(dns, "attempts:", "1"), 0);
    CHECK(evdns_base_resolve_ipv4(dns, "a.test", 0, lookup_cb, "a") != NULL);
    CHECK(evdns_base_resolve_ipv6(dns, "aaaa.test", 0, lookup_cb, "aaaa") != NULL);
    rev.s_addr = htonl(0xc0000207);
    CHECK(evdns_base_resolve_reverse(dns, &rev, 0, lookup_cb, "ptr") != NULL);
    CHECK(evdns_base_resolve_ipv4(dns, "nx.test", 0, lookup_cb, "nx") != NULL);
    CHECK(evdns_base_resolve_ipv4(dns, "drop.test", 0, lookup_cb, "drop") != NULL);

    for (i = 0; i < 100 && done < 5; i++) {
        event_base_loopexit(base, &tick);
        event_base_dispatch(base);
    }
    CHECK_INT(done, 5);
    CHECK_INT(served, 5);
    CHECK(a_ok);
    CHECK(aaaa_ok);
    CHECK(ptr_ok);
    CHECK(nx_ok);
    CHECK(drop_ok);

    evdns_base_free(dns, 0);
    evdns_close_server_port(port);
    CHECK_INT(fcntl(srv, F_GETFD), -1);
    event_base_free(base);
    return test_end();
}
