/*
 * oxevent: event.h
 *
 * The libevent 1.x umbrella header (tmux and other older programs include
 * <event.h>).  It pulls in the event2 headers that exist in oxevent today.
 *
 * event2/tag.h and event2/tag_compat.h join this list when tag support
 * exists.
 */
#ifndef EVENT1_EVENT_H_INCLUDED_
#define EVENT1_EVENT_H_INCLUDED_

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>
#include <stdint.h>
#include <stdarg.h>

#include <evutil.h>
#include <event2/util.h>
#include <event2/event_struct.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/bufferevent_compat.h>

#endif /* EVENT1_EVENT_H_INCLUDED_ */
