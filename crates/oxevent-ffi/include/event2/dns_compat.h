/*
 * oxevent: event2/dns_compat.h
 *
 * libevent 1.x's evdns calls: the event2/dns.h calls on one global
 * evdns_base, made by evdns_init on the current event_base.
 */
#ifndef EVENT2_DNS_COMPAT_H_INCLUDED_
#define EVENT2_DNS_COMPAT_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/util.h>
#include <event2/dns.h>

#ifdef __cplusplus
extern "C" {
#endif

struct in_addr;
struct in6_addr;

/** Makes the global evdns_base (reading /etc/resolv.conf).  @return 0. */
EVENT2_EXPORT_SYMBOL
int evdns_init(void);
/** The global evdns_base, or NULL before evdns_init. */
EVENT2_EXPORT_SYMBOL
struct evdns_base *evdns_get_global_base(void);
/** Frees the global evdns_base. */
EVENT2_EXPORT_SYMBOL
void evdns_shutdown(int fail_requests);
EVENT2_EXPORT_SYMBOL
int evdns_nameserver_add(unsigned long int address);
EVENT2_EXPORT_SYMBOL
int evdns_count_nameservers(void);
EVENT2_EXPORT_SYMBOL
int evdns_clear_nameservers_and_suspend(void);
EVENT2_EXPORT_SYMBOL
int evdns_resume(void);
EVENT2_EXPORT_SYMBOL
int evdns_nameserver_ip_add(const char *ip_as_string);
/** The global-base lookups return 0 (started) or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_resolve_ipv4(const char *name, int flags,
    evdns_callback_type callback, void *ptr);
EVENT2_EXPORT_SYMBOL
int evdns_resolve_ipv6(const char *name, int flags,
    evdns_callback_type callback, void *ptr);
EVENT2_EXPORT_SYMBOL
int evdns_resolve_reverse(const struct in_addr *in, int flags,
    evdns_callback_type callback, void *ptr);
EVENT2_EXPORT_SYMBOL
int evdns_resolve_reverse_ipv6(const struct in6_addr *in, int flags,
    evdns_callback_type callback, void *ptr);
/** As evdns_base_set_option (flags: DNS_OPTION_* the option belongs to). */
EVENT2_EXPORT_SYMBOL
int evdns_set_option(const char *option, const char *val, int flags);
EVENT2_EXPORT_SYMBOL
int evdns_resolv_conf_parse(int flags, const char *const filename);
EVENT2_EXPORT_SYMBOL
void evdns_search_clear(void);
EVENT2_EXPORT_SYMBOL
void evdns_search_add(const char *domain);
EVENT2_EXPORT_SYMBOL
void evdns_search_ndots_set(const int ndots);
/** evdns_add_server_port_with_base on the current event_base. */
EVENT2_EXPORT_SYMBOL
struct evdns_server_port *evdns_add_server_port(evutil_socket_t socket,
    int flags, evdns_request_callback_fn_type callback, void *user_data);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_DNS_COMPAT_H_INCLUDED_ */
