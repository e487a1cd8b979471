/*
 * bench/c/buffer.c: the evbuffer workloads of bench/src/bin/rust_buffer.rs,
 * through libevent's C API, so one binary measures Debian's libevent and
 * oxevent (LD_LIBRARY_PATH) on the same work. Prints "name value" lines:
 * nanoseconds per operation, the median of R rounds (setup excluded).
 *
 * Usage: buffer [-r ROUNDS] [-s SCALE_PERCENT] [-w NAME_FILTER]
 *        buffer --rss     peak RSS (KiB) after holding the same content
 *                         (64 MiB in 4 KiB adds, 1M short lines, 1M 16 B adds)
 */
#define _GNU_SOURCE
#include <event2/buffer.h>
#include <event2/util.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int rounds = 5;
static long scale = 100;
static const char *filter;

static long n_of(long x)
{
    long v = x * scale / 100;
    return v < 1 ? 1 : v;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "buffer: %s failed (errno %d: %s)\n", what, errno, strerror(errno));
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int wanted(const char *name)
{
    return filter == NULL || strstr(name, filter) != NULL;
}

/* One round: does the work, sets *ops, returns the nanoseconds spent. */
typedef long long (*round_fn)(long *ops);

static void bench(const char *name, round_fn f)
{
    double v[64];
    int i, k = rounds > 64 ? 64 : rounds;
    if (!wanted(name))
        return;
    for (i = 0; i < k; i++) {
        long ops = 1;
        long long ns = f(&ops);
        v[i] = (double)ns / (double)ops;
    }
    qsort(v, (size_t)k, sizeof(v[0]), cmp_double);
    printf("%-28s %12.2f\n", name, v[k / 2]);
    fflush(stdout);
}

static unsigned char small[16], big[64 * 1024], block4k[4096];
static char *text;
static size_t text_len;
static long lines_n;

/* ------------------------------------------------------------ add/drain */
static long long add_drain_16(long *ops)
{
    long i, n = n_of(1000000);
    struct evbuffer *b = evbuffer_new();
    long long t = now_ns();
    for (i = 0; i < n; i++) {
        evbuffer_add(b, small, 16);
        evbuffer_drain(b, 16);
    }
    t = now_ns() - t;
    evbuffer_free(b);
    *ops = n;
    return t;
}

static long long add_16_bulk(long *ops)
{
    long i, n = n_of(1000000);
    long long t = now_ns();
    struct evbuffer *b = evbuffer_new();
    for (i = 0; i < n; i++)
        evbuffer_add(b, small, 16);
    t = now_ns() - t;
    evbuffer_free(b);
    *ops = n;
    return t;
}

static long long drain_16_bulk(long *ops)
{
    long i, n = n_of(1000000);
    struct evbuffer *b = evbuffer_new();
    long long t;
    for (i = 0; i < n; i++)
        evbuffer_add(b, small, 16);
    t = now_ns();
    for (i = 0; i < n; i++)
        evbuffer_drain(b, 16);
    t = now_ns() - t;
    evbuffer_free(b);
    *ops = n;
    return t;
}

static long long add_drain_64k(long *ops)
{
    long i, n = n_of(20000);
    struct evbuffer *b = evbuffer_new();
    long long t = now_ns();
    for (i = 0; i < n; i++) {
        evbuffer_add(b, big, sizeof(big));
        evbuffer_drain(b, sizeof(big));
    }
    t = now_ns() - t;
    evbuffer_free(b);
    *ops = n;
    return t;
}

static long long add_64k_bulk_1g(long *ops)
{
    long i, n = n_of(16384);
    long long t;
    struct evbuffer *b;
    if (n > 16384)
        n = 16384;
    t = now_ns();
    b = evbuffer_new();
    for (i = 0; i < n; i++)
        evbuffer_add(b, big, sizeof(big));
    t = now_ns() - t;
    evbuffer_free(b);
    *ops = n;
    return t;
}

/* ------------------------------------------------------------ moves */
static void free_ref(const void *data, size_t len, void *extra)
{
    (void)len;
    (void)extra;
    free((void *)data);
}

static long long add_buffer_64chunks(long *ops)
{
    long i, n = n_of(1000000);
    struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
    long long t;
    for (i = 0; i < 64; i++) {
        void *p = malloc(4096);
        memset(p, 1, 4096);
        evbuffer_add_reference(a, p, 4096, free_ref, NULL);
    }
    t = now_ns();
    for (i = 0; i < n / 2; i++) {
        evbuffer_add_buffer(b, a);
        evbuffer_add_buffer(a, b);
    }
    t = now_ns() - t;
    evbuffer_free(a);
    evbuffer_free(b);
    *ops = n;
    return t;
}

