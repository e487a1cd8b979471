/*
 * oxevent: event2/bufferevent_compat.h
 *
 * libevent 1.x's bufferevent calls, still used by tmux: a socket
 * bufferevent on the current base, timeouts in seconds, and the old
 * names of the event flags and buffers.
 */
#ifndef EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event-config.h>
#include <event2/util.h>
#include <event2/bufferevent.h>

#ifdef __cplusplus
extern "C" {
#endif

#define evbuffercb bufferevent_data_cb
#define everrorcb bufferevent_event_cb

/**
 * A socket bufferevent on the current base (event_init's) with its
 * callbacks.  @return it, or NULL.
 */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_new(evutil_socket_t fd,
    evbuffercb readcb, evbuffercb writecb, everrorcb errorcb, void *cbarg);

/** Read and write timeouts in seconds (0: none). */
EVENT2_EXPORT_SYMBOL
void bufferevent_settimeout(struct bufferevent *bufev,
    int timeout_read, int timeout_write);

#define EVBUFFER_READ		BEV_EVENT_READING
#define EVBUFFER_WRITE		BEV_EVENT_WRITING
#define EVBUFFER_EOF		BEV_EVENT_EOF
#define EVBUFFER_ERROR		BEV_EVENT_ERROR
#define EVBUFFER_TIMEOUT	BEV_EVENT_TIMEOUT

/** The input buffer. */
#define EVBUFFER_INPUT(x)	bufferevent_get_input(x)
/** The output buffer. */
#define EVBUFFER_OUTPUT(x)	bufferevent_get_output(x)

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_ */
