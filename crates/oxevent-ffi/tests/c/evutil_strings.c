/*
 * String helpers: evutil_strtoll (bases, signs, limits, endptr);
 * evutil_snprintf/evutil_vsnprintf NUL-terminate and return the full length
 * even when truncating; evutil_ascii_strcasecmp/strncasecmp fold ASCII case
 * only and order like strcmp; evutil_date_rfc1123 writes
 * "Sun, 06 Nov 1994 08:49:37 GMT" for that struct tm (29 chars, returned
 * length 29 even when truncated) and the same shape for the current time.
 */
#include <event2/util.h>
#include <stdarg.h>
#include <limits.h>
#include <time.h>
#include "check.h"

static int my_vsn(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = evutil_vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return r;
}

int main(void)
{
    char buf[64], tiny[5];
    char *end;
    struct tm tm;
    int r, i;

    test_begin("evutil_strings");

    CHECK_INT(evutil_strtoll("123", NULL, 10), 123);
    CHECK_INT(evutil_strtoll("-42", NULL, 10), -42);
    CHECK_INT(evutil_strtoll("  +7", NULL, 10), 7);
    CHECK_INT(evutil_strtoll("0x1f", NULL, 16), 31);
    CHECK_INT(evutil_strtoll("ff", NULL, 16), 255);
    CHECK_INT(evutil_strtoll("017", NULL, 8), 15);
    CHECK_INT(evutil_strtoll("0x10", NULL, 0), 16);
    CHECK(evutil_strtoll("9223372036854775807", NULL, 10) == LLONG_MAX);
    CHECK(evutil_strtoll("-9223372036854775808", NULL, 10) == LLONG_MIN);
    CHECK_INT(evutil_strtoll("12abc", &end, 10), 12);
    CHECK_STR(end, "abc");

    r = evutil_snprintf(buf, sizeof(buf), "%d-%s-%c", 42, "x", 'y');
    CHECK_INT(r, 6);
    CHECK_STR(buf, "42-x-y");
    memset(tiny, 'Z', sizeof(tiny));
    r = evutil_snprintf(tiny, sizeof(tiny), "%s", "hello world");
    CHECK_INT(r, 11);
    CHECK_STR(tiny, "hell");
    r = my_vsn(tiny, sizeof(tiny), "%d%d", 1234, 5678);
    CHECK_INT(r, 8);
    CHECK_STR(tiny, "1234");
    r = my_vsn(buf, sizeof(buf), "%05.1f|%-3s|", 3.14159, "a");
    CHECK_INT(r, 10);
    CHECK_STR(buf, "003.1|a  |");

    CHECK_INT(evutil_ascii_strcasecmp("HeLLo", "hello"), 0);
    CHECK(evutil_ascii_strcasecmp("abc", "ABD") < 0);
    CHECK(evutil_ascii_strcasecmp("b", "A") > 0);
    CHECK(evutil_ascii_strcasecmp("ab", "abc") < 0);
    CHECK(evutil_ascii_strcasecmp("abc", "AB") > 0);
    CHECK_INT(evutil_ascii_strcasecmp("", ""), 0);
    CHECK(evutil_ascii_strcasecmp("[", "{") != 0);
    CHECK_INT(evutil_ascii_strncasecmp("HELLOx", "helloy", 5), 0);
    CHECK(evutil_ascii_strncasecmp("HELLOx", "helloy", 6) < 0);
    CHECK_INT(evutil_ascii_strncasecmp("abc", "xyz", 0), 0);
    CHECK_INT(evutil_ascii_strncasecmp("Content-Length", "content-length", 100), 0);

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = 94;
    tm.tm_mon = 10;
    tm.tm_mday = 6;
    tm.tm_hour = 8;
    tm.tm_min = 49;
    tm.tm_sec = 37;
    tm.tm_wday = 0;
    r = evutil_date_rfc1123(buf, sizeof(buf), &tm);
    CHECK_INT(r, 29);
    CHECK_STR(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
    r = evutil_date_rfc1123(tiny, sizeof(tiny), &tm);
    CHECK_INT(r, 29);
    CHECK_STR(tiny, "Sun,");

    memset(buf, 0, sizeof(buf));
    r = evutil_date_rfc1123(buf, sizeof(buf), NULL);
    CHECK_INT(r, 29);
    CHECK_INT(strlen(buf), 29);
    CHECK(buf[3] == ',' && buf[4] == ' ' && buf[7] == ' ' && buf[11] == ' ');
    CHECK(buf[16] == ' ' && buf[19] == ':' && buf[22] == ':');
    CHECK(strcmp(buf + 25, " GMT") == 0);
    for (i = 0; i < 4; i++)
        CHECK(buf[12 + i] >= '0' && buf[12 + i] <= '9');
    return test_end();
}
