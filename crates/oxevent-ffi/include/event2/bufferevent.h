/*
 * oxevent: event2/bufferevent.h
 *
 * bufferevent: a connection with an input and an output evbuffer, moved
 * to and from a socket (or the other end of a pair, or another
 * bufferevent through filters) by the event loop.  The read callback runs
 * when input arrived (at least the read low watermark), the write
 * callback when the output drained to the write low watermark, the event
 * callback on end of file, errors, timeouts and a finished connect.
 *
 * The declarations, types and constants are those of libevent 2.1.12;
 * the comments describe oxevent's behaviour.  Differences: a socket
 * bufferevent writes new output at once when the socket is idle (the
 * write callback still runs from the loop) and reads without a FIONREAD
 * probe; misuse libevent asserts on is logged and refused.
 */
#ifndef EVENT2_BUFFEREVENT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event-config.h>

#include <sys/types.h>
#include <sys/time.h>
#include <stdint.h>
#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the event callback is told. */
#define BEV_EVENT_READING	0x01	/**< while reading */
#define BEV_EVENT_WRITING	0x02	/**< while writing */
#define BEV_EVENT_EOF		0x10	/**< end of file */
#define BEV_EVENT_ERROR		0x20	/**< an error: see EVUTIL_SOCKET_ERROR() */
#define BEV_EVENT_TIMEOUT	0x40	/**< a read or write timeout */
#define BEV_EVENT_CONNECTED	0x80	/**< a connect finished */

struct bufferevent;
struct event_base;
struct evbuffer;
struct sockaddr;
struct evdns_base;
struct ev_token_bucket_cfg;
struct bufferevent_rate_limit_group;

/** Read and write callbacks: (bufferevent, argument). */
typedef void (*bufferevent_data_cb)(struct bufferevent *bev, void *ctx);

/** The event callback: (bufferevent, BEV_EVENT_* flags, argument). */
typedef void (*bufferevent_event_cb)(struct bufferevent *bev, short what,
    void *ctx);

/** Options given when a bufferevent is made. */
enum bufferevent_options {
	/** Free the fd (or the underlying bufferevent) with it. */
	BEV_OPT_CLOSE_ON_FREE = (1<<0),
	/** Lock it, so several threads may use it. */
	BEV_OPT_THREADSAFE = (1<<1),
	/** Run callbacks from the loop, never inside the call that caused them. */
	BEV_OPT_DEFER_CALLBACKS = (1<<2),
	/** Release the lock while deferred callbacks run. */
	BEV_OPT_UNLOCK_CALLBACKS = (1<<3)
};

/** A socket bufferevent on fd (-1: none yet).  @return it, or NULL. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_socket_new(struct event_base *base,
    evutil_socket_t fd, int options);

/**
 * Connects without blocking (a socket is made if the bufferevent has
 * none); BEV_EVENT_CONNECTED or BEV_EVENT_ERROR reaches the event
 * callback.  @return 0, or -1 when the connect could not start.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_connect(struct bufferevent *bufev,
    const struct sockaddr *addr, int socklen);

/**
 * Resolves hostname (through evdns_getaddrinfo on evdns_base without
 * blocking, or with the system's blocking getaddrinfo when evdns_base is
 * NULL, as libevent) and connects to its first address.
 * @return 0, or -1 for a bad family or port.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_connect_hostname(struct bufferevent *bufev,
    struct evdns_base *evdns_base, int family, const char *hostname,
    int port);

/** The getaddrinfo error of the last connect_hostname, or 0. */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_get_dns_error(struct bufferevent *bev);

/** Moves a socket bufferevent to base.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_base_set(struct event_base *base, struct bufferevent *bufev);

/** The bufferevent's base. */
EVENT2_EXPORT_SYMBOL
struct event_base *bufferevent_get_base(struct bufferevent *bev);

/** Sets a socket bufferevent's priority.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_priority_set(struct bufferevent *bufev, int pri);

/** Its priority. */
EVENT2_EXPORT_SYMBOL
int bufferevent_get_priority(const struct bufferevent *bufev);

/**
 * Frees it: callbacks stop at once; the memory (and the fd with
 * BEV_OPT_CLOSE_ON_FREE) goes once no callback of it is running.
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_free(struct bufferevent *bufev);

/** Sets the callbacks and their argument (NULL: none). */
EVENT2_EXPORT_SYMBOL
void bufferevent_setcb(struct bufferevent *bufev,
    bufferevent_data_cb readcb, bufferevent_data_cb writecb,
    bufferevent_event_cb eventcb, void *cbarg);

/** Reads the callbacks back (any pointer may be NULL). */
EVENT2_EXPORT_SYMBOL
void bufferevent_getcb(struct bufferevent *bufev,
    bufferevent_data_cb *readcb_ptr,
    bufferevent_data_cb *writecb_ptr,
    bufferevent_event_cb *eventcb_ptr,
    void **cbarg_ptr);

