/*
 * oxevent: event2/visibility.h
 *
 * Export markers used in front of every public declaration.  oxevent's
 * libraries are built by Rust, which decides on its own which symbols are
 * exported, so for programs that include these headers the markers are
 * empty.
 */
#ifndef EVENT2_VISIBILITY_H_INCLUDED_
#define EVENT2_VISIBILITY_H_INCLUDED_

#include <event2/event-config.h>

#ifndef EVENT2_EXPORT_SYMBOL
#define EVENT2_EXPORT_SYMBOL
#endif

#ifndef EVENT2_CORE_EXPORT_SYMBOL
#define EVENT2_CORE_EXPORT_SYMBOL EVENT2_EXPORT_SYMBOL
#endif

#endif /* EVENT2_VISIBILITY_H_INCLUDED_ */
