/*
 * oxevent: evbuffer.h
 *
 * The libevent 1.x name for the evbuffer API: event2/buffer.h with its
 * 1.x compatibility calls (event2/buffer_compat.h).
 */
#ifndef EVENT1_EVBUFFER_H_INCLUDED_
#define EVENT1_EVBUFFER_H_INCLUDED_

#include <event2/buffer.h>
#include <event2/buffer_compat.h>

#endif /* EVENT1_EVBUFFER_H_INCLUDED_ */
