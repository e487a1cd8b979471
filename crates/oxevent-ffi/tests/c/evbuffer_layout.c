/*
 * evbuffer_layout: the public evbuffer structs (evbuffer_ptr,
 * evbuffer_iovec, evbuffer_cb_info) and constants have libevent 2.1.12's
 * x86_64 layout and values (tests/abi/struct-layout-x86_64.txt), and the
 * values a running library reports through them agree.
 */
#include "evbuffer_util.h"
#include <event2/buffer_compat.h>
#include <stddef.h>

static size_t seen_orig, seen_added, seen_deleted;

static void cb(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
    (void)b;
    (void)arg;
    seen_orig = info->orig_size;
    seen_added = info->n_added;
    seen_deleted = info->n_deleted;
}

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_ptr p;
    struct evbuffer_iovec v[1];

    test_begin("evbuffer_layout");
    CHECK_INT(sizeof(struct evbuffer_ptr), 24);
    CHECK_INT(offsetof(struct evbuffer_ptr, pos), 0);
    CHECK_INT(offsetof(struct evbuffer_ptr, internal_.chain), 8);
    CHECK_INT(offsetof(struct evbuffer_ptr, internal_.pos_in_chain), 16);
    CHECK_INT(sizeof(p.pos), 8);
    CHECK_INT(sizeof(struct evbuffer_iovec), 16);
    CHECK_INT(offsetof(struct evbuffer_iovec, iov_base), 0);
    CHECK_INT(offsetof(struct evbuffer_iovec, iov_len), 8);
    CHECK_INT(sizeof(struct evbuffer_cb_info), 24);
    CHECK_INT(offsetof(struct evbuffer_cb_info, orig_size), 0);
    CHECK_INT(offsetof(struct evbuffer_cb_info, n_added), 8);
    CHECK_INT(offsetof(struct evbuffer_cb_info, n_deleted), 16);

    CHECK_INT(EVBUFFER_FLAG_DRAINS_TO_FD, 1);
    CHECK_INT(EVBUFFER_CB_ENABLED, 1);
    CHECK_INT(EVBUFFER_EOL_ANY, 0);
    CHECK_INT(EVBUFFER_EOL_CRLF, 1);
    CHECK_INT(EVBUFFER_EOL_CRLF_STRICT, 2);
    CHECK_INT(EVBUFFER_EOL_LF, 3);
    CHECK_INT(EVBUFFER_EOL_NUL, 4);
    CHECK_INT(EVBUFFER_PTR_SET, 0);
    CHECK_INT(EVBUFFER_PTR_ADD, 1);
    CHECK_INT(EVBUF_FS_CLOSE_ON_FREE, 1);
    CHECK_INT(EVBUF_FS_DISABLE_MMAP, 2);
    CHECK_INT(EVBUF_FS_DISABLE_SENDFILE, 4);
    CHECK_INT(EVBUF_FS_DISABLE_LOCKING, 8);

    b = evbuffer_new();
    REQUIRE(b != NULL);
    CHECK_INT(evbuffer_add(b, "0123456789", 10), 0);
    CHECK(evbuffer_add_cb(b, cb, NULL) != NULL);
    CHECK_INT(evbuffer_drain(b, 3), 0);
    CHECK_INT(seen_orig, 10);
    CHECK_INT(seen_added, 0);
    CHECK_INT(seen_deleted, 3);
    CHECK_INT(evbuffer_ptr_set(b, &p, 4, EVBUFFER_PTR_SET), 0);
    CHECK_INT(p.pos, 4);
    CHECK_INT(evbuffer_peek(b, 2, &p, v, 1), 1);
    CHECK(v[0].iov_len >= 2 && memcmp(v[0].iov_base, "78", 2) == 0);
    CHECK_INT(EVBUFFER_LENGTH(b), 7);
    CHECK(memcmp(EVBUFFER_DATA(b), "3456789", 7) == 0);
    evbuffer_free(b);
    return test_end();
}
