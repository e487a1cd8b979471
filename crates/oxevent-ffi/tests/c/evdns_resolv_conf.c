/*
 * evdns_base_resolv_conf_parse on files written by the test:
 *  - nameserver lines (with and without a port) -> 0, both counted, the
 *    first at index 0;
 *  - search and options ndots:/timeout: -> 0; the search list keeps the
 *    file's order (a responder sees x.y.a.test, x.y.b.test, then x.y for
 *    "x.y" with ndots 2);
 *  - a missing file -> 1 (and with DNS_OPTION_NAMESERVERS on a base
 *    without nameservers, 127.0.0.1 is added);
 *  - a file with no nameserver on a fresh base -> 6 and one nameserver
 *    (127.0.0.1:53); with DNS_OPTION_NAMESERVERS_NO_DEFAULT -> 0 and none.
 */
#include <event2/event.h>
#include <event2/dns.h>
#include <stdio.h>
#include "dns_responder.h"

static struct event_base *base;
static int done;

static void handler(struct responder *r, const struct dns_query *q, void *arg)
{
    struct dns_reply rep;
    UNUSED(arg);
    reply_init(&rep, q, DNS_RCODE_NXDOMAIN);
    REQUIRE(reply_send(r, &rep) == 0);
}

static void cb(int result, char type, int count, int ttl, void *a, void *arg)
{
    UNUSED(type);
    UNUSED(count);
    UNUSED(ttl);
    UNUSED(a);
    UNUSED(arg);
    CHECK_INT(result, DNS_ERR_NOTEXIST);
    done++;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs(text, f);
    fclose(f);
}

int main(void)
{
    struct responder rs;
    struct evdns_base *dns;
    char path[64], text[256];
    struct sockaddr_in sin;
    long long start;

    test_begin("evdns_resolv_conf");
    base = event_base_new();
    REQUIRE(base != NULL);
    responder_open(&rs, base, handler, NULL);
    snprintf(path, sizeof path, "/tmp/evdns-resolv-%ld", (long)getpid());

    snprintf(text, sizeof text,
        "# test\nnameserver 127.0.0.1:%d\nnameserver 127.0.0.9\n", rs.port);
    write_file(path, text);
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(evdns_base_resolv_conf_parse(dns, DNS_OPTIONS_ALL, path), 0);
    CHECK_INT(evdns_base_count_nameservers(dns), 2);
    CHECK_INT(evdns_base_get_nameserver_addr(dns, 0, (struct sockaddr *)&sin,
        sizeof sin), (int)sizeof sin);
    CHECK_INT(ntohs(sin.sin_port), rs.port);
    evdns_base_free(dns, 0);

    snprintf(text, sizeof text, "nameserver 127.0.0.1:%d\n"
        "search a.test b.test\noptions ndots:2 timeout:3\n", rs.port);
    write_file(path, text);
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(evdns_base_resolv_conf_parse(dns, DNS_OPTIONS_ALL, path), 0);
    /* ndots 2: "x.y" has one dot, so the search list comes first. */
    CHECK(evdns_base_resolve_ipv4(dns, "x.y", 0, cb, NULL) != NULL);
    start = now_ms();
    while (!done && now_ms() - start < 3000) {
        struct timeval tick = {0, 20000};
        event_base_loopexit(base, &tick);
        event_base_dispatch(base);
    }
    CHECK_INT(done, 1);
    CHECK_INT(rs.nqueries, 3);
    CHECK(name_eq(rs.log[0], "x.y.a.test"));
    CHECK(name_eq(rs.log[1], "x.y.b.test"));
    CHECK(name_eq(rs.log[2], "x.y"));
    evdns_base_free(dns, 0);

    unlink(path);
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(evdns_base_resolv_conf_parse(dns, DNS_OPTION_NAMESERVERS,
        path), 1);
    CHECK_INT(evdns_base_count_nameservers(dns), 1);
    evdns_base_free(dns, 0);

    write_file(path, "search only.test\n");
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(evdns_base_resolv_conf_parse(dns, DNS_OPTIONS_ALL, path), 6);
    CHECK_INT(evdns_base_count_nameservers(dns), 1);
    CHECK_INT(evdns_base_get_nameserver_addr(dns, 0, (struct sockaddr *)&sin,
        sizeof sin), (int)sizeof sin);
    CHECK(sin.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK_INT(ntohs(sin.sin_port), 53);
    evdns_base_free(dns, 0);

    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    CHECK_INT(evdns_base_resolv_conf_parse(dns,
        DNS_OPTIONS_ALL | DNS_OPTION_NAMESERVERS_NO_DEFAULT, path), 0);
    CHECK_INT(evdns_base_count_nameservers(dns), 0);
    evdns_base_free(dns, 0);
    unlink(path);

    responder_close(&rs);
    event_base_free(base);
    return test_end();
}
