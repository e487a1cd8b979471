/*
 * oxevent: event2/dns.h
 *
 * evdns: an asynchronous DNS resolver (A, AAAA and PTR lookups over UDP
 * with retransmits, several nameservers, the search list, /etc/hosts) and
 * a small DNS server, both driven by an event_base.  Part of
 * libevent_extra.
 */
#ifndef EVENT2_DNS_H_INCLUDED_
#define EVENT2_DNS_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct evdns_base;
struct evdns_request;
struct evdns_server_port;
struct evdns_server_request;
struct evdns_getaddrinfo_request;
struct in_addr;
struct in6_addr;
struct sockaddr;

/* Result codes of a lookup (the first argument of evdns_callback_type).
 * 1 to 5 are the nameserver's RCODE. */
#define DNS_ERR_NONE 0
#define DNS_ERR_FORMAT 1
#define DNS_ERR_SERVERFAILED 2
#define DNS_ERR_NOTEXIST 3
#define DNS_ERR_NOTIMPL 4
#define DNS_ERR_REFUSED 5
#define DNS_ERR_TRUNCATED 65
#define DNS_ERR_UNKNOWN 66
#define DNS_ERR_TIMEOUT 67
#define DNS_ERR_SHUTDOWN 68
#define DNS_ERR_CANCEL 69
#define DNS_ERR_NODATA 70

/* The type of the addresses handed to evdns_callback_type. */
#define DNS_IPv4_A 1
#define DNS_PTR 2
#define DNS_IPv6_AAAA 3

/* Lookup flags. */
#define DNS_QUERY_NO_SEARCH 1
#define DNS_NO_SEARCH DNS_QUERY_NO_SEARCH

/* What evdns_base_resolv_conf_parse takes from the file. */
#define DNS_OPTION_SEARCH 1
#define DNS_OPTION_NAMESERVERS 2
#define DNS_OPTION_MISC 4
#define DNS_OPTION_HOSTSFILE 8
#define DNS_OPTIONS_ALL (DNS_OPTION_SEARCH | DNS_OPTION_NAMESERVERS | \
    DNS_OPTION_MISC | DNS_OPTION_HOSTSFILE)
/* Do not fall back to 127.0.0.1 when the file names no nameserver. */
#define DNS_OPTION_NAMESERVERS_NO_DEFAULT 16

/** A lookup's result: code, DNS_IPv4_A/DNS_PTR/DNS_IPv6_AAAA, how many
 * addresses, their TTL, the addresses (in_addr, in6_addr or a char * name
 * for PTR) and the caller's argument. */
typedef void (*evdns_callback_type)(int result, char type, int count,
    int ttl, void *addresses, void *arg);

/* evdns_base_new flags. */
#define EVDNS_BASE_INITIALIZE_NAMESERVERS 1
#define EVDNS_BASE_DISABLE_WHEN_INACTIVE 0x8000
#define EVDNS_BASE_NAMESERVERS_NO_DEFAULT 0x10000

/** A resolver on event_base; with EVDNS_BASE_INITIALIZE_NAMESERVERS it
 * reads /etc/resolv.conf.  @return it, or NULL. */
EVENT2_EXPORT_SYMBOL
struct evdns_base *evdns_base_new(struct event_base *event_base, int flags);
/** Frees it; with fail_requests, pending lookups get DNS_ERR_SHUTDOWN. */
EVENT2_EXPORT_SYMBOL
void evdns_base_free(struct evdns_base *base, int fail_requests);
/** Forgets the addresses loaded from a hosts file. */
EVENT2_EXPORT_SYMBOL
void evdns_base_clear_host_addresses(struct evdns_base *base);
/** A DNS_ERR_* code's description. */
EVENT2_EXPORT_SYMBOL
const char *evdns_err_to_string(int err);

/** Adds an IPv4 nameserver (network byte order, port 53). */
EVENT2_EXPORT_SYMBOL
int evdns_base_nameserver_add(struct evdns_base *base,
    unsigned long int address);
