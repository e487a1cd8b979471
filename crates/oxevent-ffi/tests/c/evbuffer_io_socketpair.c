/*
 * evbuffer_io_socketpair: an event loop moves 2 MB through a non-blocking
 * socketpair with evbuffer_write in a write event and evbuffer_read in a
 * read event (the way bufferevents use them), then the writer closes and
 * the reader sees end of file. Runs with each backend.
 */
#include "evbuffer_util.h"
#include <event2/event.h>
#include <event2/util.h>
#include <sys/socket.h>

#define TOTAL (2u << 20)

struct state {
    struct evbuffer *out, *in;
    struct event *wev, *rev;
    int fds[2];
    int eof;
};

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    struct state *s = arg;
    int n;
    UNUSED(what);
    n = evbuffer_write(s->out, fd);
    CHECK(n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)));
    if (evbuffer_get_length(s->out) == 0) {
        event_del(s->wev);
        shutdown(fd, SHUT_WR);
    }
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct state *s = arg;
    int n;
    UNUSED(what);
    n = evbuffer_read(s->in, fd, -1);
    if (n == 0) {
        s->eof = 1;
        event_del(s->rev);
    } else {
        CHECK(n > 0 || errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

int main(void)
{
    struct event_base *base;
    struct state s;
    unsigned char *data, *got;

    test_begin("evbuffer_io_socketpair");
    data = malloc(TOTAL);
    got = malloc(TOTAL);
    REQUIRE(data && got);
    fill_pattern(data, TOTAL, 11);
    memset(&s, 0, sizeof(s));
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, s.fds) == 0);
    REQUIRE(evutil_make_socket_nonblocking(s.fds[0]) == 0);
    REQUIRE(evutil_make_socket_nonblocking(s.fds[1]) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    s.out = evbuffer_new();
    s.in = evbuffer_new();
    REQUIRE(s.out && s.in);
    /* In pieces of several sizes, so the chunks differ. */
    CHECK_INT(evbuffer_add(s.out, data, 100), 0);
    CHECK_INT(evbuffer_add(s.out, data + 100, 70000), 0);
    CHECK_INT(evbuffer_add(s.out, data + 70100, TOTAL - 70100), 0);

    s.wev = event_new(base, s.fds[0], EV_WRITE | EV_PERSIST, on_write, &s);
    s.rev = event_new(base, s.fds[1], EV_READ | EV_PERSIST, on_read, &s);
    REQUIRE(s.wev && s.rev);
    CHECK_INT(event_add(s.wev, NULL), 0);
    CHECK_INT(event_add(s.rev, NULL), 0);
    CHECK_INT(event_base_dispatch(base), 1);

    CHECK(s.eof);
    CHECK_INT(evbuffer_get_length(s.out), 0);
    CHECK_INT(evbuffer_get_length(s.in), TOTAL);
    CHECK_INT(evbuffer_remove(s.in, got, TOTAL), TOTAL);
    CHECK(memcmp(got, data, TOTAL) == 0);

    event_free(s.wev);
    event_free(s.rev);
    evbuffer_free(s.out);
    evbuffer_free(s.in);
    event_base_free(base);
    close(s.fds[0]);
    close(s.fds[1]);
    free(data);
    free(got);
    return test_end();
}
