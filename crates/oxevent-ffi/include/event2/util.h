/*
 * oxevent: event2/util.h
 *
 * Portable integer and socket types, timeval helpers, socket utilities,
 * address parsing, getaddrinfo wrappers and the secure random generator,
 * with the declarations of libevent 2.1.12's evutil API.
 */
#ifndef EVENT2_UTIL_H_INCLUDED_
#define EVENT2_UTIL_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event-config.h>

#include <sys/types.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>
#include <errno.h>
#include <netdb.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Integer types (macros, as in libevent, so #ifdef works on them) ---- */

#define ev_uint64_t uint64_t
#define ev_int64_t int64_t
#define ev_uint32_t uint32_t
#define ev_int32_t int32_t
#define ev_uint16_t uint16_t
#define ev_int16_t int16_t
#define ev_uint8_t uint8_t
#define ev_int8_t int8_t
#define ev_uintptr_t uintptr_t
#define ev_intptr_t intptr_t

/** Signed size as returned by read()/write(): 8 bytes here. */
#define ev_ssize_t ssize_t
/** File offset: always 64-bit. */
#define ev_off_t ev_int64_t
/** Length of a socket address. */
#define ev_socklen_t socklen_t
/** A socket (or any file descriptor) as libevent sees it: an int on POSIX. */
#define evutil_socket_t int

/* Limits of the types above. */
#define EV_UINT64_MAX UINT64_MAX
#define EV_INT64_MAX INT64_MAX
#define EV_INT64_MIN INT64_MIN
#define EV_UINT32_MAX UINT32_MAX
#define EV_INT32_MAX INT32_MAX
#define EV_INT32_MIN INT32_MIN
#define EV_UINT16_MAX UINT16_MAX
#define EV_INT16_MAX INT16_MAX
#define EV_INT16_MIN INT16_MIN
#define EV_UINT8_MAX UINT8_MAX
#define EV_INT8_MAX INT8_MAX
#define EV_INT8_MIN INT8_MIN
#define EV_SIZE_MAX EV_UINT64_MAX
#define EV_SSIZE_MAX EV_INT64_MAX
#define EV_SSIZE_MIN ((-EV_SSIZE_MAX) - 1)

/* ---- Monotonic timers ---- */

/** Opaque monotonic clock handle. */
struct evutil_monotonic_timer;

/** Flag for evutil_configure_monotonic_time: prefer the most precise clock. */
#define EV_MONOT_PRECISE 1
/** Flag for evutil_configure_monotonic_time: use the fallback clock. */
#define EV_MONOT_FALLBACK 2

/** Format tm as an RFC 1123 date ("Sun, 06 Nov 1994 08:49:37 GMT"). */
EVENT2_EXPORT_SYMBOL
int evutil_date_rfc1123(char *date, const size_t datelen, const struct tm *tm);

/** Allocate a monotonic timer; NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evutil_monotonic_timer *evutil_monotonic_timer_new(void);

/** Release a timer from evutil_monotonic_timer_new. */
EVENT2_EXPORT_SYMBOL
void evutil_monotonic_timer_free(struct evutil_monotonic_timer *timer);

/** Choose the clock behind timer (EV_MONOT_* flags); 0 on success. */
EVENT2_EXPORT_SYMBOL
int evutil_configure_monotonic_time(struct evutil_monotonic_timer *timer,
    int flags);

/** Read timer into tp; 0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int evutil_gettime_monotonic(struct evutil_monotonic_timer *timer,
    struct timeval *tp);

/* ---- Sockets ---- */

/** socketpair(2) with a loopback emulation where needed; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evutil_socketpair(int d, int type, int protocol, evutil_socket_t sv[2]);

/** Set O_NONBLOCK on sock; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evutil_make_socket_nonblocking(evutil_socket_t sock);

/** Let a listener's address be reused right after close (SO_REUSEADDR). */
EVENT2_EXPORT_SYMBOL
int evutil_make_listen_socket_reuseable(evutil_socket_t sock);

/** Let several listeners share one port (SO_REUSEPORT). */
EVENT2_EXPORT_SYMBOL
int evutil_make_listen_socket_reuseable_port(evutil_socket_t sock);

/** Make an IPv6 listener refuse IPv4-mapped peers (IPV6_V6ONLY). */
EVENT2_EXPORT_SYMBOL
int evutil_make_listen_socket_ipv6only(evutil_socket_t sock);

/** Set FD_CLOEXEC on sock; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evutil_make_socket_closeonexec(evutil_socket_t sock);

/** Close a socket; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evutil_closesocket(evutil_socket_t sock);

#define EVUTIL_CLOSESOCKET(s) evutil_closesocket(s)

/** Delay accept() wake-ups until data arrives (TCP_DEFER_ACCEPT). */
EVENT2_EXPORT_SYMBOL
int evutil_make_tcp_listen_socket_deferred(evutil_socket_t sock);

/* On POSIX the socket error is errno. */
#define EVUTIL_SOCKET_ERROR() (errno)
#define EVUTIL_SET_SOCKET_ERROR(errcode) \
	do { errno = (errcode); } while (0)
