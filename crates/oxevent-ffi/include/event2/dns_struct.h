/*
 * oxevent: event2/dns_struct.h
 *
 * The public part of a DNS server request: what a server callback reads.
 * The layout is libevent 2.1's (a request is 16 bytes on x86_64; a
 * question is 12 bytes before its name, which runs past the struct).
 */
#ifndef EVENT2_DNS_STRUCT_H_INCLUDED_
#define EVENT2_DNS_STRUCT_H_INCLUDED_

#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

struct evdns_server_request {
	/** The request's header flags. */
	int flags;
	int nquestions;
	struct evdns_server_question **questions;
};

struct evdns_server_question {
	/** EVDNS_TYPE_* or EVDNS_QTYPE_*. */
	int type;
#ifdef __cplusplus
	int dns_question_class;
#else
	/* C reads it as dns_question_class too ("class" is C++'s keyword). */
	int class;
#define dns_question_class class
#endif
	/** The name asked, NUL-terminated. */
	char name[1];
};

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_DNS_STRUCT_H_INCLUDED_ */
