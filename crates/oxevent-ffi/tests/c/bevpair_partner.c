/*
 * bufferevent_pair_get_partner returns the other end in both directions,
 * NULL for a bufferevent that is not a pair end (a socket bufferevent),
 * and NULL once the partner has been freed.  With no partner left, a write
 * is accepted and simply stays in the output buffer, and
 * bufferevent_flush() on the orphan returns -1 in every mode (the pair
 * flush checks for the partner before looking at the mode).
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/util.h>
#include "check.h"

int main(void)
{
    struct event_base *base;
    struct bufferevent *p[2], *q[2], *sock;
    evutil_socket_t sp[2];

    test_begin("bevpair_partner");
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);

    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    REQUIRE(bufferevent_pair_new(base, BEV_OPT_CLOSE_ON_FREE, q) == 0);
    CHECK(bufferevent_pair_get_partner(p[0]) == p[1]);
    CHECK(bufferevent_pair_get_partner(p[1]) == p[0]);
    CHECK(bufferevent_pair_get_partner(q[0]) == q[1]);
    CHECK(bufferevent_pair_get_partner(q[1]) == q[0]);
    CHECK(bufferevent_pair_get_partner(p[0]) != q[1]);

    sock = bufferevent_socket_new(base, sp[0], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(sock != NULL);
    CHECK(bufferevent_pair_get_partner(sock) == NULL);

    /* Flushing a linked pair end is fine in every mode. */
    CHECK_INT(bufferevent_flush(p[0], EV_WRITE, BEV_NORMAL), 0);
    CHECK_INT(bufferevent_flush(p[0], EV_WRITE, BEV_FLUSH), 0);

    /* Free the second end of the first pair: the first loses its partner. */
    bufferevent_free(p[1]);
    CHECK(bufferevent_pair_get_partner(p[0]) == NULL);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK(bufferevent_pair_get_partner(p[0]) == NULL);

    /* Writes still succeed and accumulate locally. */
    CHECK_INT(bufferevent_write(p[0], "orphan", 6), 0);
    CHECK_INT(bufferevent_enable(p[0], EV_READ | EV_WRITE), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(p[0])), 6);
    CHECK_INT(bufferevent_flush(p[0], EV_WRITE, BEV_NORMAL), -1);
    CHECK_INT(bufferevent_flush(p[0], EV_WRITE, BEV_FLUSH), -1);
    CHECK_INT(bufferevent_flush(p[0], EV_READ | EV_WRITE, BEV_FINISHED), -1);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(p[0])), 6);

    /* The other pair is unaffected; free its first end this time. */
    CHECK(bufferevent_pair_get_partner(q[1]) == q[0]);
    bufferevent_free(q[0]);
    CHECK(bufferevent_pair_get_partner(q[1]) == NULL);

    bufferevent_free(p[0]);
    bufferevent_free(q[1]);
    bufferevent_free(sock);
    evutil_closesocket(sp[1]);
    event_base_free(base);
    return test_end();
}
