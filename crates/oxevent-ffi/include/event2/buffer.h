/*
 * oxevent: event2/buffer.h
 *
 * evbuffer: a byte buffer made of chunks, for network I/O.  Bytes are
 * appended at the end and consumed from the start; whole chunks move
 * between buffers without being copied; memory the program owns can be
 * referenced instead of copied; positions (struct evbuffer_ptr) name a
 * byte for searching and line reading.
 *
 * The declarations, types, constants and layouts are those of libevent
 * 2.1.12; the comments describe oxevent's behaviour.  Where oxevent
 * refuses input libevent would act on (a position from another buffer, a
 * size beyond what a buffer can hold, ...), the call returns libevent's
 * error value and logs a line through the log callback.
 */
#ifndef EVENT2_BUFFER_H_INCLUDED_
#define EVENT2_BUFFER_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event-config.h>

#include <stdarg.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A buffer (opaque). */
struct evbuffer;

/**
 * A position in a buffer, from the start (pos) up to just past the last
 * byte.  Set it with evbuffer_ptr_set(); searches return one.  pos is -1
 * when nothing was found.  The internal_ words are the library's; copy the
 * struct as a whole, never build one by hand.  A position stays valid while
 * bytes are only appended; after bytes are drained, removed or prepended it
 * is stale, and functions given it refuse it (-1, or "not found").
 */
struct evbuffer_ptr {
	ev_ssize_t pos;

	/* Private: do not read or change. */
	struct {
		void *chain;
		size_t pos_in_chain;
	} internal_;
};

/*
 * One extent of memory inside a buffer (reserve/commit, peek).  On this
 * platform it is the system's struct iovec, as in libevent.
 */
#define evbuffer_iovec iovec
/* Set because evbuffer_iovec is the native struct iovec. */
#define EVBUFFER_IOVEC_IS_NATIVE_

/** A new, empty buffer, or NULL when memory runs out. */
EVENT2_EXPORT_SYMBOL
struct evbuffer *evbuffer_new(void);

/**
 * Frees a buffer and every byte in it (references are released: their
 * cleanup functions run).  Deferred callbacks already scheduled still run
 * from the loop, then the buffer goes, as in libevent.
 */
EVENT2_EXPORT_SYMBOL
void evbuffer_free(struct evbuffer *buf);

/**
 * Makes the buffer safe to share between threads: every call takes its
 * lock, which is recursive and held while callbacks run.  lock is a lock
 * made with the program's evthread lock callbacks (or a pthread mutex after
 * evthread_use_pthreads()), or NULL to allocate one; without thread support
 * set up, NULL fails (-1) as in libevent.  Fails if locking is already on.
 * @return 0 or -1.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_enable_locking(struct evbuffer *buf, void *lock);

/** Takes the buffer's lock (recursive); does nothing without locking. */
EVENT2_EXPORT_SYMBOL
void evbuffer_lock(struct evbuffer *buf);

/** Releases the lock taken by evbuffer_lock(). */
EVENT2_EXPORT_SYMBOL
void evbuffer_unlock(struct evbuffer *buf);

/**
 * The buffer's bytes only leave through evbuffer_write*() (or are drained
 * or moved whole), so file segments may be sent with sendfile() instead of
 * being read into memory.
 */
#define EVBUFFER_FLAG_DRAINS_TO_FD 1

/** Sets EVBUFFER_FLAG_* bits.  @return 0. */
EVENT2_EXPORT_SYMBOL
int evbuffer_set_flags(struct evbuffer *buf, ev_uint64_t flags);

/** Clears EVBUFFER_FLAG_* bits.  @return 0. */
EVENT2_EXPORT_SYMBOL
int evbuffer_clear_flags(struct evbuffer *buf, ev_uint64_t flags);

/** The number of bytes in the buffer. */
EVENT2_EXPORT_SYMBOL
size_t evbuffer_get_length(const struct evbuffer *buf);

/** The number of bytes readable contiguously at the start (0 if empty). */
EVENT2_EXPORT_SYMBOL
size_t evbuffer_get_contiguous_space(const struct evbuffer *buf);

