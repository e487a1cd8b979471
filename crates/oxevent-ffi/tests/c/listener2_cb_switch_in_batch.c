/*
 * evconnlistener_set_cb called from inside the accept callback, while more
 * connections wait in the same accept batch.  libevent 2.1.12 reads the
 * callback and user pointer afresh before each accept of a batch:
 *  - with three connections waiting, callback A replacing itself by B (new
 *    user pointer) on its first call: one pass runs A once and B twice,
 *    B with its own pointer;
 *  - B setting the callback to NULL on its first call of the next batch of
 *    three: the second connection is accepted and closed by libevent (the
 *    client reads EOF) and the batch stops there: the third stays in the
 *    backlog (its client sees nothing) until the next pass, which accepts
 *    and closes it too; no callback runs for either.
 */
#include <event2/event.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include "check.h"

static int tag_a, tag_b, a_calls, b_calls, b_bad_arg, nullify;
static int accepted[8], naccepted;
static void cb_b(struct evconnlistener *, evutil_socket_t, struct sockaddr *,
    int, void *);

static void keep(evutil_socket_t fd)
{
    if (naccepted < 8)
        accepted[naccepted++] = fd;
    else
        close(fd);
}

static void cb_a(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
    UNUSED(sa);
    UNUSED(len);
    CHECK(arg == &tag_a);
    a_calls++;
    keep(fd);
    evconnlistener_set_cb(l, cb_b, &tag_b);
}

static void cb_b(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
    UNUSED(sa);
    UNUSED(len);
    if (arg != &tag_b)
        b_bad_arg++;
    b_calls++;
    keep(fd);
    if (nullify)
        evconnlistener_set_cb(l, NULL, NULL);
}

static int client(const struct sockaddr_in *sin)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(c >= 0);
    REQUIRE(connect(c, (const struct sockaddr *)sin, sizeof *sin) == 0);
    return c;
}

/* recv() on a client after waiting up to ms for something to happen. */
static int peek_client(int c, int ms)
{
    struct pollfd p;
    char ch;
    p.fd = c;
    p.events = POLLIN;
    poll(&p, 1, ms);
    return (int)recv(c, &ch, 1, MSG_DONTWAIT);
}

int main(void)
{
    struct event_base *base;
    struct evconnlistener *l;
    struct sockaddr_in sin;
    socklen_t slen = sizeof sin;
    int c[6], i;

    test_begin("listener2_cb_switch_in_batch");
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = evconnlistener_new_bind(base, cb_a, &tag_a,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED, 16,
        (struct sockaddr *)&sin, sizeof sin);
    REQUIRE(l != NULL);
    REQUIRE(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin,
        &slen) == 0);

    /* A -> B inside one batch. */
    for (i = 0; i < 3; i++)
        c[i] = client(&sin);
    CHECK_INT(evconnlistener_enable(l), 0);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    CHECK_INT(a_calls, 1);
    CHECK_INT(b_calls, 2);
    CHECK_INT(b_bad_arg, 0);
    CHECK_INT(naccepted, 3);

    /* B -> NULL inside the next batch. */
    CHECK_INT(evconnlistener_disable(l), 0);
    for (i = 3; i < 6; i++)
        c[i] = client(&sin);
    nullify = 1;
    CHECK_INT(evconnlistener_enable(l), 0);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    CHECK_INT(a_calls, 1);
    CHECK_INT(b_calls, 3);
    CHECK_INT(naccepted, 4);
    CHECK_INT(peek_client(c[4], 1000), 0);
    CHECK_INT(peek_client(c[5], 100), -1);
    CHECK_INT(errno, EAGAIN);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    CHECK_INT(peek_client(c[5], 1000), 0);
    CHECK_INT(a_calls, 1);
    CHECK_INT(b_calls, 3);
    CHECK_INT(peek_client(c[3], 50), -1);

    for (i = 0; i < naccepted; i++)
        close(accepted[i]);
    for (i = 0; i < 6; i++)
        close(c[i]);
    evconnlistener_free(l);
    event_base_free(base);
    return test_end();
}
