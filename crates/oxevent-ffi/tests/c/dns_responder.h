/*
 * dns_responder.h - a tiny hand-written DNS responder for the evdns tests.
 *
 * A nonblocking UDP socket bound to 127.0.0.1:0 and watched by an
 * EV_READ|EV_PERSIST event in the test's event_base.  Each datagram that
 * arrives is parsed into a struct dns_query (id, flags, question name as
 * sent -- libevent randomizes its case, "0x20" -- type and class), logged
 * in the responder, and handed to the test's handler, which builds a reply
 * by hand (reply_init copies the 12-byte header and the question section
 * byte for byte; reply_add_* append records whose owner is the compression
 * pointer 0xC0 0x0C) and sends it with reply_send.
 *
 * Only C99 + POSIX (+ libevent's event API); everything static inline.
 */
#ifndef OXEVENT_TEST_DNS_RESPONDER_H
#define OXEVENT_TEST_DNS_RESPONDER_H

#include <event2/event.h>
#include <event2/dns.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5

#define DNS_T_A 1
#define DNS_T_PTR 12
#define DNS_T_SOA 6
#define DNS_T_AAAA 28

#define RESPONDER_MAX_LOG 256

struct dns_query {
    unsigned char pkt[512];
    size_t len;
    unsigned id, flags, qtype, qclass;
    char name[256]; /* dotted, case as sent */
    size_t qend;    /* offset just past the question section */
};

struct responder;
typedef void (*responder_fn)(struct responder *rs, const struct dns_query *q,
    void *arg);

struct responder {
    int fd;
    int port;
    struct event *ev;
    responder_fn fn;
    void *arg;
    int nqueries;                       /* datagrams parsed as queries */
    int nbad;                           /* datagrams that did not parse */
    char log[RESPONDER_MAX_LOG][128];   /* names seen, as sent */
    unsigned logtype[RESPONDER_MAX_LOG];
};

struct dns_reply {
    unsigned char buf[1024];
    size_t len;
};

static inline unsigned get16_(const unsigned char *p)
{
    return ((unsigned)p[0] << 8) | p[1];
}

static inline void put16_(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

/* Parses a query; returns 0, or -1 if it is not one question we understand. */
static inline int dns_query_parse(struct dns_query *q)
{
    size_t j = 12, o = 0;
    if (q->len < 12)
        return -1;
    q->id = get16_(q->pkt);
    q->flags = get16_(q->pkt + 2);
    if (get16_(q->pkt + 4) != 1)
        return -1;
    for (;;) {
        unsigned l;
        if (j >= q->len)
            return -1;
        l = q->pkt[j++];
        if (l == 0)
            break;
        if (l > 63 || j + l > q->len || o + l + 2 > sizeof q->name)
            return -1;
        if (o)
            q->name[o++] = '.';
        memcpy(q->name + o, q->pkt + j, l);
        o += l;
        j += l;
    }
    q->name[o] = 0;
    if (j + 4 > q->len)
        return -1;
    q->qtype = get16_(q->pkt + j);
    q->qclass = get16_(q->pkt + j + 2);
    q->qend = j + 4;
    return 0;
}

/* Case-insensitive ASCII comparison (names come back 0x20-randomized). */
static inline int name_eq(const char *a, const char *b)
{
    while (*a && *b) {
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
        a++;
        b++;
    }
    return *a == *b;
}

/* A reply to q: q's header (QR and RA set, RD kept, opcode 0, the given
 * rcode, one question and no records yet) and q's question byte for byte. */
static inline void reply_init(struct dns_reply *r, const struct dns_query *q,
    int rcode)
{
    memcpy(r->buf, q->pkt, q->qend);
    r->len = q->qend;
    put16_(r->buf + 2, 0x8000u | (q->flags & 0x0100u) | 0x0080u |
        ((unsigned)rcode & 0xfu));
    put16_(r->buf + 4, 1);
    put16_(r->buf + 6, 0);
    put16_(r->buf + 8, 0);
    put16_(r->buf + 10, 0);
}

/* Like reply_init, but the question section names `name` instead. */
static inline void reply_init_name(struct dns_reply *r,
    const struct dns_query *q, int rcode, const char *name)
{
    size_t j = 12;
    const char *p = name;
    memcpy(r->buf, q->pkt, 12);
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        r->buf[j++] = (unsigned char)l;
        memcpy(r->buf + j, p, l);
        j += l;
        p += l;
        if (*p == '.')
            p++;
    }
    r->buf[j++] = 0;
    put16_(r->buf + j, q->qtype);
    put16_(r->buf + j + 2, q->qclass);
    r->len = j + 4;
    put16_(r->buf + 2, 0x8000u | (q->flags & 0x0100u) | 0x0080u |
        ((unsigned)rcode & 0xfu));
    put16_(r->buf + 4, 1);
    put16_(r->buf + 6, 0);
    put16_(r->buf + 8, 0);
    put16_(r->buf + 10, 0);
}