#define evutil_socket_geterror(sock) (errno)
#define evutil_socket_error_to_string(errcode) (strerror(errcode))
#define EVUTIL_INVALID_SOCKET -1

/* ---- struct timeval arithmetic ---- */

#ifdef timeradd
#define evutil_timeradd(tvp, uvp, vvp) timeradd((tvp), (uvp), (vvp))
#else
#define evutil_timeradd(tvp, uvp, vvp)                                  \
	do {                                                            \
		(vvp)->tv_sec = (tvp)->tv_sec + (uvp)->tv_sec;          \
		(vvp)->tv_usec = (tvp)->tv_usec + (uvp)->tv_usec;       \
		if ((vvp)->tv_usec >= 1000000) {                        \
			(vvp)->tv_usec -= 1000000;                      \
			++(vvp)->tv_sec;                                \
		}                                                       \
	} while (0)
#endif

#ifdef timersub
#define evutil_timersub(tvp, uvp, vvp) timersub((tvp), (uvp), (vvp))
#else
#define evutil_timersub(tvp, uvp, vvp)                                  \
	do {                                                            \
		(vvp)->tv_sec = (tvp)->tv_sec - (uvp)->tv_sec;          \
		(vvp)->tv_usec = (tvp)->tv_usec - (uvp)->tv_usec;       \
		if ((vvp)->tv_usec < 0) {                               \
			(vvp)->tv_usec += 1000000;                      \
			--(vvp)->tv_sec;                                \
		}                                                       \
	} while (0)
#endif

#ifdef timerclear
#define evutil_timerclear(tvp) timerclear(tvp)
#else
#define evutil_timerclear(tvp) ((tvp)->tv_sec = (tvp)->tv_usec = 0)
#endif

/** Compare two timevals with operator cmp (<, <=, ==, >, >=, !=). */
#define evutil_timercmp(tvp, uvp, cmp)                                  \
	(((tvp)->tv_sec == (uvp)->tv_sec) ?                             \
	    ((tvp)->tv_usec cmp (uvp)->tv_usec) :                       \
	    ((tvp)->tv_sec cmp (uvp)->tv_sec))

#ifdef timerisset
#define evutil_timerisset(tvp) timerisset(tvp)
#else
#define evutil_timerisset(tvp) ((tvp)->tv_sec != 0 || (tvp)->tv_usec != 0)
#endif

#define evutil_offsetof(type, field) offsetof(type, field)

#define evutil_gettimeofday(tv, tz) gettimeofday((tv), (tz))

/* ---- Strings and formatting ---- */

/** strtoll(3) that works everywhere. */
EVENT2_EXPORT_SYMBOL
ev_int64_t evutil_strtoll(const char *s, char **endptr, int base);

/** snprintf(3) that always NUL-terminates; returns the untruncated length. */
EVENT2_EXPORT_SYMBOL
int evutil_snprintf(char *buf, size_t buflen, const char *format, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 3, 4)))
#endif
	;

/** vsnprintf(3) counterpart of evutil_snprintf. */
EVENT2_EXPORT_SYMBOL
int evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap)
#ifdef __GNUC__
	__attribute__((format(printf, 3, 0)))
#endif
	;

/** ASCII-only, locale-independent strcasecmp. */
EVENT2_EXPORT_SYMBOL
int evutil_ascii_strcasecmp(const char *str1, const char *str2);

/** ASCII-only, locale-independent strncasecmp. */
EVENT2_EXPORT_SYMBOL
int evutil_ascii_strncasecmp(const char *str1, const char *str2, size_t n);

/* ---- Addresses ---- */

struct sockaddr;

/** inet_ntop(3). */
EVENT2_EXPORT_SYMBOL
const char *evutil_inet_ntop(int af, const void *src, char *dst, size_t len);

/** inet_pton(3) that also accepts an IPv6 "%scope" suffix into *indexp. */
EVENT2_EXPORT_SYMBOL
int evutil_inet_pton_scope(int af, const char *src, void *dst,
    unsigned *indexp);

/** inet_pton(3). */
EVENT2_EXPORT_SYMBOL
int evutil_inet_pton(int af, const char *src, void *dst);

/** Parse "addr", "addr:port", "[v6]" or "[v6]:port" into out (*outlen in/out). */
EVENT2_EXPORT_SYMBOL
int evutil_parse_sockaddr_port(const char *str, struct sockaddr *out,
    int *outlen);

/** Order two socket addresses (family, address, then port if include_port). */
EVENT2_EXPORT_SYMBOL
int evutil_sockaddr_cmp(const struct sockaddr *sa1, const struct sockaddr *sa2,
    int include_port);

/* ---- getaddrinfo ---- */

/* The system provides struct addrinfo, so evutil's is the same type. */
#define evutil_addrinfo addrinfo

/*
 * Error codes.  Each takes the system's value when <netdb.h> made it visible
 * to this translation unit, and libevent's private fallback otherwise.
 */
