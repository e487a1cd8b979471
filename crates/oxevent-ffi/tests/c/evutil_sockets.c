/*
 * evutil socket helpers: evutil_socketpair carries data both ways;
 * make_socket_nonblocking sets O_NONBLOCK; make_socket_closeonexec sets
 * FD_CLOEXEC; make_listen_socket_reuseable sets SO_REUSEADDR;
 * make_listen_socket_reuseable_port sets SO_REUSEPORT; make_listen_socket_
 * ipv6only sets IPV6_V6ONLY (when IPv6 sockets exist);
 * make_tcp_listen_socket_deferred returns 0 or -1 without harm (the socket
 * still listens and accepts on 127.0.0.1 port 0); evutil_closesocket closes.
 */
#include <event2/util.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "check.h"

static int sockopt(int fd, int level, int opt)
{
    int v = -1;
    socklen_t len = sizeof(v);
    if (getsockopt(fd, level, opt, &v, &len) < 0)
        return -1;
    return v;
}

int main(void)
{
    evutil_socket_t sp[2], lfd, cfd, afd, s6;
    char buf[8];
    struct sockaddr_in sin;
    socklen_t slen;
    int rc;

    test_begin("evutil_sockets");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    CHECK(sp[0] >= 0 && sp[1] >= 0 && sp[0] != sp[1]);
    CHECK(send(sp[0], "ab", 2, 0) == 2);
    CHECK(recv(sp[1], buf, sizeof(buf), 0) == 2);
    CHECK(send(sp[1], "cd", 2, 0) == 2);
    CHECK(recv(sp[0], buf, sizeof(buf), 0) == 2);

    CHECK(!(fcntl(sp[0], F_GETFL) & O_NONBLOCK));
    CHECK_INT(evutil_make_socket_nonblocking(sp[0]), 0);
    CHECK(fcntl(sp[0], F_GETFL) & O_NONBLOCK);
    CHECK(recv(sp[0], buf, sizeof(buf), 0) < 0);
    CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
    CHECK_INT(evutil_make_socket_nonblocking(sp[0]), 0);
    CHECK(fcntl(sp[0], F_GETFL) & O_NONBLOCK);

    CHECK(!(fcntl(sp[1], F_GETFD) & FD_CLOEXEC));
    CHECK_INT(evutil_make_socket_closeonexec(sp[1]), 0);
    CHECK(fcntl(sp[1], F_GETFD) & FD_CLOEXEC);

    CHECK_INT(evutil_closesocket(sp[0]), 0);
    CHECK(fcntl(sp[0], F_GETFD) < 0 && errno == EBADF);
    CHECK_INT(evutil_closesocket(sp[1]), 0);

    /* TCP listener on 127.0.0.1, port 0. */
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(lfd >= 0);
    CHECK_INT(sockopt(lfd, SOL_SOCKET, SO_REUSEADDR), 0);
    CHECK_INT(evutil_make_listen_socket_reuseable(lfd), 0);
    CHECK(sockopt(lfd, SOL_SOCKET, SO_REUSEADDR) != 0);
    CHECK_INT(evutil_make_listen_socket_reuseable_port(lfd), 0);
    CHECK(sockopt(lfd, SOL_SOCKET, SO_REUSEPORT) != 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = 0;
    REQUIRE(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
    REQUIRE(listen(lfd, 8) == 0);
    rc = evutil_make_tcp_listen_socket_deferred(lfd);
    CHECK(rc == 0 || rc == -1);
    slen = sizeof(sin);
    REQUIRE(getsockname(lfd, (struct sockaddr *)&sin, &slen) == 0);
    CHECK(ntohs(sin.sin_port) != 0);
    cfd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(cfd >= 0);
    CHECK(connect(cfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
    /* A deferred-accept listener only reports the connection with data. */
    CHECK(send(cfd, "hi", 2, 0) == 2);
    afd = accept(lfd, NULL, NULL);
    CHECK(afd >= 0);
    if (afd >= 0) {
        CHECK(recv(afd, buf, sizeof(buf), 0) == 2);
        evutil_closesocket(afd);
    }
    evutil_closesocket(cfd);
    evutil_closesocket(lfd);

    s6 = socket(AF_INET6, SOCK_STREAM, 0);
    if (s6 >= 0) {
        /* Linux's default is usually 0 (bindv6only sysctl). */
        CHECK_INT(evutil_make_listen_socket_ipv6only(s6), 0);
        CHECK(sockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY) == 1);
        evutil_closesocket(s6);
    }
    return test_end();
}