/** How many nameservers are configured. */
EVENT2_EXPORT_SYMBOL
int evdns_base_count_nameservers(struct evdns_base *base);
/** Removes every nameserver and holds new lookups until resume. */
EVENT2_EXPORT_SYMBOL
int evdns_base_clear_nameservers_and_suspend(struct evdns_base *base);
/** Sends the lookups held since the suspension. */
EVENT2_EXPORT_SYMBOL
int evdns_base_resume(struct evdns_base *base);
/** Adds a nameserver given as text: "1.2.3.4", "1.2.3.4:53", "::1",
 * "[::1]:53". */
EVENT2_EXPORT_SYMBOL
int evdns_base_nameserver_ip_add(struct evdns_base *base,
    const char *ip_as_string);
/** Adds a nameserver by address. */
EVENT2_EXPORT_SYMBOL
int evdns_base_nameserver_sockaddr_add(struct evdns_base *base,
    const struct sockaddr *sa, ev_socklen_t len, unsigned flags);

/** Looks up name's IPv4 addresses.  @return the request, or NULL. */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_ipv4(struct evdns_base *base,
    const char *name, int flags, evdns_callback_type callback, void *ptr);
/** Looks up name's IPv6 addresses. */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_ipv6(struct evdns_base *base,
    const char *name, int flags, evdns_callback_type callback, void *ptr);
/** Looks up the name of an IPv4 address (in-addr.arpa). */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_reverse(struct evdns_base *base,
    const struct in_addr *in, int flags, evdns_callback_type callback,
    void *ptr);
/** Looks up the name of an IPv6 address (ip6.arpa). */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_reverse_ipv6(
    struct evdns_base *base, const struct in6_addr *in, int flags,
    evdns_callback_type callback, void *ptr);
/** Cancels a lookup: its callback runs with DNS_ERR_CANCEL. */
EVENT2_EXPORT_SYMBOL
void evdns_cancel_request(struct evdns_base *base, struct evdns_request *req);

/** Sets an option by name ("ndots:", "timeout:", "attempts:", ...).
 * @return 0, or -1 for an unknown option or a bad value. */
EVENT2_EXPORT_SYMBOL
int evdns_base_set_option(struct evdns_base *base, const char *option,
    const char *val);
/** Reads a resolv.conf file: 0, or 1 (cannot open), 2 (cannot stat),
 * 3 (too large), 4 (out of memory), 5 (short read), 6 (no nameserver). */
EVENT2_EXPORT_SYMBOL
int evdns_base_resolv_conf_parse(struct evdns_base *base, int flags,
    const char *const filename);
/** Reads a hosts file (NULL: /etc/hosts).  @return 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_base_load_hosts(struct evdns_base *base, const char *hosts_fname);

/** Empties the search list. */
EVENT2_EXPORT_SYMBOL
void evdns_base_search_clear(struct evdns_base *base);
/** Appends a domain to the search list. */
EVENT2_EXPORT_SYMBOL
void evdns_base_search_add(struct evdns_base *base, const char *domain);
/** Names with fewer dots than ndots are tried with the search list first. */
EVENT2_EXPORT_SYMBOL
void evdns_base_search_ndots_set(struct evdns_base *base, const int ndots);

/** Receives evdns's log lines (is_warning: 1 for warnings). */
typedef void (*evdns_debug_log_fn_type)(int is_warning, const char *msg);
EVENT2_EXPORT_SYMBOL
void evdns_set_log_fn(evdns_debug_log_fn_type fn);
/** Deprecated: transaction ids come from evdns_set_random_bytes_fn's
 * function (or the library's own generator). */
EVENT2_EXPORT_SYMBOL
void evdns_set_transaction_id_fn(ev_uint16_t (*fn)(void));
/** Deprecated: the source of random bytes for ids and 0x20 case. */
EVENT2_EXPORT_SYMBOL
void evdns_set_random_bytes_fn(void (*fn)(char *, size_t));

/* The DNS server. */

/** Called with each request the server port receives. */
typedef void (*evdns_request_callback_fn_type)(
    struct evdns_server_request *, void *);

