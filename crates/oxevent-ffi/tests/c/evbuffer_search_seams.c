/*
 * evbuffer_search_seams: needles across chunk seams (added as separate
 * references, so the chunks are fixed), longer than a chunk, after many
 * occurrences of their first byte; evbuffer_search_range with an end
 * exactly at a match's end finds it and one byte earlier does not; a
 * search starting inside a match finds the next one.
 */
#include "evbuffer_util.h"

static char piece[6][64];

int main(void)
{
    struct evbuffer *b;
    struct evbuffer_ptr p, start, end;
    int i;

    test_begin("evbuffer_search_seams");
    b = evbuffer_new();
    REQUIRE(b != NULL);
    /* 200 x "ab-" (600 bytes of false first-byte hits), then pieces. */
    for (i = 0; i < 200; i++)
        CHECK_INT(evbuffer_add(b, "ab-", 3), 0);
    strcpy(piece[0], "xxab");
    strcpy(piece[1], "cdEFG");
    strcpy(piece[2], "H");
    strcpy(piece[3], "IJabcd");
    strcpy(piece[4], "zzzzabcdEFGHIJ");
    strcpy(piece[5], "ab");
    for (i = 0; i < 6; i++)
        CHECK_INT(evbuffer_add_reference(b, piece[i], strlen(piece[i]), NULL, NULL), 0);
    /* Offsets: 600 "xxab"(600..603) "cdEFG"(604..608) "H"(609)
     * "IJabcd"(610..615) "zzzzabcdEFGHIJ"(616..629) "ab"(630..631). */

    p = evbuffer_search(b, "abcd", 4, NULL);
    CHECK_INT(p.pos, 602);
    p = evbuffer_search(b, "abcdEFGHIJ", 10, NULL);
    CHECK_INT(p.pos, 602);
    p = evbuffer_search(b, "dEFGHIJab", 9, NULL);
    CHECK_INT(p.pos, 605);
    p = evbuffer_search(b, "abcdEFGHIJabcdz", 15, NULL);
    CHECK_INT(p.pos, 602);
    p = evbuffer_search(b, "abcdEFGHIJabce", 14, NULL);
    CHECK_INT(p.pos, -1);
    p = evbuffer_search(b, "ab-ab-xxab", 10, NULL);
    CHECK_INT(p.pos, 594);

    /* From inside the first match: the next ones. */
    CHECK_INT(evbuffer_ptr_set(b, &start, 603, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search(b, "abcd", 4, &start);
    CHECK_INT(p.pos, 612);
    CHECK_INT(evbuffer_ptr_set(b, &start, 613, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search(b, "abcdEFGHIJ", 10, &start);
    CHECK_INT(p.pos, 620);

    /* Range ends: exactly at the match's end, and one byte short. */
    CHECK_INT(evbuffer_ptr_set(b, &start, 603, EVBUFFER_PTR_SET), 0);
    CHECK_INT(evbuffer_ptr_set(b, &end, 616, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search_range(b, "abcd", 4, &start, &end);
    CHECK_INT(p.pos, 612);
    CHECK_INT(evbuffer_ptr_set(b, &end, 615, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search_range(b, "abcd", 4, &start, &end);
    CHECK_INT(p.pos, -1);

    /* The last bytes. */
    p = evbuffer_search(b, "Jab", 3, NULL);
    CHECK_INT(p.pos, 611);
    CHECK_INT(evbuffer_ptr_set(b, &start, 612, EVBUFFER_PTR_SET), 0);
    p = evbuffer_search(b, "Jab", 3, &start);
    CHECK_INT(p.pos, 629);
    p = evbuffer_search(b, "abx", 3, NULL);
    CHECK_INT(p.pos, -1);

    evbuffer_free(b);
    return test_end();
}