static long long remove_buffer_6000(long *ops)
{
    long i, k = 0;
    struct evbuffer *src = evbuffer_new(), *dst = evbuffer_new();
    long long t;
    for (i = 0; i < n_of(16384); i++)
        evbuffer_add(src, block4k, sizeof(block4k));
    t = now_ns();
    while (evbuffer_get_length(src) >= 6000) {
        evbuffer_remove_buffer(src, dst, 6000);
        evbuffer_drain(dst, evbuffer_get_length(dst));
        k++;
    }
    t = now_ns() - t;
    evbuffer_free(src);
    evbuffer_free(dst);
    *ops = k;
    return t;
}

/* ------------------------------------------------------------ readln */
static struct evbuffer *text_buffer(void)
{
    struct evbuffer *b = evbuffer_new();
    size_t at;
    for (at = 0; at < text_len; at += 4096)
        evbuffer_add(b, text + at, text_len - at < 4096 ? text_len - at : 4096);
    return b;
}

/* The timed loop, out of line so callgrind can count it alone. */
__attribute__((noinline)) static long readln_loop(struct evbuffer *b, enum evbuffer_eol_style style)
{
    long got = 0;
    size_t n;
    char *line;
    while ((line = evbuffer_readln(b, &n, style)) != NULL) {
        free(line);
        got++;
    }
    return got;
}

static long long readln_style(long *ops, enum evbuffer_eol_style style)
{
    struct evbuffer *b = text_buffer();
    long got;
    long long t = now_ns();
    got = readln_loop(b, style);
    t = now_ns() - t;
    if (got != lines_n) {
        fprintf(stderr, "buffer: readln got %ld lines, want %ld\n", got, lines_n);
        exit(1);
    }
    evbuffer_free(b);
    *ops = got;
    return t;
}

static long long readln_crlf(long *ops) { return readln_style(ops, EVBUFFER_EOL_CRLF); }
static long long readln_lf(long *ops) { return readln_style(ops, EVBUFFER_EOL_LF); }
static long long readln_any(long *ops) { return readln_style(ops, EVBUFFER_EOL_ANY); }

/* ------------------------------------------------------------ search */
static struct evbuffer *hay;

static long long search_4b(long *ops)
{
    long long t = now_ns();
    struct evbuffer_ptr p = evbuffer_search(hay, "WXYZ", 4, NULL);
    t = now_ns() - t;
    if (p.pos != (ev_ssize_t)evbuffer_get_length(hay) - 4) {
        fprintf(stderr, "buffer: search found %ld\n", (long)p.pos);
        exit(1);
    }
    *ops = 1;
    return t;
}

static long long search_common_first(long *ops)
{
    long long t = now_ns();
    struct evbuffer_ptr p = evbuffer_search(hay, "abcZ", 4, NULL);
    t = now_ns() - t;
    if (p.pos != -1)
        exit(1);
    *ops = 1;
    return t;
}

static long long search_eol_any(long *ops)
{
    size_t n;
    long long t = now_ns();
    struct evbuffer_ptr p = evbuffer_search_eol(hay, NULL, &n, EVBUFFER_EOL_ANY);
    t = now_ns() - t;
    if (p.pos != -1)
        exit(1);
    *ops = 1;
    return t;
}

/* ------------------------------------------------------------ copyout/pullup */
static long long copyout_4k(long *ops)
{
    long i, n = n_of(200000);
    unsigned char out[4096];
    long long t = now_ns();
    for (i = 0; i < n; i++)
        evbuffer_copyout(hay, out, sizeof(out));
    t = now_ns() - t;
    *ops = n;
    return t;
}

static long long pullup_64k(long *ops)
{
    long i, j, n = n_of(20000);
    long long spent = 0, t;
    for (i = 0; i < n; i++) {
        struct evbuffer *b = evbuffer_new();
        for (j = 0; j < 16; j++)
            evbuffer_add_reference(b, block4k, sizeof(block4k), NULL, NULL);
        t = now_ns();
        if (evbuffer_pullup(b, 65536) == NULL)
            die("pullup");
        spent += now_ns() - t;
        evbuffer_free(b);
    }
    *ops = n;
    return spent;
}

/* ------------------------------------------------------------ sockets */
static int sp[2];