#ifdef EAI_ADDRFAMILY
#define EVUTIL_EAI_ADDRFAMILY EAI_ADDRFAMILY
#else
#define EVUTIL_EAI_ADDRFAMILY -901
#endif
#ifdef EAI_AGAIN
#define EVUTIL_EAI_AGAIN EAI_AGAIN
#else
#define EVUTIL_EAI_AGAIN -902
#endif
#ifdef EAI_BADFLAGS
#define EVUTIL_EAI_BADFLAGS EAI_BADFLAGS
#else
#define EVUTIL_EAI_BADFLAGS -903
#endif
#ifdef EAI_FAIL
#define EVUTIL_EAI_FAIL EAI_FAIL
#else
#define EVUTIL_EAI_FAIL -904
#endif
#ifdef EAI_FAMILY
#define EVUTIL_EAI_FAMILY EAI_FAMILY
#else
#define EVUTIL_EAI_FAMILY -905
#endif
#ifdef EAI_MEMORY
#define EVUTIL_EAI_MEMORY EAI_MEMORY
#else
#define EVUTIL_EAI_MEMORY -906
#endif
#if defined(EAI_NODATA) && (!defined(EAI_NONAME) || EAI_NODATA != EAI_NONAME)
#define EVUTIL_EAI_NODATA EAI_NODATA
#else
#define EVUTIL_EAI_NODATA -907
#endif
#ifdef EAI_NONAME
#define EVUTIL_EAI_NONAME EAI_NONAME
#else
#define EVUTIL_EAI_NONAME -908
#endif
#ifdef EAI_SERVICE
#define EVUTIL_EAI_SERVICE EAI_SERVICE
#else
#define EVUTIL_EAI_SERVICE -909
#endif
#ifdef EAI_SOCKTYPE
#define EVUTIL_EAI_SOCKTYPE EAI_SOCKTYPE
#else
#define EVUTIL_EAI_SOCKTYPE -910
#endif
#ifdef EAI_SYSTEM
#define EVUTIL_EAI_SYSTEM EAI_SYSTEM
#else
#define EVUTIL_EAI_SYSTEM -911
#endif
/** A request was cancelled (evdns_getaddrinfo_cancel); no system twin. */
#define EVUTIL_EAI_CANCEL -90001

/* Hint flags, chosen the same way as the error codes. */
#ifdef AI_PASSIVE
#define EVUTIL_AI_PASSIVE AI_PASSIVE
#else
#define EVUTIL_AI_PASSIVE 0x1000
#endif
#ifdef AI_CANONNAME
#define EVUTIL_AI_CANONNAME AI_CANONNAME
#else
#define EVUTIL_AI_CANONNAME 0x2000
#endif
#ifdef AI_NUMERICHOST
#define EVUTIL_AI_NUMERICHOST AI_NUMERICHOST
#else
#define EVUTIL_AI_NUMERICHOST 0x4000
#endif
#ifdef AI_NUMERICSERV
#define EVUTIL_AI_NUMERICSERV AI_NUMERICSERV
#else
#define EVUTIL_AI_NUMERICSERV 0x8000
#endif
#ifdef AI_V4MAPPED
#define EVUTIL_AI_V4MAPPED AI_V4MAPPED
#else
#define EVUTIL_AI_V4MAPPED 0x10000
#endif
#ifdef AI_ALL
#define EVUTIL_AI_ALL AI_ALL
#else
#define EVUTIL_AI_ALL 0x20000
#endif
#ifdef AI_ADDRCONFIG
#define EVUTIL_AI_ADDRCONFIG AI_ADDRCONFIG
#else
#define EVUTIL_AI_ADDRCONFIG 0x40000
#endif

struct evutil_addrinfo;

/** getaddrinfo(3) with libevent's extra guarantees; 0 or an EVUTIL_EAI_* code. */
EVENT2_EXPORT_SYMBOL
int evutil_getaddrinfo(const char *nodename, const char *servname,
    const struct evutil_addrinfo *hints_in, struct evutil_addrinfo **res);

/** Free a list returned by evutil_getaddrinfo. */
EVENT2_EXPORT_SYMBOL
void evutil_freeaddrinfo(struct evutil_addrinfo *ai);

/** Message for an EVUTIL_EAI_* code. */
EVENT2_EXPORT_SYMBOL
const char *evutil_gai_strerror(int err);

/* ---- Secure random numbers ---- */

/** Fill buf with n unpredictable bytes. */
EVENT2_EXPORT_SYMBOL
void evutil_secure_rng_get_bytes(void *buf, size_t n);

/** Seed the generator now rather than on first use; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evutil_secure_rng_init(void);

/** Use fname instead of /dev/urandom as the seed source; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evutil_secure_rng_set_urandom_device_file(char *fname);

/** Stir datlen extra bytes of entropy into the generator. */
EVENT2_EXPORT_SYMBOL
void evutil_secure_rng_add_bytes(const char *dat, size_t datlen);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_UTIL_H_INCLUDED_ */
