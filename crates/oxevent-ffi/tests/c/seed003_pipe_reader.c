/*
 * Seed 003's stdin reader, with a pipe standing in for stdin: a persistent
 * EV_READ event on the pipe's read end; the test itself feeds lines through
 * the write end from a persistent timer, then closes it. The read callback
 * reads and counts; on EOF it deletes its own event and breaks the loop.
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include "check.h"

struct reader {
    struct event *ev;
    struct event_base *base;
    int calls;
    size_t bytes;
    int eof;
    char data[256];
};

struct feeder {
    struct event *ev;
    int wfd;
    int sent;
    size_t bytes;
};

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct reader *r = arg;
    char buf[64];
    ssize_t n;

    CHECK(what & EV_READ);
    r->calls++;
    n = read(fd, buf, sizeof(buf));
    if (n < 0) {
        CHECK(errno == EAGAIN || errno == EINTR);
        return;
    }
    if (n == 0) {
        r->eof = 1;
        CHECK_INT(event_del(r->ev), 0);
        CHECK_INT(event_base_loopbreak(r->base), 0);
        return;
    }
    if (r->bytes + (size_t)n <= sizeof(r->data))
        memcpy(r->data + r->bytes, buf, (size_t)n);
    r->bytes += (size_t)n;
}

static void feed_cb(evutil_socket_t fd, short what, void *arg)
{
    struct feeder *f = arg;
    char line[32];
    int len;

    UNUSED(fd);
    CHECK(what & EV_TIMEOUT);
    if (f->sent == 5) {
        close(f->wfd);
        f->wfd = -1;
        event_del(f->ev);
        return;
    }
    len = snprintf(line, sizeof(line), "line %d\n", f->sent);
    CHECK(write_all(f->wfd, line, (size_t)len) == 0);
    f->bytes += (size_t)len;
    f->sent++;
}

int main(void)
{
    struct event_base *base;
    struct reader r;
    struct feeder f;
    struct timeval tick = {0, 10 * 1000};
    int p[2];
    int rv;

    test_begin("seed003_pipe_reader");
    memset(&r, 0, sizeof(r));
    memset(&f, 0, sizeof(f));
    REQUIRE(pipe(p) == 0);

    CHECK_INT(evthread_use_pthreads(), 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    r.base = base;
    r.ev = event_new(base, p[0], EV_READ | EV_PERSIST, read_cb, &r);
    REQUIRE(r.ev != NULL);
    CHECK_INT(event_add(r.ev, NULL), 0);

    f.wfd = p[1];
    f.ev = event_new(base, -1, EV_PERSIST, feed_cb, &f);
    REQUIRE(f.ev != NULL);
    CHECK_INT(event_add(f.ev, &tick), 0);

    rv = event_base_dispatch(base);
    CHECK_INT(rv, 0);
    CHECK(r.eof);
    CHECK_INT(event_base_got_break(base), 1);
    CHECK_INT(f.sent, 5);
    CHECK_INT(r.bytes, f.bytes);
    CHECK(r.calls >= 2);
    CHECK(r.bytes <= sizeof(r.data) &&
        memcmp(r.data, "line 0\nline 1\nline 2\nline 3\nline 4\n", r.bytes) == 0);
    CHECK_INT(event_pending(r.ev, EV_READ, NULL), 0);

    event_free(r.ev);
    event_free(f.ev);
    event_base_free(base);
    close(p[0]);
    return test_end();
}
