/*
 * evbuffer_cb_moves.c: callbacks around moves between buffers: the order
 * of the two buffers' callbacks for add_buffer, prepend_buffer and
 * remove_buffer (partial and whole), what each sees, and a source callback
 * that changes the destination meanwhile.
 */
#include "evbuffer_util.h"

static char log_[256];
static size_t nlog;

static void note(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
    (void)b;
    nlog += (size_t)snprintf(log_ + nlog, sizeof(log_) - nlog, "%s(%zu+%zu-%zu)",
        (const char *)arg, i->orig_size, i->n_added, i->n_deleted);
}

static struct evbuffer *other;

static void feed_other(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
    (void)b;
    (void)i;
    (void)arg;
    if (evbuffer_get_length(other) < 100)
        evbuffer_add(other, "#", 1);
}

int main(void)
{
    struct evbuffer *s, *d;

    test_begin("evbuffer_cb_moves");
    s = evbuffer_new();
    d = evbuffer_new();
    REQUIRE(s && d);
    evbuffer_add(s, "0123456789", 10);
    evbuffer_add(d, "ab", 2);
    evbuffer_add_cb(s, note, "S");
    evbuffer_add_cb(d, note, "D");

    nlog = 0;
    CHECK_INT(evbuffer_remove_buffer(s, d, 3), 3);
    CHECK_STR(log_, "D(2+3-0)S(10+0-3)");
    nlog = 0;
    CHECK_INT(evbuffer_remove_buffer(s, d, 100), 7);
    CHECK_STR(log_, "S(7+0-7)D(5+7-0)");
    nlog = 0;
    evbuffer_add(s, "xy", 2);
    CHECK_STR(log_, "S(0+2-0)");
    nlog = 0;
    CHECK_INT(evbuffer_add_buffer(d, s), 0);
    CHECK_STR(log_, "S(2+0-2)D(12+2-0)");
    nlog = 0;
    evbuffer_add(s, "<", 1);
    nlog = 0;
    CHECK_INT(evbuffer_prepend_buffer(d, s), 0);
    CHECK_STR(log_, "S(1+0-1)D(14+1-0)");
    CHECK_BUF(d, "<ab0123456789xy");

    /* The source's callback adds to the destination during the move. */
    other = d;
    CHECK_INT(evbuffer_remove_cb(s, note, "S"), 0);
    evbuffer_add_cb(s, feed_other, NULL);
    nlog = 0;
    evbuffer_add(s, "++", 2);
    CHECK_STR(log_, "D(15+1-0)");
    nlog = 0;
    CHECK_INT(evbuffer_add_buffer(d, s), 0);
    CHECK_STR(log_, "D(16+3-0)");
    CHECK_BUF(d, "<ab0123456789xy#++#");
    CHECK_INT(evbuffer_get_length(s), 0);

    evbuffer_free(s);
    evbuffer_free(d);
    return test_end();
}
