/*
 * Order and merging of deferred callbacks (BEV_OPT_DEFER_CALLBACKS on a
 * socket bufferevent): whatever order the triggers came in, one loop
 * pass runs a pending BEV_EVENT_CONNECTED eventcb first (on its own),
 * then the readcb, then the writecb, then one eventcb with all other
 * pending event flags ORed together.  errno, as seen inside that
 * eventcb, is the errno at the time of the LAST trigger_event (saved
 * with the pending flags and restored before the call).  Triggers on an
 * unlimited socket end do not depend on the backend: nothing else runs.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static char log_[256];
static int errno_seen;

static void add(const char *s)
{
    size_t n = strlen(log_);
    snprintf(log_ + n, sizeof log_ - n, "%s ", s);
}

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    add("R");
}

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    add("W");
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    char s[32];
    UNUSED(b);
    UNUSED(arg);
    errno_seen = errno;
    snprintf(s, sizeof s, "E%x", (unsigned)what);
    add(s);
}

int main(void)
{
    int sv[2];
    struct event_base *base;
    struct bufferevent *b;

    test_begin("bevdefer2_order");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, sv[0],
        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, readcb, writecb, eventcb, NULL);

    /* Triggers in reverse order. */
    errno = ECONNRESET;
    bufferevent_trigger_event(b, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
    bufferevent_trigger(b, EV_WRITE, 0);
    bufferevent_trigger(b, EV_READ, 0);
    errno = EPIPE;
    bufferevent_trigger_event(b, BEV_EVENT_ERROR | BEV_EVENT_WRITING, 0);
    errno = 0;
    bufferevent_trigger_event(b, BEV_EVENT_CONNECTED, 0);
    CHECK_STR(log_, "");
    errno = EAGAIN;
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_STR(log_, "E80 R W E33 ");
    /* CONNECTED's trigger came last, with errno 0. */
    CHECK_INT(errno_seen, 0);

    /* errno of the last trigger_event is what the eventcb sees. */
    log_[0] = '\0';
    errno = ETIMEDOUT;
    bufferevent_trigger_event(b, BEV_EVENT_TIMEOUT | BEV_EVENT_READING, 0);
    errno = 0;
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_STR(log_, "E41 ");
    CHECK_INT(errno_seen, ETIMEDOUT);

    /* CONNECTED together with other flags in one trigger: split. */
    log_[0] = '\0';
    errno = ECONNREFUSED;
    bufferevent_trigger_event(b, BEV_EVENT_CONNECTED | BEV_EVENT_ERROR, 0);
    bufferevent_trigger(b, EV_READ, 0);
    errno = 0;
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_STR(log_, "E80 R E20 ");
    CHECK_INT(errno_seen, ECONNREFUSED);

    /* Nothing left pending. */
    log_[0] = '\0';
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_STR(log_, "");

    bufferevent_free(b);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
