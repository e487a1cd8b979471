/*
 * Nameserver management on evdns_base_new(base, 0) (starts with none).
 *  - evdns_base_nameserver_sockaddr_add(responder) returns 0; adding the
 *    same address again as "127.0.0.1:PORT" returns 3 (duplicate, not
 *    added); "127.0.0.2" (no port: 53 is used) and "127.0.0.3:5353" return
 *    0; garbage ("not-an-ip", "") returns 4 -- not -1 -- and adds nothing.
 *    evdns_base_count_nameservers follows: 0, 1, 1, 2, 3, 3.
 *  - evdns_base_get_nameserver_addr(idx) returns the address length (16
 *    for IPv4) and copies the sockaddr; surprise: the order is not the
 *    order of the adds -- each new server goes right after the list head,
 *    so after A, B, C the indexes are A, C, B; with len too small it
 *    returns the needed length (16) and copies nothing; idx past the end
 *    returns -1; a negative idx is treated as 0.
 *  - evdns_base_clear_nameservers_and_suspend (returns 0) drops every
 *    server (count 0) and suspends the in-flight lookup L1 (its query was
 *    sent and never answered); a lookup L2 issued afterwards just waits:
 *    no callback and no query for 150 ms, nor after re-adding a server;
 *    evdns_base_resume (returns 0) then sends L1 again (first) and L2 to
 *    the new server and both complete with DNS_ERR_NONE.
 */
#include <event2/event.h>
#include <event2/dns.h>
#include "dns_responder.h"

static struct event_base *base;
static int calls[2], got_result[2];
static int first_query_seen;

static void handler(struct responder *r, const struct dns_query *q, void *arg)
{
    struct dns_reply rep;
    UNUSED(arg);
    if (!first_query_seen) {
        first_query_seen = 1; /* hold L1's first query forever */
        return;
    }
    reply_init(&rep, q, DNS_RCODE_NOERROR);
    reply_add_a(&rep, 60, "10.2.3.4");
    REQUIRE(reply_send(r, &rep) == 0);
}

static void cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
    int i = *(int *)arg;
    UNUSED(type);
    UNUSED(count);
    UNUSED(ttl);
    UNUSED(addresses);
    calls[i]++;
    got_result[i] = result;
    if (calls[0] && calls[1])
        event_base_loopexit(base, NULL);
}

static void run_ms(long ms)
{
    struct timeval tv;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

static int addr_is(const struct sockaddr_storage *ss, const char *ip,
    int port)
{
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    char buf[INET_ADDRSTRLEN];
    if (sin->sin_family != AF_INET)
        return 0;
    if (!inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf))
        return 0;
    return strcmp(buf, ip) == 0 && ntohs(sin->sin_port) == port;
}