static inline void reply_set_flags(struct dns_reply *r, unsigned flags)
{
    put16_(r->buf + 2, flags);
}

static inline void reply_set_id(struct dns_reply *r, unsigned id)
{
    put16_(r->buf, id & 0xffffu);
}

/* Appends one record owned by the question name (pointer 0xC00C) to the
 * answer section (section 0) or the authority section (section 1; add
 * those after all answers). */
static inline void reply_add_rr(struct dns_reply *r, int section,
    unsigned type, unsigned long ttl, const void *rdata, size_t rdlen)
{
    unsigned char *p = r->buf + r->len;
    unsigned off = section == 0 ? 6 : 8;
    REQUIRE(r->len + 12 + rdlen <= sizeof r->buf);
    p[0] = 0xC0;
    p[1] = 0x0C;
    put16_(p + 2, type);
    put16_(p + 4, 1); /* IN */
    p[6] = (unsigned char)(ttl >> 24);
    p[7] = (unsigned char)(ttl >> 16);
    p[8] = (unsigned char)(ttl >> 8);
    p[9] = (unsigned char)ttl;
    put16_(p + 10, (unsigned)rdlen);
    memcpy(p + 12, rdata, rdlen);
    r->len += 12 + rdlen;
    put16_(r->buf + off, get16_(r->buf + off) + 1);
}

static inline void reply_add_a(struct dns_reply *r, unsigned long ttl,
    const char *ip)
{
    struct in_addr a;
    REQUIRE(inet_pton(AF_INET, ip, &a) == 1);
    reply_add_rr(r, 0, DNS_T_A, ttl, &a, 4);
}

static inline void reply_add_aaaa(struct dns_reply *r, unsigned long ttl,
    const char *ip)
{
    struct in6_addr a;
    REQUIRE(inet_pton(AF_INET6, ip, &a) == 1);
    reply_add_rr(r, 0, DNS_T_AAAA, ttl, &a, 16);
}

/* Encodes a dotted name as uncompressed labels; returns its length. */
static inline size_t dns_encode_name(unsigned char *out, const char *name)
{
    size_t j = 0;
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        out[j++] = (unsigned char)l;
        memcpy(out + j, p, l);
        j += l;
        p += l;
        if (*p == '.')
            p++;
    }
    out[j++] = 0;
    return j;
}

static inline void reply_add_ptr(struct dns_reply *r, unsigned long ttl,
    const char *target)
{
    unsigned char rd[256];
    size_t n = dns_encode_name(rd, target);
    reply_add_rr(r, 0, DNS_T_PTR, ttl, rd, n);
}

/* An SOA record in the authority section: root mname/rname, the given
 * minimum. */
static inline void reply_add_soa(struct dns_reply *r, unsigned long ttl,
    unsigned long minimum)
{
    unsigned char rd[22];
    unsigned long v[5];
    int i;
    v[0] = 1; v[1] = 3600; v[2] = 600; v[3] = 86400; v[4] = minimum;
    rd[0] = 0; /* mname "." */
    rd[1] = 0; /* rname "." */
    for (i = 0; i < 5; i++) {
        rd[2 + 4 * i] = (unsigned char)(v[i] >> 24);
        rd[3 + 4 * i] = (unsigned char)(v[i] >> 16);
        rd[4 + 4 * i] = (unsigned char)(v[i] >> 8);
        rd[5 + 4 * i] = (unsigned char)v[i];
    }
    reply_add_rr(r, 1, DNS_T_SOA, ttl, rd, sizeof rd);
}