/**
 * Makes room so that datlen more bytes can be appended into one chunk
 * without another allocation.  @return 0, or -1 (no memory, or datlen
 * beyond what a buffer can hold).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_expand(struct evbuffer *buf, size_t datlen);

/**
 * Reserves at least size writable bytes at the end, in at most n_vec
 * extents written into vec.  Write into them, then evbuffer_commit_space()
 * what was written.  Reserving again before committing gives the same room.
 * @return the number of extents used, or -1 (end frozen, n_vec < 1,
 * negative size, no memory).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_reserve_space(struct evbuffer *buf, ev_ssize_t size,
    struct evbuffer_iovec *vec, int n_vec);

/**
 * Adds the first vec[i].iov_len bytes of each reserved extent to the
 * buffer.  The extents must be the ones evbuffer_reserve_space() gave, in
 * order, each no longer than it was; the buffer must not have grown at the
 * end since.  @return 0, or -1 (nothing added).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_commit_space(struct evbuffer *buf,
    struct evbuffer_iovec *vec, int n_vecs);

/** Appends a copy of datlen bytes.  @return 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evbuffer_add(struct evbuffer *buf, const void *data, size_t datlen);

/**
 * Copies up to datlen bytes from the start into data and drains them.
 * @return the number of bytes, or -1 (start frozen).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove(struct evbuffer *buf, void *data, size_t datlen);

/** Copies up to datlen bytes from the start, leaving them.  @return the number, or -1. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t evbuffer_copyout(struct evbuffer *buf, void *data_out, size_t datlen);

/**
 * Copies up to datlen bytes starting at pos, leaving them.
 * @return the number of bytes, or -1 (bad position, start frozen).
 */
EVENT2_EXPORT_SYMBOL
ev_ssize_t evbuffer_copyout_from(struct evbuffer *buf,
    const struct evbuffer_ptr *pos, void *data_out, size_t datlen);

/**
 * Moves up to datlen bytes from the start of src to the end of dst,
 * copying as little as possible.  @return the number moved, or -1.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_buffer(struct evbuffer *src, struct evbuffer *dst,
    size_t datlen);

/** What ends a line, for evbuffer_readln() and evbuffer_search_eol(). */
enum evbuffer_eol_style {
	/** Any run of CR and LF characters.  A CR read now and an LF read
	 * later make two line ends. */
	EVBUFFER_EOL_ANY,
	/** An LF, with the CR just before it (if any). */
	EVBUFFER_EOL_CRLF,
	/** Exactly CR LF. */
	EVBUFFER_EOL_CRLF_STRICT,
	/** An LF. */
	EVBUFFER_EOL_LF,
	/** A NUL byte. */
	EVBUFFER_EOL_NUL
};

/**
 * Removes the first line and its end of line.  @return the line without
 * its end of line, NUL-terminated, from the allocator set with
 * event_set_mem_functions() (free it); NULL when no complete line is
 * buffered (or the start is frozen).  n_read_out, if not NULL, gets the
 * line's length (0 with NULL).
 */
EVENT2_EXPORT_SYMBOL
char *evbuffer_readln(struct evbuffer *buffer, size_t *n_read_out,
    enum evbuffer_eol_style eol_style);

/**
 * Moves every byte of inbuf to the end of outbuf without copying.
 * @return 0, or -1 (outbuf's end or inbuf's start frozen).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_buffer(struct evbuffer *outbuf, struct evbuffer *inbuf);

/**
 * Appends inbuf's bytes to outbuf without copying or removing them: both
 * share the memory.  Refused (-1) when inbuf holds file segments or bytes
 * referenced from yet another buffer, or is outbuf itself.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_buffer_reference(struct evbuffer *outbuf,
    struct evbuffer *inbuf);

/** Called once a referenced piece of memory is no longer used. */
typedef void (*evbuffer_ref_cleanup_cb)(const void *data,
    size_t datalen, void *extra);

/**
 * Appends datlen bytes of the program's memory without copying them.  The
 * memory must stay valid and unchanged until cleanupfn(data, datlen,
 * cleanupfn_arg) is called, once, when no buffer refers to it any more.
 * @return 0, or -1 (then cleanupfn is not called).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_reference(struct evbuffer *outbuf,
    const void *data, size_t datlen,
    evbuffer_ref_cleanup_cb cleanupfn, void *cleanupfn_arg);

/**
 * Appends length bytes (-1: to the end of the file) of fd from offset.  The
 * buffer owns fd from then on and closes it once its bytes are gone; on
 * failure fd stays the program's.  @return 0 or -1.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_file(struct evbuffer *outbuf, int fd, ev_off_t offset,
    ev_off_t length);

/** A range of a file that can be added to buffers (opaque). */
struct evbuffer_file_segment;

