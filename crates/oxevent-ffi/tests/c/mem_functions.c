/*
 * event_set_mem_functions, installed before anything else, with counting
 * malloc/realloc/free wrappers that keep a header on each block: creating
 * a base allocates through them; event_new allocates through them and
 * event_free gives all of that back; the base's blocks go back on
 * event_base_free; realloc'd blocks (many events on one fd) stay
 * consistent; every free is of a block we handed out.
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

#define MAGIC 0x6f78657645ULL

struct hdr {
    unsigned long long magic;
    size_t size;
};

static long n_malloc, n_realloc, n_free, live, foreign_frees;

static void *my_malloc(size_t sz)
{
    struct hdr *h = malloc(sizeof(*h) + sz);
    if (!h)
        return NULL;
    h->magic = MAGIC;
    h->size = sz;
    n_malloc++;
    live++;
    return h + 1;
}

static void my_free(void *p)
{
    struct hdr *h;
    if (!p)
        return;
    h = (struct hdr *)p - 1;
    if (h->magic != MAGIC) {
        foreign_frees++;
        return;
    }
    h->magic = 0;
    n_free++;
    live--;
    free(h);
}

static void *my_realloc(void *p, size_t sz)
{
    struct hdr *h, *nh;
    if (!p)
        return my_malloc(sz);
    h = (struct hdr *)p - 1;
    if (h->magic != MAGIC) {
        foreign_frees++;
        return NULL;
    }
    nh = realloc(h, sizeof(*nh) + sz);
    if (!nh)
        return NULL;
    nh->size = sz;
    n_realloc++;
    return nh + 1;
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
}

int main(void)
{
    struct event_base *base;
    struct event *ev, *many[40];
    evutil_socket_t sp[2];
    long before_base, before_ev, mallocs, frees;
    int i;

    test_begin("mem_functions");
    event_set_mem_functions(my_malloc, my_realloc, my_free);
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);

    before_base = live;
    base = event_base_new();
    REQUIRE(base != NULL);
    CHECK(n_malloc > 0);
    CHECK(live > before_base);

    before_ev = live;
    mallocs = n_malloc;
    ev = event_new(base, -1, 0, cb, NULL);
    REQUIRE(ev != NULL);
    CHECK(n_malloc >= mallocs + 1);
    CHECK(live >= before_ev + 1);
    frees = n_free;
    event_free(ev);
    CHECK(n_free >= frees + 1);
    CHECK_INT(live, before_ev);

    /* Many events on fds: internal tables grow. */
    for (i = 0; i < 40; i++) {
        many[i] = event_new(base, i % 2 ? sp[0] : sp[1], EV_READ | EV_PERSIST, cb, NULL);
        REQUIRE(many[i] != NULL);
        CHECK_INT(event_add(many[i], NULL), 0);
    }
    CHECK(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
    for (i = 0; i < 40; i++)
        event_free(many[i]);

    event_base_free(base);
    CHECK(live <= before_base);
    CHECK_INT(foreign_frees, 0);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
