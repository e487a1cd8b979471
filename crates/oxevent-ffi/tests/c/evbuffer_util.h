/*
 * evbuffer_util.h - helpers shared by the evbuffer differential tests.
 *
 * Only the public evbuffer API: a test must pass on Debian's libevent and
 * on oxevent, so nothing here depends on how either library splits bytes
 * into chunks.
 */
#ifndef OXEVENT_TEST_EVBUFFER_UTIL_H
#define OXEVENT_TEST_EVBUFFER_UTIL_H

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "check.h"

/* Whether buf holds exactly the n bytes at want (checked with copyout, so
 * the buffer is left as it is). */
static inline int buf_is(struct evbuffer *buf, const void *want, size_t n)
{
    size_t len = evbuffer_get_length(buf);
    char *got;
    int same;

    if (len != n)
        return 0;
    if (n == 0)
        return 1;
    got = malloc(n);
    if (got == NULL)
        return 0;
    same = evbuffer_copyout(buf, got, n) == (ev_ssize_t)n &&
        memcmp(got, want, n) == 0;
    free(got);
    return same;
}

/* Checks a buffer against a string literal. */
#define CHECK_BUF(buf, lit) CHECK(buf_is((buf), (lit), sizeof(lit) - 1))

/* A reference cleanup that counts its calls in *(int *)extra. */
static inline void count_cleanup(const void *data, size_t len, void *extra)
{
    (void)data;
    (void)len;
    ++*(int *)extra;
}

/* Fills p[0..n) with a pattern that depends on the offset and a seed. */
static inline void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
    size_t i;
    for (i = 0; i < n; i++)
        p[i] = (unsigned char)((i * 31u + seed * 7u + (i >> 8)) & 0xff);
}

/* A temporary file holding the n bytes at data, already unlinked (so
 * parallel runs never collide and nothing is left behind); returns its
 * descriptor, positioned at 0, or -1. */
static inline int temp_file_with(const void *data, size_t n)
{
    char path[] = "/tmp/oxevent-evbuffer-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    unlink(path);
    if (write_all(fd, data, n) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Whether fd is an open descriptor. */
static inline int fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}

#endif /* OXEVENT_TEST_EVBUFFER_UTIL_H */
