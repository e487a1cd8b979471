/*
 * oxevent: event2/buffer_compat.h
 *
 * The evbuffer calls of libevent 1.x, kept for old programs: a line
 * reader, a single size-change callback, a search that returns a pointer,
 * and the EVBUFFER_LENGTH/EVBUFFER_DATA macros.
 */
#ifndef EVENT2_BUFFER_COMPAT_H_INCLUDED_
#define EVENT2_BUFFER_COMPAT_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event-config.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct evbuffer;

/**
 * evbuffer_readln(buffer, NULL, EVBUFFER_EOL_ANY): removes the first line
 * ended by any run of CR and LF characters.  @return it (free it), or NULL.
 */
EVENT2_EXPORT_SYMBOL
char *evbuffer_readline(struct evbuffer *buffer);

/**
 * The 1.x callback: the buffer, its length before the changes reported,
 * its length after them, and the argument.
 */
typedef void (*evbuffer_cb)(struct evbuffer *buffer, size_t old_len,
    size_t new_len, void *arg);

/**
 * Replaces every callback of the buffer with cb (NULL: removes them all).
 * @return 0, or -1.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_setcb(struct evbuffer *buffer, evbuffer_cb cb, void *cbarg);

/**
 * The first occurrence of len bytes what.  @return a pointer to it inside
 * the buffer (whose start is made contiguous up to its end), or NULL.
 */
EVENT2_EXPORT_SYMBOL
unsigned char *evbuffer_find(struct evbuffer *buffer,
    const unsigned char *what, size_t len);

/** The buffer's length. */
#define EVBUFFER_LENGTH(x)	evbuffer_get_length(x)
/** All the buffer's bytes, made contiguous (NULL when empty). */
#define EVBUFFER_DATA(x)	evbuffer_pullup((x), -1)

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFER_COMPAT_H_INCLUDED_ */
