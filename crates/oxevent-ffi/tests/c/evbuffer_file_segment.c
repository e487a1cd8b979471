/*
 * evbuffer_file_segment.c: a file segment added whole, in ranges, twice to
 * one buffer and once to another, with each EVBUF_FS_* choice of how its
 * bytes are read (mmap, sendfile, plain reads): the bytes come out as in
 * the file; the cleanup callback runs once, after the segment is freed and
 * the last buffer lets go, with the segment's flags; EVBUF_FS_CLOSE_ON_FREE
 * closes the descriptor then and not before.
 */
#include "evbuffer_util.h"

static int cleanups;
static int cleanup_flags = -1;
static const void *cleanup_seg;

static void on_cleanup(struct evbuffer_file_segment const *seg, int flags, void *arg)
{
    cleanups++;
    cleanup_flags = flags;
    cleanup_seg = seg;
    CHECK(arg == &cleanups);
}

static void one_round(unsigned flags)
{
    unsigned char file[3000], got[3000];
    struct evbuffer *a, *b;
    struct evbuffer_file_segment *seg;
    int fd;

    fill_pattern(file, sizeof(file), flags + 1);
    fd = temp_file_with(file, sizeof(file));
    REQUIRE(fd >= 0);
    a = evbuffer_new();
    b = evbuffer_new();
    REQUIRE(a && b);

    cleanups = 0;
    seg = evbuffer_file_segment_new(fd, 0, -1, flags);
    REQUIRE(seg != NULL);
    evbuffer_file_segment_add_cleanup_cb(seg, on_cleanup, &cleanups);

    /* The whole segment, then a range of it, then its tail. */
    CHECK_INT(evbuffer_add(a, "<", 1), 0);
    CHECK_INT(evbuffer_add_file_segment(a, seg, 0, -1), 0);
    CHECK_INT(evbuffer_add_file_segment(a, seg, 100, 50), 0);
    CHECK_INT(evbuffer_add_file_segment(a, seg, 2990, -1), 0);
    CHECK_INT(evbuffer_add(a, ">", 1), 0);
    CHECK_INT(evbuffer_get_length(a), 1 + 3000 + 50 + 10 + 1);

    CHECK_INT(evbuffer_add_file_segment(b, seg, 1000, 1000), 0);
    evbuffer_file_segment_free(seg);
    CHECK_INT(cleanups, 0);
    CHECK(fd_is_open(fd));

    CHECK_INT(evbuffer_remove(a, got, 1), 1);
    CHECK(got[0] == '<');
    CHECK_INT(evbuffer_remove(a, got, 3000), 3000);
    CHECK(memcmp(got, file, 3000) == 0);
    CHECK_INT(evbuffer_remove(a, got, 50), 50);
    CHECK(memcmp(got, file + 100, 50) == 0);
    CHECK_INT(evbuffer_remove(a, got, 11), 11);
    CHECK(memcmp(got, file + 2990, 10) == 0 && got[10] == '>');
    CHECK_INT(evbuffer_get_length(a), 0);
    evbuffer_free(a);
    CHECK_INT(cleanups, 0);

    CHECK_INT(evbuffer_copyout(b, got, 1000), 1000);
    CHECK(memcmp(got, file + 1000, 1000) == 0);
    evbuffer_free(b);
    CHECK_INT(cleanups, 1);
    CHECK_INT(cleanup_flags, (int)flags);
    CHECK(cleanup_seg == seg);
    if (flags & EVBUF_FS_CLOSE_ON_FREE)
        CHECK(!fd_is_open(fd));
    else {
        CHECK(fd_is_open(fd));
        close(fd);
    }
}

int main(void)
{
    test_begin("evbuffer_file_segment");
    one_round(0);
    one_round(EVBUF_FS_CLOSE_ON_FREE);
    one_round(EVBUF_FS_DISABLE_MMAP);
    one_round(EVBUF_FS_DISABLE_SENDFILE);
    one_round(EVBUF_FS_DISABLE_MMAP | EVBUF_FS_DISABLE_SENDFILE | EVBUF_FS_CLOSE_ON_FREE);
    one_round(EVBUF_FS_DISABLE_LOCKING);
    return test_end();
}
