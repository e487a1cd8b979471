/*
 * event_reinit after fork(): the child re-initialises the inherited base,
 * whose persistent read event on a socketpair keeps working (it gets the
 * parent's "ping"), adds a timer that fires, and exits 0 if all its checks
 * passed. The parent checks the child's exit status and then keeps using its
 * own base (its read event still fires).
 */
#include <event2/event.h>
#include <event2/util.h>
#include <sys/wait.h>
#include "check.h"

static int reads, timer_calls;
static char got[16];

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    ssize_t n;
    struct event_base *base = arg;
    CHECK_INT(what, EV_READ);
    n = recv(fd, got, sizeof(got) - 1, 0);
    CHECK(n > 0);
    if (n > 0)
        got[n] = 0;
    reads++;
    if (timer_calls > 0)
        event_base_loopexit(base, NULL);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct event_base *base = arg;
    UNUSED(fd);
    CHECK_INT(what, EV_TIMEOUT);
    timer_calls++;
    if (reads > 0)
        event_base_loopexit(base, NULL);
}

int main(void)
{
    struct event_base *base;
    struct event *rd, *tm;
    evutil_socket_t sp[2];
    struct timeval t50 = {0, 50 * 1000};
    pid_t pid;
    int status = 0;

    test_begin("reinit_fork");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    rd = event_new(base, sp[1], EV_READ | EV_PERSIST, read_cb, base);
    tm = evtimer_new(base, timer_cb, base);
    REQUIRE(rd && tm);
    CHECK_INT(event_add(rd, NULL), 0);
    /* Run the parent's loop once so the backend is really in use. */
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 0);

    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        alarm(10);
        CHECK_INT(event_reinit(base), 0);
        CHECK_INT(evtimer_add(tm, &t50), 0);
        CHECK_INT(event_base_dispatch(base), 0);
        CHECK_INT(reads, 1);
        CHECK_INT(timer_calls, 1);
        CHECK_STR(got, "ping");
        event_free(rd);
        event_free(tm);
        event_base_free(base);
        if (check_failures_)
            fprintf(stderr, "child: %d check(s) failed\n", check_failures_);
        exit(check_failures_ ? 1 : 0);
    }

    CHECK(send(sp[0], "ping", 4, 0) == 4);
    CHECK_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), 0);

    /* The parent's base still works. */
    CHECK_INT(reads, 0);
    CHECK(send(sp[0], "back", 4, 0) == 4);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    CHECK_INT(reads, 1);
    CHECK_STR(got, "back");

    event_free(rd);
    event_free(tm);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