/* Sends a reply from the responder's socket to evdns's socket (the source
 * of the last query, kept in rs). */
static struct sockaddr_storage responder_peer_;
static socklen_t responder_peerlen_;

static inline int reply_send(struct responder *rs, const struct dns_reply *r)
{
    ssize_t n = sendto(rs->fd, r->buf, r->len, 0,
        (struct sockaddr *)&responder_peer_, responder_peerlen_);
    return n == (ssize_t)r->len ? 0 : -1;
}

/* Sends a reply from another socket (another source port). */
static inline int reply_send_from_other(const struct dns_reply *r)
{
    struct sockaddr_in sin;
    ssize_t n;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
        close(fd);
        return -1;
    }
    n = sendto(fd, r->buf, r->len, 0, (struct sockaddr *)&responder_peer_,
        responder_peerlen_);
    close(fd);
    return n == (ssize_t)r->len ? 0 : -1;
}

static inline void responder_readcb_(evutil_socket_t fd, short what, void *arg)
{
    struct responder *rs = arg;
    struct dns_query q;
    UNUSED(what);
    for (;;) {
        ssize_t n;
        responder_peerlen_ = sizeof responder_peer_;
        n = recvfrom(fd, q.pkt, sizeof q.pkt, 0,
            (struct sockaddr *)&responder_peer_, &responder_peerlen_);
        if (n < 0)
            return;
        q.len = (size_t)n;
        if (dns_query_parse(&q) < 0) {
            rs->nbad++;
            continue;
        }
        if (rs->nqueries < RESPONDER_MAX_LOG) {
            strncpy(rs->log[rs->nqueries], q.name, 127);
            rs->log[rs->nqueries][127] = 0;
            rs->logtype[rs->nqueries] = q.qtype;
        }
        rs->nqueries++;
        if (rs->fn)
            rs->fn(rs, &q, rs->arg);
    }
}

/* Opens the responder on 127.0.0.1:0 in base; fn (may be NULL: never
 * answer) handles each query. */
static inline void responder_open(struct responder *rs,
    struct event_base *base, responder_fn fn, void *arg)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    memset(rs, 0, sizeof *rs);
    rs->fn = fn;
    rs->arg = arg;
    rs->fd = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(rs->fd >= 0);
    REQUIRE(fcntl(rs->fd, F_SETFL, fcntl(rs->fd, F_GETFL) | O_NONBLOCK) == 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(rs->fd, (struct sockaddr *)&sin, sizeof sin) == 0);
    REQUIRE(getsockname(rs->fd, (struct sockaddr *)&sin, &sl) == 0);
    rs->port = ntohs(sin.sin_port);
    rs->ev = event_new(base, rs->fd, EV_READ | EV_PERSIST, responder_readcb_,
        rs);
    REQUIRE(rs->ev != NULL);
    REQUIRE(event_add(rs->ev, NULL) == 0);
}

static inline void responder_sockaddr(const struct responder *rs,
    struct sockaddr_in *sin)
{
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin->sin_port = htons((unsigned short)rs->port);
}

/* Makes the responder evdns's nameserver; returns what
 * evdns_base_nameserver_sockaddr_add returns. */
static inline int responder_add_to(const struct responder *rs,
    struct evdns_base *dns)
{
    struct sockaddr_in sin;
    responder_sockaddr(rs, &sin);
    return evdns_base_nameserver_sockaddr_add(dns, (struct sockaddr *)&sin,
        sizeof sin, 0);
}

static inline void responder_close(struct responder *rs)
{
    if (rs->ev)
        event_free(rs->ev);
    rs->ev = NULL;
    if (rs->fd >= 0)
        close(rs->fd);
    rs->fd = -1;
}

#endif /* OXEVENT_TEST_DNS_RESPONDER_H */
