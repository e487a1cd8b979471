/*
 * A documented improvement of ours (runs on oxevent only): every bad input
 * that libevent 2.1.12 refuses is refused with the same return value AND
 * explained by a line through the log callback. libevent refuses several
 * of these silently (priorities out of range, event_base_set on NULL,
 * unparsable sockaddr strings) and crashes on others (event_priority_set
 * on a NULL event), so this cannot run on it. The return values are those
 * bad_input.c, evutil_parse_sockaddr.c and friends check on both libraries.
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>
#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include "check.h"

static int lines;
static int last_severity = -1;

static void count_log(int severity, const char *msg)
{
    UNUSED(msg);
    lines++;
    last_severity = severity;
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
}

#define LOGS(expr, expected)                                                 \
    do {                                                                     \
        lines = 0;                                                           \
        CHECK_INT((expr), (expected));                                       \
        if (lines < 1)                                                       \
            fprintf(stderr, "%s:%d: no log line for %s\n", __FILE__,        \
                __LINE__, #expr), check_failures_++;                         \
    } while (0)

int main(void)
{
    struct event_base *base;
    struct event *ev, *sig;
    struct sockaddr_storage ss;
    int sslen = (int)sizeof(ss);
    int fds[2];

    test_begin("improved_bad_input_logs");
    event_set_log_callback(count_log);
    base = event_base_new();
    REQUIRE(base != NULL);
    ev = event_new(base, -1, 0, cb, NULL);
    REQUIRE(ev != NULL);

    /* NULL events. */
    LOGS(event_add(NULL, NULL), -1);
    LOGS(event_del(NULL), -1);
    LOGS(event_priority_set(NULL, 0), -1);
    LOGS(event_base_set(base, NULL), -1);

    /* EV_SIGNAL with EV_READ. */
    lines = 0;
    CHECK(event_new(base, SIGUSR1, EV_SIGNAL | EV_READ, cb, NULL) == NULL);
    CHECK(lines >= 1);

    /* Bad signal numbers. */
    sig = event_new(base, 1000, EV_SIGNAL, cb, NULL);
    REQUIRE(sig != NULL);
    LOGS(event_add(sig, NULL), -1);

    /* A bad fd, closed before the add: epoll refuses it at once (poll and
     * select accept it and report it later, as libevent's do: see
     * improved_closed_fd.c). */
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    evutil_closesocket(fds[0]);
    evutil_closesocket(fds[1]);
    {
        struct event *bad = event_new(base, fds[0], EV_READ, cb, NULL);
        REQUIRE(bad != NULL);
        if (strcmp(event_base_get_method(base), "epoll") == 0)
            LOGS(event_add(bad, NULL), -1);
        event_free(bad);
    }

    /* Priorities out of range. */
    LOGS(event_priority_set(ev, 1), -1);
    LOGS(event_priority_set(ev, -5), -1);
    LOGS(event_base_priority_init(base, 0), -1);
    LOGS(event_base_priority_init(base, 256), -1);
    LOGS(event_base_priority_init(base, -1), -1);

    /* event_base_once with flags it cannot take. */
    LOGS(event_base_once(base, -1, EV_TIMEOUT | EV_PERSIST, cb, NULL, NULL), -1);

    /* Invalid sockaddr strings. */
    LOGS(evutil_parse_sockaddr_port("not an address", (struct sockaddr *)&ss, &sslen), -1);
    sslen = (int)sizeof(ss);
    LOGS(evutil_parse_sockaddr_port("[::1", (struct sockaddr *)&ss, &sslen), -1);
    sslen = (int)sizeof(ss);
    LOGS(evutil_parse_sockaddr_port("1.2.3.4:99999", (struct sockaddr *)&ss, &sslen), -1);

    event_free(sig);
    event_free(ev);
    event_base_free(base);
    event_set_log_callback(NULL);
    return test_end();
}
