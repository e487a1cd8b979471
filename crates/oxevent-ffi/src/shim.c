/*
 * shim.c - the variadic functions of the libevent ABI.
 *
 * Stable Rust cannot define a C variadic function nor accept a va_list, so
 * the printf-family exports live here, as thin wrappers over the C
 * library's vsnprintf.  Nothing else belongs in this file.
 *
 * evbuffer_add_printf/evbuffer_add_vprintf format into a stack buffer (or,
 * for long text, a malloc'd one) and hand the bytes to the Rust export
 * evbuffer_add, which checks the buffer and reports the change to its
 * callbacks.  They return the number of bytes added, or -1 (NULL buffer or
 * format, a format error, a frozen end, no memory), as libevent does.
 *
 * Contract of evutil_snprintf (libevent 2.1.12, event2/util.h):
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
#include <stdlib.h>

int evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap);
int evutil_snprintf(char *buf, size_t buflen, const char *format, ...);

struct evbuffer;
int evbuffer_add(struct evbuffer *buf, const void *data, size_t datlen);
int evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap);
int evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...);

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

int
evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
{
	char small[256];
	char *text = small;
	va_list aq;
	int n, r;

	if (buf == NULL)
		return evbuffer_add(buf, "", 0); /* logs the NULL buffer, -1 */
	if (fmt == NULL)
		return -1;
	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(small)) {
		text = malloc((size_t)n + 1);
		if (text == NULL)
			return -1;
		va_copy(aq, ap);
		n = vsnprintf(text, (size_t)n + 1, fmt, aq);
		va_end(aq);
		if (n < 0) {
			free(text);
			return -1;
		}
	}
	r = evbuffer_add(buf, text, (size_t)n);
	if (text != small)
		free(text);
	return r == 0 ? n : -1;
}

int
evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = evbuffer_add_vprintf(buf, fmt, ap);
	va_end(ap);
	return r;
}
