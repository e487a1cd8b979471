/*
 * evbuffer_sendfile: a buffer flagged EVBUFFER_FLAG_DRAINS_TO_FD holding
 * memory bytes, two file ranges (one from a shared segment) and more
 * memory, written through a non-blocking socketpair in an event loop with
 * evbuffer_write, then with evbuffer_write_atmost: the peer receives every
 * byte in order, and each descriptor is closed once its bytes are gone.
 * Runs with each backend. (libevent 2.1.12's sendfile path ignores
 * write_atmost's limit, so the limit itself is checked on ours only, by
 * improved_evbuffer_sendfile_atmost.c.)
 */
#ifndef CHECK_LIMIT
#define CHECK_LIMIT 0
#define TEST_NAME "evbuffer_sendfile"
#endif
#include "evbuffer_util.h"
#include <event2/event.h>
#include <event2/util.h>
#include <sys/socket.h>

#define FILE_LEN 300000

struct state {
    struct evbuffer *out, *in;
    struct event *wev, *rev;
    size_t want;
    int limit, check_limit;
};

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    struct state *s = arg;
    int n;
    UNUSED(what);
    n = s->limit ? evbuffer_write_atmost(s->out, fd, s->limit) : evbuffer_write(s->out, fd);
    CHECK(n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK);
    if (s->limit && s->check_limit)
        CHECK(n <= s->limit);
    if (evbuffer_get_length(s->out) == 0)
        event_del(s->wev);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct state *s = arg;
    int n;
    UNUSED(what);
    n = evbuffer_read(s->in, fd, -1);
    CHECK(n > 0 || errno == EAGAIN || errno == EWOULDBLOCK);
    if (evbuffer_get_length(s->in) >= s->want)
        event_del(s->rev);
}

static void one_round(int limit)
{
    struct event_base *base;
    struct state s;
    struct evbuffer_file_segment *seg;
    unsigned char *file, *got;
    int fds[2], fd1, fd2;
    size_t at;

    file = malloc(FILE_LEN);
    got = malloc(2 * FILE_LEN);
    REQUIRE(file && got);
    fill_pattern(file, FILE_LEN, 17);
    fd1 = temp_file_with(file, FILE_LEN);
    fd2 = temp_file_with(file, FILE_LEN);
    REQUIRE(fd1 >= 0 && fd2 >= 0);
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    REQUIRE(evutil_make_socket_nonblocking(fds[0]) == 0);
    REQUIRE(evutil_make_socket_nonblocking(fds[1]) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&s, 0, sizeof(s));
    s.limit = limit;
    s.check_limit = CHECK_LIMIT;
    s.out = evbuffer_new();
    s.in = evbuffer_new();
    REQUIRE(s.out && s.in);
    CHECK_INT(evbuffer_set_flags(s.out, EVBUFFER_FLAG_DRAINS_TO_FD), 0);

    seg = evbuffer_file_segment_new(fd2, 0, FILE_LEN, EVBUF_FS_CLOSE_ON_FREE);
    REQUIRE(seg != NULL);
    CHECK_INT(evbuffer_add(s.out, "start", 5), 0);
    CHECK_INT(evbuffer_add_file(s.out, fd1, 1, FILE_LEN - 1), 0);
    CHECK_INT(evbuffer_add(s.out, "middle", 6), 0);
    CHECK_INT(evbuffer_add_file_segment(s.out, seg, 1000, 200000), 0);
    evbuffer_file_segment_free(seg);
    CHECK_INT(evbuffer_add(s.out, "end", 3), 0);
    s.want = 5 + (FILE_LEN - 1) + 6 + 200000 + 3;
    CHECK_INT(evbuffer_get_length(s.out), s.want);

    s.wev = event_new(base, fds[0], EV_WRITE | EV_PERSIST, on_write, &s);
    s.rev = event_new(base, fds[1], EV_READ | EV_PERSIST, on_read, &s);
    REQUIRE(s.wev && s.rev);
    CHECK_INT(event_add(s.wev, NULL), 0);
    CHECK_INT(event_add(s.rev, NULL), 0);
    CHECK_INT(event_base_dispatch(base), 1);

    CHECK_INT(evbuffer_get_length(s.in), s.want);
    CHECK_INT(evbuffer_remove(s.in, got, s.want), s.want);
    at = 0;
    CHECK(memcmp(got + at, "start", 5) == 0);
    at += 5;
    CHECK(memcmp(got + at, file + 1, FILE_LEN - 1) == 0);
    at += FILE_LEN - 1;
    CHECK(memcmp(got + at, "middle", 6) == 0);
    at += 6;
    CHECK(memcmp(got + at, file + 1000, 200000) == 0);
    at += 200000;
    CHECK(memcmp(got + at, "end", 3) == 0);
    CHECK(!fd_is_open(fd1));
    CHECK(!fd_is_open(fd2));

    event_free(s.wev);
    event_free(s.rev);
    evbuffer_free(s.out);
    evbuffer_free(s.in);
    event_base_free(base);
    close(fds[0]);
    close(fds[1]);
    free(file);
    free(got);
}

int main(void)
{
    test_begin(TEST_NAME);
    one_round(0);
    one_round(50000);
    one_round(7777);
    return test_end();
}
