/*
 * check.h - tiny self-checking helpers shared by the differential C tests.
 *
 * Every test program:
 *   - calls test_begin("name") first: it arms a 10 s alarm() watchdog whose
 *     handler reports the hang and exits with status 3, and unbuffers stdout;
 *   - uses CHECK()/CHECK_INT()/CHECK_STR() for its assertions; a failed check
 *     prints the file, line and expression to stderr and is counted;
 *   - returns test_end() from main(): 0 and a single "ok <name>" line on
 *     success, 1 and a summary on stderr otherwise.
 *
 * Only C99 + POSIX; the helpers are static inline so a test that does not use
 * one does not trip -Wunused-function.
 */
#ifndef OXEVENT_TEST_CHECK_H
#define OXEVENT_TEST_CHECK_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int check_failures_;
static const char *check_name_ = "?";

#define UNUSED(x) ((void)(x))

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,          \
                __LINE__, #cond);                                            \
            check_failures_++;                                               \
        }                                                                    \
    } while (0)

#define CHECK_INT(actual, expected)                                          \
    do {                                                                     \
        long long a_ = (long long)(actual);                                  \
        long long e_ = (long long)(expected);                                \
        if (a_ != e_) {                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (got %lld, "     \
                "expected %lld)\n", __FILE__, __LINE__, #actual, #expected,  \
                a_, e_);                                                     \
            check_failures_++;                                               \
        }                                                                    \
    } while (0)

#define CHECK_STR(actual, expected)                                          \
    do {                                                                     \
        const char *a_ = (actual);                                           \
        const char *e_ = (expected);                                         \
        if (a_ == NULL || strcmp(a_, e_) != 0) {                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s == \"%s\" (got "       \
                "%s%s%s)\n", __FILE__, __LINE__, #actual, e_,                \
                a_ ? "\"" : "", a_ ? a_ : "NULL", a_ ? "\"" : "");          \
            check_failures_++;                                               \
        }                                                                    \
    } while (0)

/* Abort the whole test right away (setup failures that make the rest moot). */
#define REQUIRE(cond)                                                        \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s (errno %d: %s)\n",   \
                __FILE__, __LINE__, #cond, errno, strerror(errno));          \
            fprintf(stderr, "FAIL %s\n", check_name_);                       \
            exit(2);                                                         \
        }                                                                    \
    } while (0)

static void check_watchdog_(int sig)
{
    static const char msg[] = "watchdog: test took longer than 10 s\n";
    ssize_t r = write(2, msg, sizeof(msg) - 1);
    (void)r;
    (void)sig;
    _exit(3);
}

static inline void test_begin(const char *name)
{
    check_name_ = name;
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGALRM, check_watchdog_);
    alarm(10);
}

static inline int test_end(void)
{
    if (check_failures_) {
        fprintf(stderr, "FAIL %s: %d check(s) failed\n", check_name_,
            check_failures_);
        return 1;
    }
    printf("ok %s\n", check_name_);
    return 0;
}

/* Milliseconds on CLOCK_MONOTONIC, independent of the library under test. */
static inline long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline long long tv_ms(const struct timeval *tv)
{
    return (long long)tv->tv_sec * 1000 + tv->tv_usec / 1000;
}

static inline void sleep_ms(long ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Write all of a buffer, retrying on EINTR; returns 0 or -1. */
static inline int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

#endif /* OXEVENT_TEST_CHECK_H */