#define EVDNS_ANSWER_SECTION 0
#define EVDNS_AUTHORITY_SECTION 1
#define EVDNS_ADDITIONAL_SECTION 2

#define EVDNS_TYPE_A 1
#define EVDNS_TYPE_NS 2
#define EVDNS_TYPE_CNAME 5
#define EVDNS_TYPE_SOA 6
#define EVDNS_TYPE_PTR 12
#define EVDNS_TYPE_MX 15
#define EVDNS_TYPE_TXT 16
#define EVDNS_TYPE_AAAA 28

#define EVDNS_QTYPE_AXFR 252
#define EVDNS_QTYPE_ALL 255

#define EVDNS_CLASS_INET 1

#define EVDNS_FLAGS_AA 0x400
#define EVDNS_FLAGS_RD 0x080

/** Serves DNS on a bound UDP socket.  @return the port, or NULL. */
EVENT2_EXPORT_SYMBOL
struct evdns_server_port *evdns_add_server_port_with_base(
    struct event_base *base, evutil_socket_t socket, int flags,
    evdns_request_callback_fn_type callback, void *user_data);
/** Stops serving and frees the port. */
EVENT2_EXPORT_SYMBOL
void evdns_close_server_port(struct evdns_server_port *port);
/** Sets the reply's header flags (EVDNS_FLAGS_AA, EVDNS_FLAGS_RD). */
EVENT2_EXPORT_SYMBOL
void evdns_server_request_set_flags(struct evdns_server_request *req,
    int flags);
/** Adds a record to a section of the reply (data: is_name ? a name :
 * datalen raw bytes). */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_reply(struct evdns_server_request *req,
    int section, const char *name, int type, int dns_class, int ttl,
    int datalen, int is_name, const char *data);
/** Adds n A records (addrs: n in_addr_t). */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_a_reply(struct evdns_server_request *req,
    const char *name, int n, const void *addrs, int ttl);
/** Adds n AAAA records (addrs: n 16-byte addresses). */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_aaaa_reply(struct evdns_server_request *req,
    const char *name, int n, const void *addrs, int ttl);
/** Adds a PTR record for in (or for inaddr_name when in is NULL). */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_ptr_reply(struct evdns_server_request *req,
    struct in_addr *in, const char *inaddr_name, const char *hostname,
    int ttl);
/** Adds a CNAME record. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_cname_reply(struct evdns_server_request *req,
    const char *name, const char *cname, int ttl);
/** Sends the reply with RCODE err and frees the request. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_respond(struct evdns_server_request *req, int err);
/** Frees the request without replying. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_drop(struct evdns_server_request *req);
/** Copies the requester's address.  @return 0, or -1 if addr_len is too
 * small. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_get_requesting_addr(struct evdns_server_request *req,
    struct sockaddr *sa, int addr_len);

/** evdns_getaddrinfo's callback: a getaddrinfo error code (0, or an
 * EVUTIL_EAI_* value) and the results (free with evutil_freeaddrinfo). */
typedef void (*evdns_getaddrinfo_cb)(int result, struct evutil_addrinfo *res,
    void *arg);
/** getaddrinfo without blocking.  When the answer is known at once (a
 * numeric host, the hosts file, an error), cb runs before this returns and
 * the result is NULL. */
EVENT2_EXPORT_SYMBOL
struct evdns_getaddrinfo_request *evdns_getaddrinfo(
    struct evdns_base *dns_base, const char *nodename, const char *servname,
    const struct evutil_addrinfo *hints_in, evdns_getaddrinfo_cb cb,
    void *arg);
/** Cancels it before its callback ran (cb then gets EVUTIL_EAI_CANCEL). */
EVENT2_EXPORT_SYMBOL
void evdns_getaddrinfo_cancel(struct evdns_getaddrinfo_request *req);

/** Copies the idx'th nameserver's address.  @return its length, -1 for
 * no such nameserver, or a length above len if len is too small. */
EVENT2_EXPORT_SYMBOL
int evdns_base_get_nameserver_addr(struct evdns_base *base, int idx,
    struct sockaddr *sa, ev_socklen_t len);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_DNS_H_INCLUDED_ */
