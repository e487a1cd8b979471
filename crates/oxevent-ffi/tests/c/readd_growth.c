/*
 * Memory stays flat when events are re-added without event_assign (issue
 * 8, item 1; repro readd_growth.c). Two non-persistent zero-timeout timers
 * (event_assign'd once, at setup) re-add each other from their callbacks,
 * ping-pong, for 2 M fires. libevent 2.1.12 allocates nothing per add: its
 * RSS (VmRSS in /proc/self/status) is the same at the end as after the
 * first 50 k fires. The check: growth under 1 MB, and under 256 kB plus
 * one byte per measured fire (a library may warm buffers up once, e.g. a
 * timer wheel whose buckets each get a small buffer in their first turn,
 * but must not keep bytes per add).
 *
 * The run stops early after 8 s (a slow debug build under load), but needs
 * at least 150 k fires after the baseline for the measurement to mean
 * something (a library that keeps 4 bytes per add grows 600 kB in 150 k
 * fires, against 406 kB allowed).
 *
 * With an argument, `readd_growth FIRES` is the soak mode of
 * scripts/soak-readd.sh: no watchdog, no time limit, 16 RSS samples printed
 * on stdout, and the same 1 MB check at the end.
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

#define DEFAULT_FIRES 2000000L
#define WARMUP 50000L
#define BUDGET_MS 8000
#define MIN_MEASURED 150000L
#define WARM_KB 256L
#define MAX_GROWTH_KB 1024L

static long fires, target, sample_every;
static long base_rss = -1;
static long long start_ms;
static int soak, stopped_early;
static struct event a, b;

static long rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    fclose(f);
    return kb;
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    struct event *other = arg;
    struct timeval zero = {0, 0};
    UNUSED(fd);
    UNUSED(what);
    fires++;
    if (fires == WARMUP)
        base_rss = rss_kb();
    if (soak && fires % sample_every == 0)
        printf("fires=%ld rss=%ld kB\n", fires, rss_kb());
    if (!soak && (fires & 4095) == 0 && now_ms() - start_ms > BUDGET_MS) {
        stopped_early = 1;
        return;
    }
    if (fires < target)
        CHECK_INT(event_add(other, &zero), 0);
}

int main(int argc, char **argv)
{
    struct event_base *base;
    struct timeval zero = {0, 0};
    long end_rss, growth;

    test_begin("readd_growth");
    target = DEFAULT_FIRES;
    if (argc > 1) {
        soak = 1;
        alarm(0);
        target = atol(argv[1]);
        REQUIRE(target > WARMUP);
    }
    sample_every = target / 16 > 0 ? target / 16 : 1;

    base = event_base_new();
    REQUIRE(base != NULL);
    CHECK_INT(evtimer_assign(&a, base, cb, &b), 0);
    CHECK_INT(evtimer_assign(&b, base, cb, &a), 0);
    if (soak)
        printf("start fires=0 rss=%ld kB (%s)\n", rss_kb(), event_get_version());
    start_ms = now_ms();
    CHECK_INT(event_add(&a, &zero), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    end_rss = rss_kb();

    growth = end_rss - base_rss;
    fprintf(stderr, "readd_growth: %ld fires in %lld ms%s, rss %ld kB after %ld, %ld kB at end "
                    "(growth %ld kB)\n",
        fires, now_ms() - start_ms, stopped_early ? " (stopped at the time limit)" : "",
        base_rss, WARMUP, end_rss, growth);
    if (soak)
        printf("end fires=%ld rss=%ld kB growth=%ld kB\n", fires, end_rss, growth);
    REQUIRE(base_rss > 0 && end_rss > 0);
    CHECK(fires - WARMUP >= MIN_MEASURED);
    CHECK(growth < MAX_GROWTH_KB);
    CHECK(growth * 1024 < WARM_KB * 1024 + (fires - WARMUP));

    event_base_free(base);
    return test_end();
}
