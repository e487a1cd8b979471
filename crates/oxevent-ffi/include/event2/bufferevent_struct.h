/*
 * oxevent: event2/bufferevent_struct.h
 *
 * The public layout of struct bufferevent (392 bytes on x86_64), for
 * programs that read its fields directly (bev->input and bev->output,
 * as tmux does).  Change nothing through it but what libevent documents.
 */
#ifndef EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_

#include <event2/event-config.h>
#include <event2/util.h>
#include <event2/event_struct.h>
#include <event2/bufferevent.h>

#include <sys/types.h>
#include <sys/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A low and a high mark. */
struct event_watermark {
	size_t low;
	size_t high;
};

struct bufferevent_ops;

/** A bufferevent's public part. */
struct bufferevent {
	/** Its base. */
	struct event_base *ev_base;
	/** The implementation's tag (compare only). */
	const struct bufferevent_ops *be_ops;
	/** The read event (a socket's; a timer for pairs and filters). */
	struct event ev_read;
	/** The write event. */
	struct event ev_write;
	/** The input buffer. */
	struct evbuffer *input;
	/** The output buffer. */
	struct evbuffer *output;
	/** Read watermarks. */
	struct event_watermark wm_read;
	/** Write watermarks. */
	struct event_watermark wm_write;
	/** Callbacks and their argument. */
	bufferevent_data_cb readcb;
	bufferevent_data_cb writecb;
	bufferevent_event_cb errorcb;
	void *cbarg;
	/** Timeouts (zero: none). */
	struct timeval timeout_read;
	struct timeval timeout_write;
	/** EV_READ/EV_WRITE as enabled. */
	short enabled;
};

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_ */