/** Gives a socket bufferevent another fd.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_setfd(struct bufferevent *bufev, evutil_socket_t fd);

/** Its fd, or -1. */
EVENT2_EXPORT_SYMBOL
evutil_socket_t bufferevent_getfd(struct bufferevent *bufev);

/** A filter's underlying bufferevent, or NULL. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_get_underlying(struct bufferevent *bufev);

/** Appends size bytes to the output.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_write(struct bufferevent *bufev,
    const void *data, size_t size);

/** Moves all of buf to the output.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_write_buffer(struct bufferevent *bufev, struct evbuffer *buf);

/** Takes up to size bytes of input.  @return how many. */
EVENT2_EXPORT_SYMBOL
size_t bufferevent_read(struct bufferevent *bufev, void *data, size_t size);

/** Moves all the input to buf.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_read_buffer(struct bufferevent *bufev, struct evbuffer *buf);

/** The input buffer. */
EVENT2_EXPORT_SYMBOL
struct evbuffer *bufferevent_get_input(struct bufferevent *bufev);

/** The output buffer. */
EVENT2_EXPORT_SYMBOL
struct evbuffer *bufferevent_get_output(struct bufferevent *bufev);

/** Enables EV_READ and/or EV_WRITE.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_enable(struct bufferevent *bufev, short event);

/** Disables them.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_disable(struct bufferevent *bufev, short event);

/** What is enabled (EV_WRITE alone after bufferevent_socket_new). */
EVENT2_EXPORT_SYMBOL
short bufferevent_get_enabled(struct bufferevent *bufev);

/**
 * Read and write timeouts (NULL: none): a direction idle that long gets
 * BEV_EVENT_TIMEOUT and is disabled.  @return 0, or -1.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_timeouts(struct bufferevent *bufev,
    const struct timeval *timeout_read, const struct timeval *timeout_write);

/**
 * Watermarks of EV_READ and/or EV_WRITE: the read callback waits for low
 * bytes and reading stops at high (0: no limit); the write callback runs
 * once the output is at low or below.
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_setwatermark(struct bufferevent *bufev, short events,
    size_t lowmark, size_t highmark);

/** Reads the watermarks of exactly one of EV_READ, EV_WRITE.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_getwatermark(struct bufferevent *bufev, short events,
    size_t *lowmark, size_t *highmark);

/** Takes the lock of a BEV_OPT_THREADSAFE bufferevent (no-op without). */
EVENT2_EXPORT_SYMBOL
void bufferevent_lock(struct bufferevent *bufev);

/** Releases it. */
EVENT2_EXPORT_SYMBOL
void bufferevent_unlock(struct bufferevent *bufev);

/** Adds a reference. */
EVENT2_EXPORT_SYMBOL
void bufferevent_incref(struct bufferevent *bufev);

/** Drops a reference.  @return 1 when it was the last, else 0. */
EVENT2_EXPORT_SYMBOL
int bufferevent_decref(struct bufferevent *bufev);

/** How bufferevent_flush and filters are urged. */
enum bufferevent_flush_mode {
	/** Normal traffic. */
	BEV_NORMAL = 0,
	/** Everything now. */
	BEV_FLUSH = 1,
	/** Everything now, and no more will come. */
	BEV_FINISHED = 2
};

/**
 * Pushes buffered data through (pairs and filters).  @return -1 on
 * failure, 0 when nothing moved, 1 when something did (filters).
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_flush(struct bufferevent *bufev, short iotype,
    enum bufferevent_flush_mode mode);

/** Options of bufferevent_trigger and bufferevent_trigger_event. */
enum bufferevent_trigger_options {
	/** Run the callbacks whatever the watermarks say. */
	BEV_TRIG_IGNORE_WATERMARKS = (1<<16),
	/** Run them from the loop. */
	BEV_TRIG_DEFER_CALLBACKS = BEV_OPT_DEFER_CALLBACKS
};

/** Runs the read and/or write callback as if data had moved. */
EVENT2_EXPORT_SYMBOL
void bufferevent_trigger(struct bufferevent *bufev, short iotype,
    int options);

/** Runs the event callback with what. */
EVENT2_EXPORT_SYMBOL
void bufferevent_trigger_event(struct bufferevent *bufev, short what,
    int options);

/** What a filter returns. */
enum bufferevent_filter_result {
	/** Data moved. */
	BEV_OK = 0,
	/** More input is needed first. */
	BEV_NEED_MORE = 1,
	/** The filter failed. */
	BEV_ERROR = 2
};

/**
 * A filter: moves data from src to dst, transformed, producing at most
 * dst_limit bytes (-1: no limit).
 */
typedef enum bufferevent_filter_result (*bufferevent_filter_cb)(
    struct evbuffer *src, struct evbuffer *dst, ev_ssize_t dst_limit,
    enum bufferevent_flush_mode mode, void *ctx);

