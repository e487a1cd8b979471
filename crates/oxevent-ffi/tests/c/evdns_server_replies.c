/*
 * The DNS server's replies seen by a plain UDP client (queries written
 * by hand, replies read as bytes):
 *  - 40 A records (16 bytes each after the question) do not fit in 512
 *    bytes: the reply is 500 to 512 bytes with TC set.  (libevent 2.1.12
 *    cuts the message at byte 512 and leaves ANCOUNT at 40, so its last
 *    record is cut in the middle; oxevent keeps whole records and counts
 *    them: 30 here, 506 bytes.)
 *  - a TXT record added with evdns_server_request_add_reply (raw data) and
 *    EVDNS_FLAGS_AA set: the reply has QR and AA set, RD echoed from the
 *    query, rcode 0, one answer whose data is the bytes given;
 *  - a request with QR set (a reply, not a query) never reaches the
 *    callback.
 * libevent 2.1.12 behaves so.
 */
#include <event2/event.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/util.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

static int served;

static void server_cb(struct evdns_server_request *req, void *arg)
{
    struct evdns_server_question *q = req->questions[0];
    UNUSED(arg);
    served++;
    if (q->type == EVDNS_TYPE_A) {
        ev_uint32_t addrs[40];
        int i;
        /* One call per address: libevent 2.1.12's add_a_reply with n > 1
         * writes one A record of 4*n bytes (malformed; oxevent writes n
         * records), so the two differ there. */
        for (i = 0; i < 40; i++) {
            addrs[i] = htonl(0x0a000000 + (ev_uint32_t)i);
            CHECK_INT(evdns_server_request_add_a_reply(req, q->name, 1,
                &addrs[i], 60), 0);
        }
    } else {
        CHECK_INT(evdns_server_request_add_reply(req, EVDNS_ANSWER_SECTION,
            q->name, EVDNS_TYPE_TXT, EVDNS_CLASS_INET, 30, 6, 0,
            "\005hello"), 0);
        evdns_server_request_set_flags(req, EVDNS_FLAGS_AA);
    }
    CHECK_INT(evdns_server_request_respond(req, 0), 0);
}

/* A query for `name` (one label + "test") of `type`, id `id`. */
static size_t make_query(unsigned char *b, const char *label, int type,
    unsigned id, unsigned flags)
{
    size_t n = strlen(label), k = 12;
    memset(b, 0, 12);
    b[0] = (unsigned char)(id >> 8);
    b[1] = (unsigned char)id;
    b[2] = (unsigned char)(flags >> 8);
    b[3] = (unsigned char)flags;
    b[5] = 1;
    b[k++] = (unsigned char)n;
    memcpy(b + k, label, n);
    k += n;
    b[k++] = 4;
    memcpy(b + k, "test", 4);
    k += 4;
    b[k++] = 0;
    b[k++] = 0;
    b[k++] = (unsigned char)type;
    b[k++] = 0;
    b[k++] = 1;
    return k;
}

static ssize_t exchange(struct event_base *base, int c,
    const unsigned char *q, size_t qn, unsigned char *r, size_t rn)
{
    ssize_t got = -1;
    int i;
    REQUIRE(send(c, q, qn, 0) == (ssize_t)qn);
    for (i = 0; i < 100 && got < 0; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        got = recv(c, r, rn, MSG_DONTWAIT);
        if (got < 0)
            sleep_ms(10);
    }
    return got;
}

int main(void)
{
    struct event_base *base;
    struct evdns_server_port *port;
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    unsigned char q[512], r[2048];
    size_t qn;
    ssize_t n;
    int srv, c;

    test_begin("evdns_server_replies");
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
    c = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(c >= 0);
    REQUIRE(connect(c, (struct sockaddr *)&sin, sizeof sin) == 0);

    qn = make_query(q, "big", EVDNS_TYPE_A, 0x1234, 0x0100);
    n = exchange(base, c, q, qn, r, sizeof r);
    CHECK(n > 0 && n <= 512);
    CHECK(r[0] == 0x12 && r[1] == 0x34);
    CHECK(r[2] & 0x80);
    CHECK(r[2] & 0x02);
    CHECK(n >= 500);

    qn = make_query(q, "txt", EVDNS_TYPE_TXT, 0x4321, 0x0100);
    n = exchange(base, c, q, qn, r, sizeof r);
    CHECK_INT(n, (ssize_t)(qn + 12 + 6));
    CHECK(r[0] == 0x43 && r[1] == 0x21);
    CHECK_INT(r[2] & 0x80, 0x80);
    CHECK_INT(r[2] & 0x04, 0x04);
    CHECK_INT(r[2] & 0x01, 0x01);
    CHECK_INT(r[3] & 0x0f, 0);
    CHECK_INT((r[6] << 8) | r[7], 1);
    CHECK(n >= 6 && memcmp(r + n - 6, "\005hello", 6) == 0);

    qn = make_query(q, "txt", EVDNS_TYPE_TXT, 0x5555, 0x8100);
    n = exchange(base, c, q, qn, r, sizeof r);
    CHECK(n < 0);
    CHECK_INT(served, 2);

    close(c);
    evdns_close_server_port(port);
    event_base_free(base);
    return test_end();
}
