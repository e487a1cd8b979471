/*
 * A documented improvement of ours (runs on oxevent only): every bad input
 * to the evbuffer API gets libevent 2.1.12's return value AND a line
 * through the log callback, where libevent is silent or crashes:
 * adds that cannot fit, drains past the end, expansions beyond memory,
 * positions past the end or from another buffer, each EVBUFFER_PTR_* mode
 * out of range, commits that do not match the reservation, writes to a
 * frozen end, file segments on a closed or too-short descriptor.
 * libevent crashes on copyout_from from the end position or from a
 * position of -1, and maps a too-short file (its bytes past the end read
 * as zeros, or raise SIGBUS a page further): ours refuse those too.
 */
#include "evbuffer_util.h"
#include <event2/event.h>
#include <stdint.h>

static int lines;

static void count_log(int severity, const char *msg)
{
    UNUSED(severity);
    UNUSED(msg);
    lines++;
}

#define LOGS(expr, expected)                                                 \
    do {                                                                     \
        lines = 0;                                                           \
        CHECK_INT((expr), (expected));                                       \
        if (lines < 1)                                                       \
            fprintf(stderr, "%s:%d: no log line for %s\n", __FILE__,        \
                __LINE__, #expr), check_failures_++;                         \
    } while (0)

#define SILENT(expr, expected)                                               \
    do {                                                                     \
        lines = 0;                                                           \
        CHECK_INT((expr), (expected));                                       \
        if (lines != 0)                                                      \
            fprintf(stderr, "%s:%d: unexpected log line for %s\n",          \
                __FILE__, __LINE__, #expr), check_failures_++;               \
    } while (0)

int main(void)
{
    struct evbuffer *b, *o;
    struct evbuffer_ptr p, q, r;
    struct evbuffer_iovec v[2];
    struct evbuffer_file_segment *seg;
    char out[16];
    int fd, closed;

    test_begin("improved_evbuffer_bad_input_logs");
    event_set_log_callback(count_log);
    b = evbuffer_new();
    o = evbuffer_new();
    REQUIRE(b && o);

    /* Adds and drains. */
    SILENT(evbuffer_add(b, "0123456789", 10), 0);
    LOGS(evbuffer_add(b, "x", SIZE_MAX), -1);
    LOGS(evbuffer_add(b, "x", SIZE_MAX - 5), -1);
    LOGS(evbuffer_prepend(b, "x", SIZE_MAX), -1);
    LOGS(evbuffer_expand(b, SIZE_MAX), -1);
    LOGS(evbuffer_expand(b, SIZE_MAX / 2), -1);
    CHECK_BUF(b, "0123456789");
    SILENT(evbuffer_drain(b, 10), 0);
    SILENT(evbuffer_add(b, "0123456789", 10), 0);
    LOGS(evbuffer_drain(b, 11), 0);
    CHECK_INT(evbuffer_get_length(b), 0);
    SILENT(evbuffer_add(b, "0123456789", 10), 0);

    /* Positions: each mode out of range. */
    LOGS(evbuffer_ptr_set(b, &p, 11, EVBUFFER_PTR_SET), -1);
    CHECK_INT(p.pos, -1);
    SILENT(evbuffer_ptr_set(b, &p, 8, EVBUFFER_PTR_SET), 0);
    LOGS(evbuffer_ptr_set(b, &p, 3, EVBUFFER_PTR_ADD), -1);
    CHECK_INT(p.pos, -1);
    LOGS(evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD), -1);
    SILENT(evbuffer_ptr_set(b, &p, 8, EVBUFFER_PTR_SET), 0);
    LOGS(evbuffer_ptr_set(b, &p, SIZE_MAX, EVBUFFER_PTR_ADD), -1);
    LOGS(evbuffer_ptr_set(b, &p, 1, (enum evbuffer_ptr_how)7), -1);
    LOGS(evbuffer_ptr_set(b, NULL, 1, EVBUFFER_PTR_SET), -1);

    /* copyout_from at the end (0 bytes), from -1, from a stale position,
     * from another buffer's position. */
    SILENT(evbuffer_ptr_set(b, &p, 10, EVBUFFER_PTR_SET), 0);
    SILENT(evbuffer_copyout_from(b, &p, out, 4), 0);
    p.pos = -1;
    LOGS(evbuffer_copyout_from(b, &p, out, 4), -1);
    SILENT(evbuffer_ptr_set(b, &p, 9, EVBUFFER_PTR_SET), 0);
    SILENT(evbuffer_drain(b, 5), 0);
    LOGS(evbuffer_copyout_from(b, &p, out, 1), -1);
    SILENT(evbuffer_add(o, "other bytes", 11), 0);
    SILENT(evbuffer_ptr_set(o, &q, 2, EVBUFFER_PTR_SET), 0);
    LOGS(evbuffer_copyout_from(b, &q, out, 2), -1);
    lines = 0;
    r = evbuffer_search(b, "5", 1, &q);
    CHECK_INT(r.pos, -1);
    CHECK(lines >= 1);
    lines = 0;
    LOGS(evbuffer_peek(b, 2, &q, v, 2), -1);
    CHECK_BUF(b, "56789");

    /* Commits that do not match the reservation. */
    SILENT(evbuffer_reserve_space(b, 8, v, 1), 1);
    memset(v[0].iov_base, 'z', 8);
    v[0].iov_len += 1;
    LOGS(evbuffer_commit_space(b, v, 1), -1);
    v[0].iov_len = 8;
    SILENT(evbuffer_add(b, "!", 1), 0);
    LOGS(evbuffer_commit_space(b, v, 1), -1);
    CHECK_BUF(b, "56789!");

    /* A frozen end written to. */
    SILENT(evbuffer_freeze(b, 0), 0);
    LOGS(evbuffer_add(b, "x", 1), -1);
    LOGS(evbuffer_add_printf(b, "%d", 42), -1);
    LOGS(evbuffer_add_buffer(b, o), -1);
    SILENT(evbuffer_unfreeze(b, 0), 0);
    SILENT(evbuffer_freeze(b, 1), 0);
    LOGS(evbuffer_prepend(b, "x", 1), -1);
    LOGS(evbuffer_drain(b, 1), -1);
    SILENT(evbuffer_unfreeze(b, 1), 0);
    CHECK_BUF(b, "56789!");

    /* File segments on a closed and on a too-short descriptor. */
    closed = temp_file_with("abc", 3);
    REQUIRE(closed >= 0);
    close(closed);
    lines = 0;
    CHECK(evbuffer_file_segment_new(closed, 0, 3, 0) == NULL);
    CHECK(lines >= 1);
    LOGS(evbuffer_add_file(b, closed, 0, 3), -1);
    fd = temp_file_with("abc", 3);
    REQUIRE(fd >= 0);
    lines = 0;
    seg = evbuffer_file_segment_new(fd, 0, 100000, 0);
    CHECK(seg == NULL);
    CHECK(lines >= 1);
    if (seg)
        evbuffer_file_segment_free(seg);
    LOGS(evbuffer_add_file(b, fd, 0, 100000), -1);
    CHECK(fd_is_open(fd));
    close(fd);
    CHECK_BUF(b, "56789!");

    evbuffer_free(b);
    evbuffer_free(o);
    return test_end();
}