/** Close the descriptor when the segment is freed. */
#define EVBUF_FS_CLOSE_ON_FREE    0x01
/** Do not map the file (oxevent never maps files). */
#define EVBUF_FS_DISABLE_MMAP     0x02
/** Never send with sendfile(): the bytes are read into memory. */
#define EVBUF_FS_DISABLE_SENDFILE 0x04
/** Do not lock the segment. */
#define EVBUF_FS_DISABLE_LOCKING  0x08

/** Called with the segment's flags when the segment is finally freed. */
typedef void (*evbuffer_file_segment_cleanup_cb)(
    struct evbuffer_file_segment const* seg, int flags, void* arg);

/**
 * A segment of length bytes (-1: to the end of the file) of fd from offset.
 * The descriptor must stay open while the segment lives (unless it was
 * given with EVBUF_FS_CLOSE_ON_FREE).  @return the segment, or NULL
 * (descriptor not open, not a regular file, range outside the file, ...).
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer_file_segment *evbuffer_file_segment_new(
	int fd, ev_off_t offset, ev_off_t length, unsigned flags);

/** Releases the program's handle; buffers holding the segment keep it. */
EVENT2_EXPORT_SYMBOL
void evbuffer_file_segment_free(struct evbuffer_file_segment *seg);

/** Sets the function called when the segment is finally freed. */
EVENT2_EXPORT_SYMBOL
void evbuffer_file_segment_add_cleanup_cb(struct evbuffer_file_segment *seg,
	evbuffer_file_segment_cleanup_cb cb, void* arg);

/**
 * Appends length bytes (-1: the rest) of seg, starting offset bytes into
 * the segment (not into the file).  @return 0 or -1.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_file_segment(struct evbuffer *buf,
    struct evbuffer_file_segment *seg, ev_off_t offset, ev_off_t length);

/** Appends printf-formatted text.  @return the bytes added, or -1. */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 2, 3)))
#endif
;

/** Appends vprintf-formatted text.  @return the bytes added, or -1. */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 0)))
#endif
;

/**
 * Removes len bytes from the start (all of them when fewer are buffered).
 * @return 0, or -1 (start frozen).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_drain(struct evbuffer *buf, size_t len);

/**
 * Writes as much as fd takes in one call and drains it.
 * @return the bytes written, or -1 (errno set by the system call; -1 also
 * for an empty buffer, as in libevent).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_write(struct evbuffer *buffer, evutil_socket_t fd);

/** As evbuffer_write(), writing at most howmuch bytes (-1: no limit). */
EVENT2_EXPORT_SYMBOL
int evbuffer_write_atmost(struct evbuffer *buffer, evutil_socket_t fd,
						  ev_ssize_t howmuch);

/**
 * Reads once from fd into the end.  howmuch < 0 or above the bytes fd has
 * ready (at most 4096): reads what is ready.  @return the bytes read, 0 at
 * end of file, or -1 (errno set).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_read(struct evbuffer *buffer, evutil_socket_t fd, int howmuch);

/**
 * The first occurrence of len bytes what at or after start (NULL: the
 * start of the buffer).  @return its position; pos -1 when not found.
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search(struct evbuffer *buffer, const char *what,
    size_t len, const struct evbuffer_ptr *start);

/** As evbuffer_search(), for a match that ends at or before end (NULL: the end). */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search_range(struct evbuffer *buffer,
    const char *what, size_t len, const struct evbuffer_ptr *start,
    const struct evbuffer_ptr *end);

/** How evbuffer_ptr_set() moves a position. */
enum evbuffer_ptr_how {
	/** To an offset from the start (ptr may be uninitialised). */
	EVBUFFER_PTR_SET,
	/** Forward by a number of bytes. */
	EVBUFFER_PTR_ADD
};

/**
 * Sets ptr to position bytes from the start (EVBUFFER_PTR_SET) or moves
 * it forward by position bytes (EVBUFFER_PTR_ADD).  Positions run from the
 * start to just past the last byte.  @return 0, or -1 (past the end: then
 * ptr->pos is -1).
 */
EVENT2_EXPORT_SYMBOL
int
evbuffer_ptr_set(struct evbuffer *buffer, struct evbuffer_ptr *ptr,
    size_t position, enum evbuffer_ptr_how how);

