/*
 * Echo server on libevent's bufferevents (the issue 10 benchmark): an
 * evconnlistener on 127.0.0.1 (port argv[1], 0: any; the port is printed
 * on stdout's first line), one socket bufferevent per connection whose
 * read callback moves the input to the output.  Built once against
 * Debian's headers; run on Debian's libevent and on oxevent.  SIGTERM
 * stops it cleanly.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct event_base *base;

static void readcb(struct bufferevent *b, void *arg)
{
    (void)arg;
    bufferevent_write_buffer(b, bufferevent_get_input(b));
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    (void)arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        bufferevent_free(b);
}

static void acceptcb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
    struct bufferevent *b;
    (void)l; (void)sa; (void)len; (void)arg;
    b = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(b, readcb, NULL, eventcb, NULL);
    bufferevent_enable(b, EV_READ | EV_WRITE);
}

static void stop(evutil_socket_t s, short w, void *arg)
{
    (void)s; (void)w; (void)arg;
    event_base_loopbreak(base);
}

int main(int argc, char **argv)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    struct evconnlistener *l;
    struct event *term;

    base = event_base_new();
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons(argc > 1 ? atoi(argv[1]) : 0);
    l = evconnlistener_new_bind(base, acceptcb, NULL,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 4096,
        (struct sockaddr *)&sin, sizeof sin);
    if (!l) {
        perror("listen");
        return 1;
    }
    getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin, &sl);
    printf("%d\n", ntohs(sin.sin_port));
    fflush(stdout);
    term = evsignal_new(base, SIGTERM, stop, NULL);
    event_add(term, NULL);
    event_base_dispatch(base);
    event_free(term);
    evconnlistener_free(l);
    event_base_free(base);
    return 0;
}
