/*
 * The peer address the accept callback gets for other address families.
 * libevent 2.1.12 passes accept()'s address and length as they are:
 *  - AF_UNIX listener (evconnlistener_new_bind on a path): an unbound
 *    client arrives as family AF_UNIX with length sizeof(sa_family_t); a
 *    client bound to a path arrives with that path and length
 *    offsetof(sun_path) + strlen + 1; freeing the listener (with
 *    LEV_OPT_CLOSE_ON_FREE) does not unlink the socket file;
 *  - AF_INET6 on [::1]: a client arrives as AF_INET6, length
 *    sizeof(struct sockaddr_in6), address ::1 and the client's own port.
 */
#include <event2/event.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "check.h"

static int calls, fam, slen;
static struct sockaddr_storage peer;

static void acceptcb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
    UNUSED(l);
    UNUSED(arg);
    calls++;
    fam = sa->sa_family;
    slen = len;
    memset(&peer, 0, sizeof peer);
    if (len > 0 && (size_t)len <= sizeof peer)
        memcpy(&peer, sa, (size_t)len);
    close(fd);
}

static void unix_path(struct sockaddr_un *sun, const char *tag)
{
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    snprintf(sun->sun_path, sizeof sun->sun_path, "/tmp/oxev-lst2-%ld-%s",
        (long)getpid(), tag);
    unlink(sun->sun_path);
}

static void pump(struct event_base *base, int want)
{
    int i;
    for (i = 0; i < 50 && calls < want; i++)
        event_base_loop(base, EVLOOP_ONCE);
}

int main(void)
{
    struct event_base *base;
    struct evconnlistener *l;
    struct sockaddr_un lp, cp;
    struct sockaddr_in6 s6, c6;
    socklen_t sl;
    struct stat st;
    int c;

    test_begin("listener2_addr_families");
    base = event_base_new();
    REQUIRE(base != NULL);

    /* AF_UNIX. */
    unix_path(&lp, "l");
    unix_path(&cp, "c");
    l = evconnlistener_new_bind(base, acceptcb, NULL, LEV_OPT_CLOSE_ON_FREE,
        8, (struct sockaddr *)&lp, sizeof lp);
    REQUIRE(l != NULL);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(c >= 0);
    REQUIRE(connect(c, (struct sockaddr *)&lp, sizeof lp) == 0);
    pump(base, 1);
    CHECK_INT(calls, 1);
    CHECK_INT(fam, AF_UNIX);
    CHECK_INT(slen, sizeof(sa_family_t));
    close(c);

    c = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(c >= 0);
    REQUIRE(bind(c, (struct sockaddr *)&cp, sizeof cp) == 0);
    REQUIRE(connect(c, (struct sockaddr *)&lp, sizeof lp) == 0);
    pump(base, 2);
    CHECK_INT(calls, 2);
    CHECK_INT(fam, AF_UNIX);
    CHECK_INT(slen, offsetof(struct sockaddr_un, sun_path) +
        strlen(cp.sun_path) + 1);
    CHECK_STR(((struct sockaddr_un *)&peer)->sun_path, cp.sun_path);
    close(c);
    evconnlistener_free(l);
    CHECK_INT(stat(lp.sun_path, &st), 0);
    CHECK(S_ISSOCK(st.st_mode));
    unlink(lp.sun_path);
    unlink(cp.sun_path);

    /* AF_INET6 on ::1. */
    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    s6.sin6_addr = in6addr_loopback;
    l = evconnlistener_new_bind(base, acceptcb, NULL,
        LEV_OPT_CLOSE_ON_FREE, 8, (struct sockaddr *)&s6, sizeof s6);
    REQUIRE(l != NULL);
    sl = sizeof s6;
    REQUIRE(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&s6,
        &sl) == 0);
    c = socket(AF_INET6, SOCK_STREAM, 0);
    REQUIRE(c >= 0);
    REQUIRE(connect(c, (struct sockaddr *)&s6, sizeof s6) == 0);
    sl = sizeof c6;
    REQUIRE(getsockname(c, (struct sockaddr *)&c6, &sl) == 0);
    pump(base, 3);
    CHECK_INT(calls, 3);
    CHECK_INT(fam, AF_INET6);
    CHECK_INT(slen, sizeof(struct sockaddr_in6));
    CHECK(memcmp(&((struct sockaddr_in6 *)&peer)->sin6_addr,
        &in6addr_loopback, sizeof(struct in6_addr)) == 0);
    CHECK_INT(ntohs(((struct sockaddr_in6 *)&peer)->sin6_port),
        ntohs(c6.sin6_port));
    close(c);
    evconnlistener_free(l);

    event_base_free(base);
    return test_end();
}