/**
 * A bufferevent over underlying whose data passes through the filters
 * (NULL: unchanged).  free_context(ctx) runs when it is freed.
 */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_filter_new(struct bufferevent *underlying,
    bufferevent_filter_cb input_filter,
    bufferevent_filter_cb output_filter,
    int options,
    void (*free_context)(void *),
    void *ctx);

/** Two connected bufferevents: what one writes the other reads.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_pair_new(struct event_base *base, int options,
    struct bufferevent *pair[2]);

/** A pair end's partner, or NULL (not a pair, or the partner was freed). */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_pair_get_partner(struct bufferevent *bev);

/** The largest allowed rate or burst. */
#define EV_RATE_LIMIT_MAX EV_SSIZE_MAX

/**
 * A token bucket configuration: rates and bursts in bytes per tick
 * (tick_len NULL: one second).  @return it, or NULL for a zero rate, a
 * rate above its burst, or a value above EV_RATE_LIMIT_MAX.
 */
EVENT2_EXPORT_SYMBOL
struct ev_token_bucket_cfg *ev_token_bucket_cfg_new(
    size_t read_rate, size_t read_burst,
    size_t write_rate, size_t write_burst,
    const struct timeval *tick_len);

/** Frees a configuration no bufferevent or group uses any more. */
EVENT2_EXPORT_SYMBOL
void ev_token_bucket_cfg_free(struct ev_token_bucket_cfg *cfg);

/** Limits a bufferevent (NULL: no limit).  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_rate_limit(struct bufferevent *bev,
    struct ev_token_bucket_cfg *cfg);

/** A group sharing one bucket.  @return it, or NULL. */
EVENT2_EXPORT_SYMBOL
struct bufferevent_rate_limit_group *bufferevent_rate_limit_group_new(
    struct event_base *base, const struct ev_token_bucket_cfg *cfg);

/** Changes a group's configuration.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_set_cfg(
    struct bufferevent_rate_limit_group *group,
    const struct ev_token_bucket_cfg *cfg);

/** The least a member may move per tick (default 64).  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_set_min_share(
    struct bufferevent_rate_limit_group *group, size_t min_share);

/** Frees a group (members still in it leave it first, with a log line). */
EVENT2_EXPORT_SYMBOL
void bufferevent_rate_limit_group_free(struct bufferevent_rate_limit_group *g);

/** Puts a bufferevent in a group.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_add_to_rate_limit_group(struct bufferevent *bev,
    struct bufferevent_rate_limit_group *g);

/** Takes it out of its group.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_remove_from_rate_limit_group(struct bufferevent *bev);

/** The largest single read (0 or huge: the default, 16384).  @return 0. */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_max_single_read(struct bufferevent *bev, size_t size);

/** The largest single write.  @return 0. */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_max_single_write(struct bufferevent *bev, size_t size);

/** The largest single read. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_single_read(struct bufferevent *bev);

/** The largest single write. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_single_write(struct bufferevent *bev);

/** The bucket's read allowance (EV_SSIZE_MAX without a limit). */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_read_limit(struct bufferevent *bev);

/** The bucket's write allowance. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_write_limit(struct bufferevent *bev);

/** What the next read may take, all limits considered. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_to_read(struct bufferevent *bev);

/** What the next write may take. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_to_write(struct bufferevent *bev);

/** The bufferevent's configuration, or NULL. */
EVENT2_EXPORT_SYMBOL
const struct ev_token_bucket_cfg *bufferevent_get_token_bucket_cfg(
    const struct bufferevent *bev);

/** A group's read allowance. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_rate_limit_group_get_read_limit(
    struct bufferevent_rate_limit_group *grp);

/** A group's write allowance. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_rate_limit_group_get_write_limit(
    struct bufferevent_rate_limit_group *grp);

/** Takes decr from the read allowance (negative: gives).  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_decrement_read_limit(struct bufferevent *bev,
    ev_ssize_t decr);

/** Takes decr from the write allowance.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_decrement_write_limit(struct bufferevent *bev,
    ev_ssize_t decr);

/** Takes decr from a group's read allowance.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_decrement_read(
    struct bufferevent_rate_limit_group *grp, ev_ssize_t decr);

/** Takes decr from a group's write allowance.  @return 0, or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_decrement_write(
    struct bufferevent_rate_limit_group *grp, ev_ssize_t decr);

/** Bytes the group's members read and wrote since the last reset. */
EVENT2_EXPORT_SYMBOL
void bufferevent_rate_limit_group_get_totals(
    struct bufferevent_rate_limit_group *grp,
    ev_uint64_t *total_read_out, ev_uint64_t *total_written_out);

/** Zeroes the group's totals. */
EVENT2_EXPORT_SYMBOL
void bufferevent_rate_limit_group_reset_totals(
    struct bufferevent_rate_limit_group *grp);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_H_INCLUDED_ */
