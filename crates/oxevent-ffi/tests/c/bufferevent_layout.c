/*
 * struct bufferevent's public layout (programs read bev->input and
 * bev->output directly) and the values of the BEV_* and LEV_OPT_*
 * constants, against the table of libevent 2.1.12 on x86_64.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/bufferevent_compat.h>
#include <event2/listener.h>
#include <stddef.h>
#include "check.h"

int main(void)
{
    test_begin("bufferevent_layout");
    /* Load the library (the harness checks which one was mapped). */
    CHECK(event_get_version() != NULL);
    CHECK(bufferevent_get_enabled != NULL);
    CHECK_INT(sizeof(struct bufferevent), 392);
    CHECK_INT(offsetof(struct bufferevent, ev_base), 0);
    CHECK_INT(offsetof(struct bufferevent, be_ops), 8);
    CHECK_INT(offsetof(struct bufferevent, ev_read), 16);
    CHECK_INT(offsetof(struct bufferevent, ev_write), 144);
    CHECK_INT(offsetof(struct bufferevent, input), 272);
    CHECK_INT(offsetof(struct bufferevent, output), 280);
    CHECK_INT(offsetof(struct bufferevent, wm_read), 288);
    CHECK_INT(offsetof(struct bufferevent, wm_write), 304);
    CHECK_INT(offsetof(struct bufferevent, readcb), 320);
    CHECK_INT(offsetof(struct bufferevent, writecb), 328);
    CHECK_INT(offsetof(struct bufferevent, errorcb), 336);
    CHECK_INT(offsetof(struct bufferevent, cbarg), 344);
    CHECK_INT(offsetof(struct bufferevent, timeout_read), 352);
    CHECK_INT(offsetof(struct bufferevent, timeout_write), 368);
    CHECK_INT(offsetof(struct bufferevent, enabled), 384);
    CHECK_INT(sizeof(struct event_watermark), 16);
    CHECK_INT(BEV_EVENT_READING, 0x01);
    CHECK_INT(BEV_EVENT_WRITING, 0x02);
    CHECK_INT(BEV_EVENT_EOF, 0x10);
    CHECK_INT(BEV_EVENT_ERROR, 0x20);
    CHECK_INT(BEV_EVENT_TIMEOUT, 0x40);
    CHECK_INT(BEV_EVENT_CONNECTED, 0x80);
    CHECK_INT(BEV_OPT_CLOSE_ON_FREE, 1);
    CHECK_INT(BEV_OPT_THREADSAFE, 2);
    CHECK_INT(BEV_OPT_DEFER_CALLBACKS, 4);
    CHECK_INT(BEV_OPT_UNLOCK_CALLBACKS, 8);
    CHECK_INT(BEV_TRIG_IGNORE_WATERMARKS, 0x10000);
    CHECK_INT(BEV_NORMAL, 0);
    CHECK_INT(BEV_FLUSH, 1);
    CHECK_INT(BEV_FINISHED, 2);
    CHECK_INT(BEV_OK, 0);
    CHECK_INT(BEV_NEED_MORE, 1);
    CHECK_INT(BEV_ERROR, 2);
    CHECK_INT(EVBUFFER_READ, BEV_EVENT_READING);
    CHECK_INT(EVBUFFER_EOF, BEV_EVENT_EOF);
    CHECK_INT(LEV_OPT_LEAVE_SOCKETS_BLOCKING, 1);
    CHECK_INT(LEV_OPT_CLOSE_ON_FREE, 2);
    CHECK_INT(LEV_OPT_CLOSE_ON_EXEC, 4);
    CHECK_INT(LEV_OPT_REUSEABLE, 8);
    CHECK_INT(LEV_OPT_THREADSAFE, 16);
    CHECK_INT(LEV_OPT_DISABLED, 32);
    CHECK_INT(LEV_OPT_DEFERRED_ACCEPT, 64);
    CHECK_INT(LEV_OPT_REUSEABLE_PORT, 128);
    return test_end();
}
