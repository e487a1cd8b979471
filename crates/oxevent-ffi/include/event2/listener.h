/*
 * oxevent: event2/listener.h
 *
 * evconnlistener: accepts connections on a listening socket and hands
 * each new fd to a callback.  Improvement over libevent: when accept()
 * fails for lack of descriptors or memory, the listener calls the error
 * callback, then pauses for 100 ms (with a log line) instead of waking
 * again at once and spinning.
 */
#ifndef EVENT2_LISTENER_H_INCLUDED_
#define EVENT2_LISTENER_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sockaddr;
struct evconnlistener;

/** Called with each accepted fd, the peer's address and its length. */
typedef void (*evconnlistener_cb)(struct evconnlistener *listener,
    evutil_socket_t fd, struct sockaddr *addr, int socklen, void *ptr);

/** Called when accept() fails (EVUTIL_SOCKET_ERROR() tells why). */
typedef void (*evconnlistener_errorcb)(struct evconnlistener *listener,
    void *ptr);

/** Accepted fds stay blocking. */
#define LEV_OPT_LEAVE_SOCKETS_BLOCKING	(1u<<0)
/** Close the listening socket when the listener is freed. */
#define LEV_OPT_CLOSE_ON_FREE		(1u<<1)
/** Close-on-exec on the listening socket and accepted fds. */
#define LEV_OPT_CLOSE_ON_EXEC		(1u<<2)
/** SO_REUSEADDR on the listening socket. */
#define LEV_OPT_REUSEABLE		(1u<<3)
/** A lock around the listener. */
#define LEV_OPT_THREADSAFE		(1u<<4)
/** Made disabled; evconnlistener_enable starts it. */
#define LEV_OPT_DISABLED		(1u<<5)
/** TCP_DEFER_ACCEPT: wake only once data arrived. */
#define LEV_OPT_DEFERRED_ACCEPT		(1u<<6)
/** SO_REUSEPORT on the listening socket. */
#define LEV_OPT_REUSEABLE_PORT		(1u<<7)
/** IPV6_V6ONLY on the listening socket before bind (an AF_INET socket
 * cannot take it: the listener is then not made, as in libevent). */
#define LEV_OPT_BIND_IPV6ONLY		(1u<<8)

/**
 * A listener on fd (listen(2) is called first when backlog is not 0;
 * negative: a default backlog).  @return it, or NULL.
 */
EVENT2_EXPORT_SYMBOL
struct evconnlistener *evconnlistener_new(struct event_base *base,
    evconnlistener_cb cb, void *ptr, unsigned flags, int backlog,
    evutil_socket_t fd);

/** Makes, binds and listens on a socket for sa.  @return it, or NULL. */
EVENT2_EXPORT_SYMBOL
struct evconnlistener *evconnlistener_new_bind(struct event_base *base,
    evconnlistener_cb cb, void *ptr, unsigned flags, int backlog,
    const struct sockaddr *sa, int socklen);

/** Frees it (closing the socket with LEV_OPT_CLOSE_ON_FREE). */
EVENT2_EXPORT_SYMBOL
void evconnlistener_free(struct evconnlistener *lev);

/** Starts accepting.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int evconnlistener_enable(struct evconnlistener *lev);

/** Stops accepting (connections wait in the backlog).  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int evconnlistener_disable(struct evconnlistener *lev);

/** Its base. */
EVENT2_EXPORT_SYMBOL
struct event_base *evconnlistener_get_base(struct evconnlistener *lev);

/** Its listening socket. */
EVENT2_EXPORT_SYMBOL
evutil_socket_t evconnlistener_get_fd(struct evconnlistener *lev);

/** Changes the callback (NULL: connections are closed as they come). */
EVENT2_EXPORT_SYMBOL
void evconnlistener_set_cb(struct evconnlistener *lev,
    evconnlistener_cb cb, void *arg);

/** Sets the error callback. */
EVENT2_EXPORT_SYMBOL
void evconnlistener_set_error_cb(struct evconnlistener *lev,
    evconnlistener_errorcb errorcb);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_LISTENER_H_INCLUDED_ */
