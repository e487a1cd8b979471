/*
 * A documented improvement of ours (runs on oxevent only):
 * evbuffer_write_atmost on a buffer flagged EVBUFFER_FLAG_DRAINS_TO_FD
 * never sends more than asked, file bytes included. libevent 2.1.12 hands
 * sendfile(2) the whole file chunk whatever the limit, so a caller that
 * rate-limits (bufferevent's rate limiting does) overshoots. Same program
 * as evbuffer_sendfile.c, with the limit checked on every write.
 */
#define CHECK_LIMIT 1
#define TEST_NAME "improved_evbuffer_sendfile_atmost"
#include "evbuffer_sendfile.c"
