/*
 * event_set_log_callback: misuse that libevent reports as a warning goes
 * through the callback (at least one EVENT_LOG_WARN message, non-empty)
 * and the call fails: event_add / event_del on an event with no base (zeroed memory,
 * or event_set before any global base), event_new with EV_SIGNAL|EV_READ,
 * event_base_free(NULL) with no global base. With the callback reset to
 * NULL, the default handler writes the warning to stderr instead.
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/event_compat.h>
#include <fcntl.h>
#include <signal.h>
#include "check.h"

static int warns, others;
static char last[256];

static void log_cb(int severity, const char *msg)
{
    if (severity == EVENT_LOG_WARN)
        warns++;
    else if (severity != EVENT_LOG_DEBUG)
        others++;
    CHECK(msg != NULL);
    if (msg) {
        strncpy(last, msg, sizeof(last) - 1);
        CHECK(msg[0] != '\0');
    }
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
}

int main(void)
{
    struct event zeroed, noset;
    struct event_base *base;
    struct event *bad;
    FILE *tmp;
    int saved_err, w;
    long size;

    test_begin("log_callback");
    event_set_log_callback(log_cb);

    memset(&zeroed, 0, sizeof(zeroed));
    w = warns;
    CHECK_INT(event_add(&zeroed, NULL), -1);
    CHECK(warns >= w + 1);
    w = warns;
    CHECK_INT(event_del(&zeroed), -1);
    CHECK(warns >= w + 1);

    event_set(&noset, -1, 0, cb, NULL);
    w = warns;
    CHECK_INT(event_add(&noset, NULL), -1);
    CHECK(warns >= w + 1);

    w = warns;
    event_base_free(NULL);
    CHECK(warns >= w + 1);

    base = event_base_new();
    REQUIRE(base != NULL);
    w = warns;
    bad = event_new(base, SIGUSR1, EV_SIGNAL | EV_READ, cb, NULL);
    CHECK(bad == NULL);
    CHECK(warns >= w + 1);
    CHECK_INT(others, 0);

    /* Default handler: to stderr. */
    event_set_log_callback(NULL);
    tmp = tmpfile();
    REQUIRE(tmp != NULL);
    fflush(stderr);
    saved_err = dup(2);
    REQUIRE(saved_err >= 0);
    REQUIRE(dup2(fileno(tmp), 2) == 2);
    w = warns;
    CHECK_INT(event_add(&zeroed, NULL), -1);
    fflush(stderr);
    REQUIRE(dup2(saved_err, 2) == 2);
    close(saved_err);
    CHECK_INT(warns, w);
    fseek(tmp, 0, SEEK_END);
    size = ftell(tmp);
    CHECK(size > 0);
    fclose(tmp);

    event_base_free(base);
    return test_end();
}
