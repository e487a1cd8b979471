/*
 * shim.c - the variadic functions of the libevent ABI.
 *
 * Stable Rust cannot define a C variadic function nor accept a va_list, so
 * the printf-family exports live here, as thin wrappers over the C
 * library's vsnprintf.  Nothing else belongs in this file.
 *
 * Contract (libevent 2.1.12, event2/util.h):
 *  - buflen == 0: nothing is written and 0 is returned (not the would-be
 *    length; libevent returns early in that case).
 *  - otherwise the result is vsnprintf's (the length the whole output
 *    would have had), and buf[buflen - 1] is always set to NUL.
 *  - a NULL buf (with buflen > 0) or a NULL format returns -1 instead of
 *    crashing as libevent would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

int evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap);
int evutil_snprintf(char *buf, size_t buflen, const char *format, ...);

int
evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap)
{
	int written;

	if (buflen == 0)
		return 0;
	if (buf == NULL || format == NULL)
		return -1;
	written = vsnprintf(buf, buflen, format, ap);
	buf[buflen - 1] = '\0';
	return written;
}

int
evutil_snprintf(char *buf, size_t buflen, const char *format, ...)
{
	va_list ap;
	int written;

	va_start(ap, format);
	written = evutil_vsnprintf(buf, buflen, format, ap);
	va_end(ap);
	return written;
}
