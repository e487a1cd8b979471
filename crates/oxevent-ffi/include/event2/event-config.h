/*
 * oxevent: event2/event-config.h
 *
 * The build facts that libevent's configure step would have recorded, fixed
 * for the one platform oxevent targets: Linux on x86_64, glibc, pthreads,
 * with epoll, poll and select backends.  Every other public header reads
 * its platform assumptions from here.
 */
#ifndef EVENT2_EVENT_CONFIG_H_INCLUDED_
#define EVENT2_EVENT_CONFIG_H_INCLUDED_

/* Release identity: oxevent answers as libevent 2.1.12-stable. */
#define EVENT__VERSION "2.1.12-stable"
#define EVENT__NUMERIC_VERSION 0x02010c00
#define EVENT__PACKAGE "libevent"
#define EVENT__PACKAGE_NAME "libevent"
#define EVENT__PACKAGE_TARNAME "libevent"
#define EVENT__PACKAGE_VERSION "2.1.12-stable"
#define EVENT__PACKAGE_STRING "libevent 2.1.12-stable"
#define EVENT__PACKAGE_BUGREPORT ""
#define EVENT__PACKAGE_URL ""

/* Sizes of the C scalar types on x86_64 Linux (LP64). */
#define EVENT__SIZEOF_SHORT 2
#define EVENT__SIZEOF_INT 4
#define EVENT__SIZEOF_LONG 8
#define EVENT__SIZEOF_LONG_LONG 8
#define EVENT__SIZEOF_SIZE_T 8
#define EVENT__SIZEOF_OFF_T 8
#define EVENT__SIZEOF_TIME_T 8
#define EVENT__SIZEOF_VOID_P 8
#define EVENT__SIZEOF_PTHREAD_T 8

/* System headers that exist. */
#define EVENT__HAVE_ARPA_INET_H 1
#define EVENT__HAVE_DLFCN_H 1
#define EVENT__HAVE_ERRNO_H 1
#define EVENT__HAVE_FCNTL_H 1
#define EVENT__HAVE_IFADDRS_H 1
#define EVENT__HAVE_INTTYPES_H 1
#define EVENT__HAVE_NETDB_H 1
#define EVENT__HAVE_NETINET_IN_H 1
#define EVENT__HAVE_NETINET_TCP_H 1
#define EVENT__HAVE_POLL_H 1
#define EVENT__HAVE_STDARG_H 1
#define EVENT__HAVE_STDDEF_H 1
#define EVENT__HAVE_STDINT_H 1
#define EVENT__HAVE_STDIO_H 1
#define EVENT__HAVE_STDLIB_H 1
#define EVENT__HAVE_STRING_H 1
#define EVENT__HAVE_STRINGS_H 1
#define EVENT__HAVE_SYS_EPOLL_H 1
#define EVENT__HAVE_SYS_EVENTFD_H 1
#define EVENT__HAVE_SYS_IOCTL_H 1
#define EVENT__HAVE_SYS_MMAN_H 1
#define EVENT__HAVE_SYS_PARAM_H 1
#define EVENT__HAVE_SYS_QUEUE_H 1
#define EVENT__HAVE_SYS_RANDOM_H 1
#define EVENT__HAVE_SYS_RESOURCE_H 1
#define EVENT__HAVE_SYS_SELECT_H 1
#define EVENT__HAVE_SYS_SENDFILE_H 1
#define EVENT__HAVE_SYS_SOCKET_H 1
#define EVENT__HAVE_SYS_STAT_H 1
#define EVENT__HAVE_SYS_TIME_H 1
#define EVENT__HAVE_SYS_TIMERFD_H 1
#define EVENT__HAVE_SYS_TYPES_H 1
#define EVENT__HAVE_SYS_UIO_H 1
#define EVENT__HAVE_SYS_UN_H 1
#define EVENT__HAVE_SYS_WAIT_H 1
#define EVENT__HAVE_UNISTD_H 1
#define EVENT__HAVE_WCHAR_H 1
#define EVENT__TIME_WITH_SYS_TIME 1

/* Fixed-width integer types that <stdint.h> provides. */
#define EVENT__HAVE_UINT8_T 1
#define EVENT__HAVE_UINT16_T 1
#define EVENT__HAVE_UINT32_T 1
#define EVENT__HAVE_UINT64_T 1
#define EVENT__HAVE_UINTPTR_T 1

/* Event backends and kernel facilities. */
#define EVENT__HAVE_EPOLL 1
#define EVENT__HAVE_EPOLL_CREATE1 1
#define EVENT__HAVE_EPOLL_CTL 1
#define EVENT__HAVE_POLL 1
#define EVENT__HAVE_SELECT 1
#define EVENT__HAVE_EVENTFD 1
#define EVENT__HAVE_TIMERFD_CREATE 1
#define EVENT__HAVE_PIPE 1
#define EVENT__HAVE_PIPE2 1
#define EVENT__HAVE_SIGACTION 1
#define EVENT__HAVE_SIGNAL 1
#define EVENT__HAVE_SENDFILE 1
#define EVENT__HAVE_SPLICE 1
#define EVENT__HAVE_MMAP 1
#define EVENT__HAVE_ACCEPT4 1
#define EVENT__HAVE_FCNTL 1
#define EVENT__HAVE_SETFD 1
#define EVENT__HAVE_SETRLIMIT 1

