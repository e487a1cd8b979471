/*
 * bufferevent_socket_connect over TCP loopback with 5 bytes queued before
 * the connect.  Without BEV_OPT_DEFER_CALLBACKS the BEV_EVENT_CONNECTED
 * eventcb runs inside the write event, BEFORE the queued bytes are
 * written (the output still holds 5 bytes), and the writecb follows once
 * they are out.  With BEV_OPT_DEFER_CALLBACKS the write event first
 * writes the bytes and only then the deferred callbacks run: CONNECTED
 * (output already empty) before the writecb, never the other way round,
 * and neither runs inside bufferevent_socket_connect.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "check.h"

struct rec {
    char log[64];
    size_t out_at_connect;
    int done;
};

static struct event_base *base;
static int finished;

static void add(struct rec *r, const char *s)
{
    size_t n = strlen(r->log);
    snprintf(r->log + n, sizeof r->log - n, "%s", s);
}

static void writecb(struct bufferevent *b, void *arg)
{
    struct rec *r = arg;
    UNUSED(b);
    add(r, "W");
    if (!r->done) {
        r->done = 1;
        if (++finished == 2)
            event_base_loopexit(base, NULL);
    }
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    struct rec *r = arg;
    if (what == BEV_EVENT_CONNECTED) {
        r->out_at_connect = evbuffer_get_length(bufferevent_get_output(b));
        add(r, "C");
    } else {
        add(r, "?");
    }
}

int main(void)
{
    int lfd, one = 1;
    struct sockaddr_in sin;
    socklen_t slen = sizeof sin;
    struct bufferevent *plain, *def;
    struct rec rp, rd;
    struct timeval limit = {5, 0};

    test_begin("bevdefer2_connect");
    memset(&rp, 0, sizeof rp);
    memset(&rd, 0, sizeof rd);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(lfd >= 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = 0;
    REQUIRE(bind(lfd, (struct sockaddr *)&sin, sizeof sin) == 0);
    REQUIRE(listen(lfd, 8) == 0);
    REQUIRE(getsockname(lfd, (struct sockaddr *)&sin, &slen) == 0);

    base = event_base_new();
    REQUIRE(base != NULL);
    plain = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    def = bufferevent_socket_new(base, -1,
        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    REQUIRE(plain != NULL && def != NULL);
    bufferevent_setcb(plain, NULL, writecb, eventcb, &rp);
    bufferevent_setcb(def, NULL, writecb, eventcb, &rd);
    CHECK_INT(bufferevent_write(plain, "hello", 5), 0);
    CHECK_INT(bufferevent_write(def, "hello", 5), 0);
    CHECK_INT(bufferevent_socket_connect(plain, (struct sockaddr *)&sin,
        sizeof sin), 0);
    CHECK_INT(bufferevent_socket_connect(def, (struct sockaddr *)&sin,
        sizeof sin), 0);
    CHECK_STR(rp.log, "");
    CHECK_STR(rd.log, "");

    event_base_loopexit(base, &limit);
    event_base_dispatch(base);

    CHECK_STR(rp.log, "CW");
    CHECK_INT(rp.out_at_connect, 5);
    CHECK_STR(rd.log, "CW");
    CHECK_INT(rd.out_at_connect, 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(plain)), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(def)), 0);

    bufferevent_free(plain);
    bufferevent_free(def);
    close(lfd);
    event_base_free(base);
    return test_end();
}
