/*
 * evdns_err_to_string: the exact text libevent 2.1.12 gives for every
 * DNS_ERR_* code, the codes' values, and "[Unknown error code]" for codes
 * it does not know (6, 64, 71, -1, 1000).
 */
#include <event2/dns.h>
#include "check.h"

int main(void)
{
    test_begin("evdns_err_to_string");
    CHECK_INT(DNS_ERR_NONE, 0);
    CHECK_INT(DNS_ERR_FORMAT, 1);
    CHECK_INT(DNS_ERR_SERVERFAILED, 2);
    CHECK_INT(DNS_ERR_NOTEXIST, 3);
    CHECK_INT(DNS_ERR_NOTIMPL, 4);
    CHECK_INT(DNS_ERR_REFUSED, 5);
    CHECK_INT(DNS_ERR_TRUNCATED, 65);
    CHECK_INT(DNS_ERR_UNKNOWN, 66);
    CHECK_INT(DNS_ERR_TIMEOUT, 67);
    CHECK_INT(DNS_ERR_SHUTDOWN, 68);
    CHECK_INT(DNS_ERR_CANCEL, 69);
    CHECK_INT(DNS_ERR_NODATA, 70);

    CHECK_STR(evdns_err_to_string(DNS_ERR_NONE), "no error");
    CHECK_STR(evdns_err_to_string(DNS_ERR_FORMAT), "misformatted query");
    CHECK_STR(evdns_err_to_string(DNS_ERR_SERVERFAILED), "server failed");
    CHECK_STR(evdns_err_to_string(DNS_ERR_NOTEXIST), "name does not exist");
    CHECK_STR(evdns_err_to_string(DNS_ERR_NOTIMPL), "query not implemented");
    CHECK_STR(evdns_err_to_string(DNS_ERR_REFUSED), "refused");
    CHECK_STR(evdns_err_to_string(DNS_ERR_TRUNCATED),
        "reply truncated or ill-formed");
    CHECK_STR(evdns_err_to_string(DNS_ERR_UNKNOWN), "unknown");
    CHECK_STR(evdns_err_to_string(DNS_ERR_TIMEOUT), "request timed out");
    CHECK_STR(evdns_err_to_string(DNS_ERR_SHUTDOWN),
        "dns subsystem shut down");
    CHECK_STR(evdns_err_to_string(DNS_ERR_CANCEL), "dns request canceled");
    CHECK_STR(evdns_err_to_string(DNS_ERR_NODATA), "no records in the reply");

    CHECK_STR(evdns_err_to_string(6), "[Unknown error code]");
    CHECK_STR(evdns_err_to_string(64), "[Unknown error code]");
    CHECK_STR(evdns_err_to_string(71), "[Unknown error code]");
    CHECK_STR(evdns_err_to_string(-1), "[Unknown error code]");
    CHECK_STR(evdns_err_to_string(1000), "[Unknown error code]");
    /* the same pointer each time is not required; the text is */
    return test_end();
}