/* Threads: the pthreads binding (evthread_use_pthreads) is available. */
#define EVENT__HAVE_PTHREADS 1

/* Time functions and the <sys/time.h> timer macros. */
#define EVENT__HAVE_CLOCK_GETTIME 1
#define EVENT__HAVE_GETTIMEOFDAY 1
#define EVENT__HAVE_NANOSLEEP 1
#define EVENT__HAVE_USLEEP 1
#define EVENT__HAVE_TIMERADD 1
#define EVENT__HAVE_TIMERCLEAR 1
#define EVENT__HAVE_TIMERCMP 1
#define EVENT__HAVE_TIMERISSET 1

/* Networking. */
#define EVENT__HAVE_GETADDRINFO 1
#define EVENT__HAVE_GETNAMEINFO 1
#define EVENT__HAVE_GETIFADDRS 1
#define EVENT__HAVE_GETPROTOBYNUMBER 1
#define EVENT__HAVE_GETSERVBYNAME 1
#define EVENT__HAVE_INET_NTOP 1
#define EVENT__HAVE_INET_PTON 1
#define EVENT__HAVE_SA_FAMILY_T 1
#define EVENT__HAVE_STRUCT_ADDRINFO 1
#define EVENT__HAVE_STRUCT_IN6_ADDR 1
#define EVENT__HAVE_STRUCT_IN6_ADDR_S6_ADDR16 1
#define EVENT__HAVE_STRUCT_IN6_ADDR_S6_ADDR32 1
#define EVENT__HAVE_STRUCT_LINGER 1
#define EVENT__HAVE_STRUCT_SOCKADDR_IN6 1
#define EVENT__HAVE_STRUCT_SOCKADDR_STORAGE 1
#define EVENT__HAVE_STRUCT_SOCKADDR_STORAGE_SS_FAMILY 1
#define EVENT__HAVE_STRUCT_SOCKADDR_UN 1

/* Miscellaneous libc functions. */
#define EVENT__HAVE_ARC4RANDOM 1
#define EVENT__HAVE_ARC4RANDOM_BUF 1
#define EVENT__HAVE_GETRANDOM 1
#define EVENT__HAVE_GETEGID 1
#define EVENT__HAVE_GETEUID 1
#define EVENT__HAVE_FD_MASK 1
#define EVENT__HAVE_PUTENV 1
#define EVENT__HAVE_SETENV 1
#define EVENT__HAVE_UNSETENV 1
#define EVENT__HAVE_UMASK 1
#define EVENT__HAVE_STRSEP 1
#define EVENT__HAVE_STRTOK_R 1
#define EVENT__HAVE_STRTOLL 1
#define EVENT__HAVE_VASPRINTF 1
#define EVENT__HAVE_TAILQFOREACH 1
#define EVENT__HAVE___func__ 1
#define EVENT__HAVE___FUNCTION__ 1

/*
 * libevent's generated configuration turns on the GNU extensions for every
 * program that includes it first.  Programs built against libevent may rely
 * on that (for example to see struct addrinfo under -std=c99), so oxevent
 * keeps the same effect.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

/*
 * The same configuration also asks glibc for the ISO/IEC TS 18661 and TR
 * 24731-2 additions.  _GNU_SOURCE implies them, except in headers included
 * after the program's own first system header; keep them for that case.
 */
#ifndef __STDC_WANT_LIB_EXT2__
#define __STDC_WANT_LIB_EXT2__ 1
#endif
#ifndef __STDC_WANT_IEC_60559_ATTRIBS_EXT__
#define __STDC_WANT_IEC_60559_ATTRIBS_EXT__ 1
#endif
#ifndef __STDC_WANT_IEC_60559_BFP_EXT__
#define __STDC_WANT_IEC_60559_BFP_EXT__ 1
#endif
#ifndef __STDC_WANT_IEC_60559_DFP_EXT__
#define __STDC_WANT_IEC_60559_DFP_EXT__ 1
#endif
#ifndef __STDC_WANT_IEC_60559_FUNCS_EXT__
#define __STDC_WANT_IEC_60559_FUNCS_EXT__ 1
#endif
#ifndef __STDC_WANT_IEC_60559_TYPES_EXT__
#define __STDC_WANT_IEC_60559_TYPES_EXT__ 1
#endif
#ifndef __STDC_WANT_MATH_SPEC_FUNCS__
#define __STDC_WANT_MATH_SPEC_FUNCS__ 1
#endif

#endif /* EVENT2_EVENT_CONFIG_H_INCLUDED_ */
