/*
 * Seed 004's hello-world server, written again for the test: a listener
 * bound to 127.0.0.1 (an ephemeral port instead of the seed's 9995), a
 * socket bufferevent per connection that writes "Hello, NewConnection!\n"
 * with reading disabled, frees itself from the write callback once the
 * output is flushed, and a SIGINT event that ends the loop after a delay
 * (200 ms here; the seed waits 2 s).  The client is a forked child with a
 * plain blocking socket: it reads to EOF, checks the greeting, then
 * interrupts the server with SIGINT.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "check.h"

static const char MESSAGE[] = "Hello, NewConnection!\n";

static int accepted, flushed, closed_early, interrupted;

static void conn_writecb(struct bufferevent *bev, void *user_data)
{
    UNUSED(user_data);
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
        flushed++;
        bufferevent_free(bev);
    }
}

static void conn_eventcb(struct bufferevent *bev, short events, void *user_data)
{
    UNUSED(user_data);
    UNUSED(events);
    closed_early++;
    bufferevent_free(bev);
}

static void listener_cb(struct evconnlistener *listener, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *user_data)
{
    struct event_base *base = user_data;
    struct bufferevent *bev;
    UNUSED(listener);
    UNUSED(socklen);
    CHECK_INT(sa->sa_family, AF_INET);
    accepted++;
    bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        CHECK(bev != NULL);
        event_base_loopbreak(base);
        return;
    }
    bufferevent_setcb(bev, NULL, conn_writecb, conn_eventcb, NULL);
    bufferevent_enable(bev, EV_WRITE);
    bufferevent_disable(bev, EV_READ);
    bufferevent_write(bev, MESSAGE, strlen(MESSAGE));
}

static void signal_cb(evutil_socket_t sig, short events, void *user_data)
{
    struct event_base *base = user_data;
    struct timeval delay = {0, 200000};
    CHECK_INT(sig, SIGINT);
    CHECK(events & EV_SIGNAL);
    interrupted++;
    event_base_loopexit(base, &delay);
}

/* The client: connect, read everything, check, interrupt the server. */
static int client(const struct sockaddr_in *sin)
{
    char got[64];
    size_t n = 0;
    ssize_t r;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (const struct sockaddr *)sin, sizeof *sin) != 0)
        return 2;
    while (n < sizeof got - 1 && (r = read(s, got + n, sizeof got - 1 - n)) > 0)
        n += (size_t)r;
    got[n] = 0;
    close(s);
    kill(getppid(), SIGINT);
    return strcmp(got, MESSAGE) == 0 ? 0 : 3;
}

int main(void)
{
    struct event_base *base;
    struct evconnlistener *listener;
    struct event *signal_event;
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    pid_t pid;
    int status = -1;
    long long start;

    test_begin("seed004_hello_server");
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener = evconnlistener_new_bind(base, listener_cb, base,
        LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, -1,
        (struct sockaddr *)&sin, sizeof sin);
    REQUIRE(listener != NULL);
    REQUIRE(getsockname(evconnlistener_get_fd(listener),
        (struct sockaddr *)&sin, &sl) == 0);
    signal_event = evsignal_new(base, SIGINT, signal_cb, base);
    REQUIRE(signal_event != NULL && event_add(signal_event, NULL) == 0);

    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0)
        _exit(client(&sin));

    start = now_ms();
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK(now_ms() - start >= 150);
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_INT(accepted, 1);
    CHECK_INT(flushed, 1);
    CHECK_INT(closed_early, 0);
    CHECK_INT(interrupted, 1);

    evconnlistener_free(listener);
    event_free(signal_event);
    event_base_free(base);
    return test_end();
}
