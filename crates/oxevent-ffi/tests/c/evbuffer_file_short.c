/*
 * evbuffer_file_short: file segments on a closed descriptor and on a file
 * shorter than the range, read without mmap and without sendfile (plain
 * reads, where libevent checks the length): refused, NULL or -1, and the
 * buffer unchanged. A closed descriptor is refused by evbuffer_add_file
 * too, and the length -1 (fstat) form refuses it at once.
 */
#include "evbuffer_util.h"

#define PLAIN (EVBUF_FS_DISABLE_MMAP | EVBUF_FS_DISABLE_SENDFILE)

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_file_segment *seg;
    int fd, closed;

    test_begin("evbuffer_file_short");
    b = evbuffer_new();
    REQUIRE(b != NULL);
    CHECK_INT(evbuffer_add(b, "keep", 4), 0);

    /* A closed descriptor. */
    closed = temp_file_with("0123456789", 10);
    REQUIRE(closed >= 0);
    close(closed);
    CHECK(evbuffer_file_segment_new(closed, 0, -1, 0) == NULL);
    CHECK(evbuffer_file_segment_new(closed, 0, 10, PLAIN) == NULL);
    CHECK_INT(evbuffer_add_file(b, closed, 0, 10), -1);
    CHECK_INT(evbuffer_add_file(b, closed, 0, -1), -1);
    CHECK_BUF(b, "keep");

    /* A file of 10 bytes asked for 20, and for bytes past its end. */
    fd = temp_file_with("0123456789", 10);
    REQUIRE(fd >= 0);
    CHECK(evbuffer_file_segment_new(fd, 0, 20, PLAIN) == NULL);
    CHECK(evbuffer_file_segment_new(fd, 5, 6, PLAIN) == NULL);
    CHECK(evbuffer_file_segment_new(fd, 11, 1, PLAIN) == NULL);
    CHECK_BUF(b, "keep");

    /* The exact length works, and the descriptor's offset is kept. */
    CHECK_INT(lseek(fd, 3, SEEK_SET), 3);
    seg = evbuffer_file_segment_new(fd, 5, 5, PLAIN);
    CHECK(seg != NULL);
    CHECK_INT(lseek(fd, 0, SEEK_CUR), 3);
    if (seg) {
        CHECK_INT(evbuffer_add_file_segment(b, seg, 0, -1), 0);
        CHECK_BUF(b, "keep56789");
        evbuffer_file_segment_free(seg);
    }
    /* Negative offsets and lengths other than -1. */
    CHECK(evbuffer_file_segment_new(fd, -1, 5, PLAIN) == NULL);
    CHECK(evbuffer_file_segment_new(fd, 0, -2, PLAIN) == NULL);

    close(fd);
    evbuffer_free(b);
    return test_end();
}