static long long socket_64k(long *ops)
{
    long total = n_of(4096), sent = 0;
    size_t got = 0;
    struct evbuffer *w = evbuffer_new(), *r = evbuffer_new();
    long long t = now_ns();
    while (got < (size_t)total * sizeof(big)) {
        int k;
        if (sent < total && evbuffer_get_length(w) < 4 * sizeof(big)) {
            evbuffer_add(w, big, sizeof(big));
            sent++;
        }
        if (evbuffer_get_length(w) > 0)
            if (evbuffer_write(w, sp[0]) < 0 && errno != EAGAIN)
                die("evbuffer_write");
        k = evbuffer_read(r, sp[1], 65536);
        if (k < 0 && errno != EAGAIN)
            die("evbuffer_read");
        if (k > 0) {
            got += (size_t)k;
            evbuffer_drain(r, (size_t)k);
        }
    }
    t = now_ns() - t;
    evbuffer_free(w);
    evbuffer_free(r);
    *ops = total;
    return t;
}

/* ------------------------------------------------------------ setup */
static void make_text(void)
{
    long i;
    size_t cap;
    lines_n = n_of(1000000);
    cap = (size_t)lines_n * 16 + 16;
    text = malloc(cap);
    if (!text)
        die("malloc");
    text_len = 0;
    for (i = 0; i < lines_n; i++)
        text_len += (size_t)sprintf(text + text_len, "line %07ld\r\n", i);
}

static void make_hay(void)
{
    long i, mib = n_of(64);
    hay = evbuffer_new();
    for (i = 0; i < mib * 256; i++)
        evbuffer_add(hay, block4k, sizeof(block4k));
    evbuffer_add(hay, "WXYZ", 4);
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Peak RSS for the same content as the Rust side's `--rss`: 64 MiB in 4 KiB
 * adds, plus the 1M-line text added in 4 KiB pieces, plus 1M 16-byte adds. */
static int rss_mode(void)
{
    long i;
    struct evbuffer *lines, *smalls;
    long before = peak_rss_kib();
    make_hay();
    make_text();
    lines = text_buffer();
    free(text);
    smalls = evbuffer_new();
    for (i = 0; i < n_of(1000000); i++)
        evbuffer_add(smalls, small, sizeof(small));
    printf("rss_base_kib %ld\n", before);
    printf("rss_peak_kib %ld\n", peak_rss_kib());
    printf("rss_bytes_held %zu\n", evbuffer_get_length(hay) + evbuffer_get_length(lines) +
                                       evbuffer_get_length(smalls));
    evbuffer_free(hay);
    evbuffer_free(lines);
    evbuffer_free(smalls);
    return 0;
}

int main(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-r") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-s") && i + 1 < argc)
            scale = atol(argv[++i]);
        else if (!strcmp(argv[i], "-w") && i + 1 < argc)
            filter = argv[++i];
        else if (!strcmp(argv[i], "--rss")) {
            for (i = 0; i < 4096; i++)
                block4k[i] = (unsigned char)"abcdefghijklmnopqrstuvwxy"[i % 25];
            memset(small, 7, sizeof(small));
            return rss_mode();
        } else {
            fprintf(stderr, "usage: buffer [-r ROUNDS] [-s SCALE] [-w FILTER] | --rss\n");
            return 2;
        }
    }
    if (rounds < 1)
        rounds = 1;
    memset(small, 7, sizeof(small));
    memset(big, 9, sizeof(big));
    for (i = 0; i < 4096; i++)
        block4k[i] = (unsigned char)"abcdefghijklmnopqrstuvwxy"[i % 25];

    bench("add_drain_16", add_drain_16);
    bench("add_16_bulk", add_16_bulk);
    bench("drain_16_bulk", drain_16_bulk);
    bench("add_drain_64k", add_drain_64k);
    bench("add_64k_bulk_1g", add_64k_bulk_1g);
    bench("add_buffer_64chunks", add_buffer_64chunks);
    bench("remove_buffer_6000", remove_buffer_6000);
    if (wanted("readln_crlf") || wanted("readln_lf") || wanted("readln_any")) {
        make_text();
        bench("readln_crlf", readln_crlf);
        bench("readln_lf", readln_lf);
        bench("readln_any", readln_any);
        free(text);
    }
    if (wanted("search_4b_64mib_total") || wanted("search_common_first_64mib") ||
        wanted("search_eol_any_64mib") || wanted("copyout_4k")) {
        make_hay();
        bench("search_4b_64mib_total", search_4b);
        bench("search_common_first_64mib", search_common_first);
        bench("search_eol_any_64mib", search_eol_any);
        bench("copyout_4k", copyout_4k);
        evbuffer_free(hay);
    }
    bench("pullup_64k_of_4k_chunks", pullup_64k);
    if (wanted("socket_64k_write_read")) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
            die("socketpair");
        evutil_make_socket_nonblocking(sp[0]);
        evutil_make_socket_nonblocking(sp[1]);
        bench("socket_64k_write_read", socket_64k);
    }
    return 0;
}