/**
 * The first end of line (of eol_style) at or after start (NULL: the
 * start).  eol_len_out, if not NULL, gets the length of the end of line.
 * @return its position; pos -1 (and length 0) when none.
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search_eol(struct evbuffer *buffer,
    struct evbuffer_ptr *start, size_t *eol_len_out,
    enum evbuffer_eol_style eol_style);

/**
 * Points vec_out at the buffer's own memory without copying: at most n_vec
 * extents covering len bytes (len < 0: as many as fit) from start_at (NULL:
 * the start).  With n_vec 0 nothing is written: only counted.  The pointers
 * stay valid until the buffer next changes.
 * @return the number of extents needed (may exceed n_vec), or -1.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_peek(struct evbuffer *buffer, ev_ssize_t len,
    struct evbuffer_ptr *start_at,
    struct evbuffer_iovec *vec_out, int n_vec);

/** What changed since callbacks last ran. */
struct evbuffer_cb_info {
	/** The length then. */
	size_t orig_size;
	/** Bytes added since. */
	size_t n_added;
	/** Bytes removed since. */
	size_t n_deleted;
};

/**
 * Called after a buffer's length changed.  Callbacks run newest first; one
 * may add or remove bytes (it is then called again, nested, for that
 * change), add callbacks, or remove any callback, itself included.
 */
typedef void (*evbuffer_cb_func)(struct evbuffer *buffer,
    const struct evbuffer_cb_info *info, void *arg);

/** A callback registered on a buffer (opaque). */
struct evbuffer_cb_entry;

/** Adds a callback.  @return its handle, or NULL. */
EVENT2_EXPORT_SYMBOL
struct evbuffer_cb_entry *evbuffer_add_cb(struct evbuffer *buffer,
    evbuffer_cb_func cb, void *cbarg);

/** Removes a callback by handle.  @return 0, or -1 if it is not this buffer's. */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_cb_entry(struct evbuffer *buffer,
			     struct evbuffer_cb_entry *ent);

/** Removes the newest callback with this function and argument.  @return 0, or -1 if none. */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_cb(struct evbuffer *buffer, evbuffer_cb_func cb,
    void *cbarg);

/** A callback without this flag does not run. */
#define EVBUFFER_CB_ENABLED 1

/** Sets flags on a callback.  @return 0, or -1 if it is not this buffer's. */
EVENT2_EXPORT_SYMBOL
int evbuffer_cb_set_flags(struct evbuffer *buffer,
			  struct evbuffer_cb_entry *cb, ev_uint32_t flags);

/** Clears flags on a callback.  @return 0, or -1 if it is not this buffer's. */
EVENT2_EXPORT_SYMBOL
int evbuffer_cb_clear_flags(struct evbuffer *buffer,
			  struct evbuffer_cb_entry *cb, ev_uint32_t flags);

/**
 * Makes the first size bytes (size < 0: all) contiguous.  @return a
 * pointer to them, valid until the buffer next changes; NULL when size is
 * 0 or more than is buffered.
 */
EVENT2_EXPORT_SYMBOL
unsigned char *evbuffer_pullup(struct evbuffer *buf, ev_ssize_t size);

/** Inserts a copy of size bytes before the first byte.  @return 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evbuffer_prepend(struct evbuffer *buf, const void *data, size_t size);

/** Moves every byte of src before the first byte of dst.  @return 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evbuffer_prepend_buffer(struct evbuffer *dst, struct evbuffer* src);

/**
 * Freezes the start (at_front true: no draining, removing, prepending,
 * copying out, line reading) or the end (no appending).  @return 0.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_freeze(struct evbuffer *buf, int at_front);

/** Unfreezes the start (at_front true) or the end.  @return 0. */
EVENT2_EXPORT_SYMBOL
int evbuffer_unfreeze(struct evbuffer *buf, int at_front);

struct event_base;

/**
 * From now on callbacks run from base's loop (at its middle priority)
 * instead of inside the call that changed the buffer; changes between two
 * runs are reported together.  @return 0, or -1 (no base).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_defer_callbacks(struct evbuffer *buffer, struct event_base *base);

/**
 * Appends copies of n_vec extents, all or nothing.
 * @return the number of bytes added (0 on failure).
 */
EVENT2_EXPORT_SYMBOL
size_t evbuffer_add_iovec(struct evbuffer * buffer,
    struct evbuffer_iovec * vec, int n_vec);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFER_H_INCLUDED_ */
