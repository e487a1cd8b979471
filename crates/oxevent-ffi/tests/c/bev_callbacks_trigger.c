/*
 * setcb/getcb round-trip (NULL out-parameters allowed); bufferevent_trigger
 * runs the read callback only when the input is at the low watermark
 * unless BEV_TRIG_IGNORE_WATERMARKS; with BEV_TRIG_DEFER_CALLBACKS it runs
 * from the loop, not inside the call; trigger_event passes its flags;
 * incref/decref: decref returns 0 while references remain and 1 for the
 * last one; a bufferevent freed inside its own read callback is gone
 * cleanly and closes its fd (BEV_OPT_CLOSE_ON_FREE) by the time the loop
 * has run.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <sys/socket.h>
#include "check.h"

static int reads, events;
static short last_what;
static int free_in_cb;

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    reads++;
    if (free_in_cb)
        bufferevent_free(b);
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    events++;
    last_what = what;
}

int main(void)
{
    int sv[2], fd;
    struct event_base *base;
    struct bufferevent *b;
    bufferevent_data_cb rcb = NULL, wcb = (bufferevent_data_cb)1;
    bufferevent_event_cb ecb = NULL;
    void *arg = NULL;

    test_begin("bev_callbacks_trigger");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(b, readcb, NULL, eventcb, &reads);
    bufferevent_getcb(b, &rcb, &wcb, &ecb, &arg);
    CHECK(rcb == readcb);
    CHECK(wcb == NULL);
    CHECK(ecb == eventcb);
    CHECK(arg == (void *)&reads);
    bufferevent_getcb(b, NULL, NULL, NULL, NULL);

    bufferevent_setwatermark(b, EV_READ, 5, 0);
    bufferevent_trigger(b, EV_READ, 0);
    CHECK_INT(reads, 0);
    bufferevent_trigger(b, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
    CHECK_INT(reads, 1);
    bufferevent_trigger(b, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
    CHECK_INT(reads, 1);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(reads, 2);
    bufferevent_trigger_event(b, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
    CHECK_INT(events, 1);
    CHECK_INT(last_what, BEV_EVENT_EOF | BEV_EVENT_READING);

    bufferevent_incref(b);
    CHECK_INT(bufferevent_decref(b), 0);

    bufferevent_setwatermark(b, EV_READ, 0, 0);
    bufferevent_enable(b, EV_READ);
    free_in_cb = 1;
    fd = sv[0];
    REQUIRE(write_all(sv[1], "x", 1) == 0);
    event_base_dispatch(base);
    CHECK_INT(reads, 3);
    CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
