/*
 * evbuffer_segment_moves: a file segment's bytes moved between buffers
 * (evbuffer_add_buffer, a partial evbuffer_remove_buffer, then
 * evbuffer_prepend_buffer) stay intact and in order, with and without
 * sendfile; the segment's cleanup runs once, only after the last of its
 * bytes is drained from the last buffer.
 */
#include "evbuffer_util.h"

static int cleanups;

static void on_cleanup(struct evbuffer_file_segment const *seg, int flags, void *arg)
{
    (void)seg;
    (void)flags;
    (void)arg;
    cleanups++;
}

static void one_round(unsigned flags)
{
    unsigned char file[8000], got[8100];
    struct evbuffer *a, *b, *c;
    struct evbuffer_file_segment *seg;
    int fd;

    fill_pattern(file, sizeof(file), 21 + flags);
    fd = temp_file_with(file, sizeof(file));
    REQUIRE(fd >= 0);
    a = evbuffer_new();
    b = evbuffer_new();
    c = evbuffer_new();
    REQUIRE(a && b && c);
    cleanups = 0;
    seg = evbuffer_file_segment_new(fd, 0, sizeof(file), flags | EVBUF_FS_CLOSE_ON_FREE);
    REQUIRE(seg != NULL);
    evbuffer_file_segment_add_cleanup_cb(seg, on_cleanup, NULL);

    CHECK_INT(evbuffer_add(a, "<<", 2), 0);
    CHECK_INT(evbuffer_add_file_segment(a, seg, 0, -1), 0);
    CHECK_INT(evbuffer_add(a, ">>", 2), 0);
    evbuffer_file_segment_free(seg);

    /* a -> b whole, then 3000 bytes of b -> c, then c in front of b. */
    CHECK_INT(evbuffer_add_buffer(b, a), 0);
    CHECK_INT(evbuffer_get_length(a), 0);
    CHECK_INT(evbuffer_remove_buffer(b, c, 3000), 3000);
    CHECK_INT(evbuffer_get_length(b), 8004 - 3000);
    CHECK_INT(cleanups, 0);
    CHECK_INT(evbuffer_prepend_buffer(b, c), 0);
    CHECK_INT(evbuffer_get_length(c), 0);
    CHECK_INT(evbuffer_get_length(b), 8004);

    /* Read it all back in uneven pieces. */
    CHECK_INT(evbuffer_remove(b, got, 1), 1);
    CHECK_INT(evbuffer_remove(b, got + 1, 4321), 4321);
    CHECK_INT(cleanups, 0);
    CHECK_INT(evbuffer_remove(b, got + 4322, sizeof(got) - 4322), 8004 - 4322);
    CHECK(memcmp(got, "<<", 2) == 0);
    CHECK(memcmp(got + 2, file, sizeof(file)) == 0);
    CHECK(memcmp(got + 8002, ">>", 2) == 0);
    CHECK_INT(cleanups, 1);
    CHECK(!fd_is_open(fd));

    evbuffer_free(a);
    evbuffer_free(b);
    evbuffer_free(c);
    CHECK_INT(cleanups, 1);
}

int main(void)
{
    test_begin("evbuffer_segment_moves");
    one_round(0);
    one_round(EVBUF_FS_DISABLE_SENDFILE);
    one_round(EVBUF_FS_DISABLE_MMAP | EVBUF_FS_DISABLE_SENDFILE);
    return test_end();
}
