/*
 * The 1.x calls tmux makes: event_init, bufferevent_new(fd, readcb,
 * writecb, errorcb, arg) on the current base, bufferevent_enable,
 * bufferevent_setwatermark on EV_WRITE, bufferevent_write and
 * bufferevent_write_buffer, EVBUFFER_INPUT/EVBUFFER_OUTPUT and the
 * struct's own input/output fields, bufferevent_disable and
 * bufferevent_free; bufferevent_settimeout in seconds.
 */
#include <event.h>
#include <sys/socket.h>
#include "check.h"

static int reads, writes, errors;
static size_t inlen;

static void readcb(struct bufferevent *b, void *arg)
{
    CHECK(arg == (void *)&reads);
    reads++;
    inlen = EVBUFFER_LENGTH(b->input);
    CHECK(b->input == EVBUFFER_INPUT(b));
    if (inlen >= 8)
        event_loopexit(NULL);
}

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    writes++;
}

static void errorcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(what);
    UNUSED(arg);
    errors++;
}

int main(void)
{
    int sv[2];
    struct event_base *base;
    struct bufferevent *a, *b;
    struct evbuffer *tmp;
    size_t lo = 1, hi = 1;

    test_begin("bevcompat_tmux_pattern");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_init();
    REQUIRE(base != NULL);
    a = bufferevent_new(sv[0], NULL, writecb, errorcb, &reads);
    b = bufferevent_new(sv[1], readcb, NULL, errorcb, &reads);
    REQUIRE(a && b);
    CHECK(b->output == EVBUFFER_OUTPUT(b));
    CHECK(bufferevent_get_output(a) == a->output);
    bufferevent_setwatermark(a, EV_WRITE, 4096, 0);
    CHECK_INT(bufferevent_getwatermark(a, EV_WRITE, &lo, &hi), 0);
    CHECK_INT(lo, 4096);
    CHECK_INT(hi, 0);
    CHECK_INT(bufferevent_getwatermark(a, EV_READ | EV_WRITE, &lo, &hi), -1);
    bufferevent_settimeout(b, 5, 0);
    CHECK_INT(b->timeout_read.tv_sec, 5);
    CHECK_INT(b->timeout_write.tv_sec, 0);
    CHECK_INT(bufferevent_enable(a, EV_READ | EV_WRITE), 0);
    CHECK_INT(bufferevent_enable(b, EV_READ | EV_WRITE), 0);

    CHECK_INT(bufferevent_write(a, "abcd", 4), 0);
    tmp = evbuffer_new();
    evbuffer_add(tmp, "efgh", 4);
    CHECK_INT(bufferevent_write_buffer(a, tmp), 0);
    CHECK_INT(evbuffer_get_length(tmp), 0);
    evbuffer_free(tmp);
    event_dispatch();
    CHECK_INT(inlen, 8);
    CHECK(reads >= 1);
    CHECK(writes >= 1);
    CHECK_INT(errors, 0);
    CHECK_INT(bufferevent_disable(b, EV_READ), 0);
    CHECK_INT(bufferevent_get_enabled(b), EV_WRITE);
    bufferevent_free(a);
    bufferevent_free(b);
    close(sv[0]);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