int main(void)
{
    struct responder rs;
    struct evdns_base *dns;
    struct sockaddr_storage ss;
    char spec[64];
    static int idx[2] = {0, 1};

    test_begin("evdns_nameservers");
    base = event_base_new();
    REQUIRE(base != NULL);
    responder_open(&rs, base, handler, NULL);
    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);

    CHECK_INT(evdns_base_count_nameservers(dns), 0);
    memset(&ss, 0, sizeof ss);
    CHECK_INT(evdns_base_get_nameserver_addr(dns, 0, (struct sockaddr *)&ss,
        sizeof ss), -1);
    CHECK_INT(responder_add_to(&rs, dns), 0);
    CHECK_INT(evdns_base_count_nameservers(dns), 1);
    snprintf(spec, sizeof spec, "127.0.0.1:%d", rs.port);
    CHECK_INT(evdns_base_nameserver_ip_add(dns, spec), 3);
    CHECK_INT(evdns_base_count_nameservers(dns), 1);
    CHECK_INT(evdns_base_nameserver_ip_add(dns, "127.0.0.2"), 0);
    CHECK_INT(evdns_base_count_nameservers(dns), 2);
    CHECK_INT(evdns_base_nameserver_ip_add(dns, "127.0.0.3:5353"), 0);
    CHECK_INT(evdns_base_count_nameservers(dns), 3);
    CHECK_INT(evdns_base_nameserver_ip_add(dns, "not-an-ip"), 4);
    CHECK_INT(evdns_base_nameserver_ip_add(dns, ""), 4);
    CHECK_INT(evdns_base_count_nameservers(dns), 3);

    memset(&ss, 0, sizeof ss);
    CHECK_INT(evdns_base_get_nameserver_addr(dns, 0, (struct sockaddr *)&ss,
        sizeof ss), (int)sizeof(struct sockaddr_in));
    CHECK(addr_is(&ss, "127.0.0.1", rs.port));
    memset(&ss, 0, sizeof ss);
    CHECK_INT(evdns_base_get_nameserver_addr(dns, 1, (struct sockaddr *)&ss,
        sizeof ss), (int)sizeof(struct sockaddr_in));
    CHECK(addr_is(&ss, "127.0.0.3", 5353));
    memset(&ss, 0, sizeof ss);
    CHECK_INT(evdns_base_get_nameserver_addr(dns, 2, (struct sockaddr *)&ss,
        sizeof ss), (int)sizeof(struct sockaddr_in));
    CHECK(addr_is(&ss, "127.0.0.2", 53));
    memset(&ss, 0xAA, sizeof ss);
    CHECK_INT(evdns_base_get_nameserver_addr(dns, 0, (struct sockaddr *)&ss,
        8), (int)sizeof(struct sockaddr_in));
    CHECK_INT(((unsigned char *)&ss)[0], 0xAA);
    CHECK_INT(((unsigned char *)&ss)[7], 0xAA);
    CHECK_INT(evdns_base_get_nameserver_addr(dns, 3, (struct sockaddr *)&ss,
        sizeof ss), -1);
    CHECK_INT(evdns_base_get_nameserver_addr(dns, 100, (struct sockaddr *)&ss,
        sizeof ss), -1);
    memset(&ss, 0, sizeof ss);
    CHECK_INT(evdns_base_get_nameserver_addr(dns, -1, (struct sockaddr *)&ss,
        sizeof ss), (int)sizeof(struct sockaddr_in));
    CHECK(addr_is(&ss, "127.0.0.1", rs.port));

    /* keep only the responder so L1 goes to it */
    CHECK_INT(evdns_base_clear_nameservers_and_suspend(dns), 0);
    CHECK_INT(evdns_base_count_nameservers(dns), 0);
    CHECK_INT(responder_add_to(&rs, dns), 0);
    CHECK_INT(evdns_base_resume(dns), 0);
    CHECK(evdns_base_resolve_ipv4(dns, "l1.example.test", 0, cb, &idx[0])
        != NULL);
    run_ms(100);
    CHECK_INT(rs.nqueries, 1); /* held */

    CHECK_INT(evdns_base_clear_nameservers_and_suspend(dns), 0);
    CHECK_INT(evdns_base_count_nameservers(dns), 0);
    CHECK(evdns_base_resolve_ipv4(dns, "l2.example.test", 0, cb, &idx[1])
        != NULL);
    run_ms(150);
    CHECK_INT(calls[0] + calls[1], 0);
    CHECK_INT(rs.nqueries, 1);

    CHECK_INT(responder_add_to(&rs, dns), 0);
    CHECK_INT(evdns_base_count_nameservers(dns), 1);
    run_ms(100);
    CHECK_INT(calls[0] + calls[1], 0);
    CHECK_INT(rs.nqueries, 1);

    CHECK_INT(evdns_base_resume(dns), 0);
    run_ms(2000);
    CHECK_INT(calls[0], 1);
    CHECK_INT(calls[1], 1);
    CHECK_INT(got_result[0], DNS_ERR_NONE);
    CHECK_INT(got_result[1], DNS_ERR_NONE);
    CHECK_INT(rs.nqueries, 3);
    CHECK(name_eq(rs.log[1], "l1.example.test"));
    CHECK(name_eq(rs.log[2], "l2.example.test"));

    evdns_base_free(dns, 0);
    responder_close(&rs);
    event_base_free(base);
    return test_end();
}
