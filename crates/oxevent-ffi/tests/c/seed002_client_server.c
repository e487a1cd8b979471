/*
 * Seed 002's socket pattern, client and server in one loop: the server is
 * an evconnlistener_new_bind listener (127.0.0.1, ephemeral port) whose
 * callback wraps each connection in a socket bufferevent and answers what
 * it reads (bufferevent_read, then bufferevent_write); the client is a
 * bufferevent made with fd -1 and bufferevent_socket_connect, which writes
 * a request once connected and reads the answer with bufferevent_read.
 * Three requests on one connection, then the client closes and the server
 * sees EOF.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

static struct event_base *base;
static int connected, answers, server_eof, server_reads;
static struct bufferevent *client_bev;

static void server_readcb(struct bufferevent *bev, void *arg)
{
    char buf[128], out[160];
    size_t n;
    UNUSED(arg);
    n = bufferevent_read(bev, buf, sizeof buf - 1);
    buf[n] = 0;
    server_reads++;
    snprintf(out, sizeof out, "server got: %s", buf);
    bufferevent_write(bev, out, strlen(out));
}

static void server_eventcb(struct bufferevent *bev, short events, void *arg)
{
    UNUSED(arg);
    if (events & BEV_EVENT_EOF)
        server_eof++;
    bufferevent_free(bev);
    event_base_loopexit(base, NULL);
}

static void listener_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
    struct bufferevent *bev;
    UNUSED(l);
    UNUSED(sa);
    UNUSED(socklen);
    UNUSED(arg);
    bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(bev != NULL);
    bufferevent_setcb(bev, server_readcb, NULL, server_eventcb, NULL);
    bufferevent_enable(bev, EV_READ);
}

static void client_send(struct bufferevent *bev, int i)
{
    char msg[32];
    snprintf(msg, sizeof msg, "request %d", i);
    bufferevent_write(bev, msg, strlen(msg));
}

static void client_readcb(struct bufferevent *bev, void *arg)
{
    char buf[128], want[64];
    size_t n;
    UNUSED(arg);
    n = bufferevent_read(bev, buf, sizeof buf - 1);
    buf[n] = 0;
    snprintf(want, sizeof want, "server got: request %d", answers);
    CHECK_STR(buf, want);
    answers++;
    if (answers < 3) {
        client_send(bev, answers);
    } else {
        bufferevent_free(bev);
        client_bev = NULL;
    }
}

static void client_eventcb(struct bufferevent *bev, short events, void *arg)
{
    UNUSED(arg);
    if (events & BEV_EVENT_CONNECTED) {
        connected++;
        client_send(bev, 0);
        return;
    }
    CHECK(!"unexpected client event");
    bufferevent_free(bev);
    client_bev = NULL;
    event_base_loopexit(base, NULL);
}

int main(void)
{
    struct evconnlistener *listener;
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    struct timeval limit = {10, 0};

    test_begin("seed002_client_server");
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener = evconnlistener_new_bind(base, listener_cb, NULL,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
        (struct sockaddr *)&sin, sizeof sin);
    REQUIRE(listener != NULL);
    REQUIRE(getsockname(evconnlistener_get_fd(listener),
        (struct sockaddr *)&sin, &sl) == 0);

    client_bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(client_bev != NULL);
    bufferevent_setcb(client_bev, client_readcb, NULL, client_eventcb, NULL);
    bufferevent_enable(client_bev, EV_READ);
    CHECK_INT(bufferevent_socket_connect(client_bev,
        (struct sockaddr *)&sin, sizeof sin), 0);

    event_base_loopexit(base, &limit);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK_INT(connected, 1);
    CHECK_INT(answers, 3);
    CHECK_INT(server_reads, 3);
    CHECK_INT(server_eof, 1);
    CHECK(client_bev == NULL);

    evconnlistener_free(listener);
    event_base_free(base);
    return test_end();
}
