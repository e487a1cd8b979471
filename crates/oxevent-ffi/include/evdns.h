/*
 * oxevent: evdns.h
 *
 * The libevent 1.x name for evdns: event.h plus event2/dns.h, its 1.x
 * compatibility calls and its public structs.
 */
#ifndef EVENT1_EVDNS_H_INCLUDED_
#define EVENT1_EVDNS_H_INCLUDED_

#include <event.h>
#include <event2/dns.h>
#include <event2/dns_compat.h>
#include <event2/dns_struct.h>

#endif /* EVENT1_EVDNS_H_INCLUDED_ */
