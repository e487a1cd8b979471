/*
 * oxevent: event2/keyvalq_struct.h
 *
 * The key/value list used for HTTP headers and parsed query strings.
 */
#ifndef EVENT2_KEYVALQ_STRUCT_H_INCLUDED_
#define EVENT2_KEYVALQ_STRUCT_H_INCLUDED_

#ifdef __cplusplus
extern "C" {
#endif

/*
 * <sys/queue.h> style list macros, defined here only for the structs below
 * when the program has not included <sys/queue.h> itself, and removed again
 * afterwards.  The layout is the same either way.
 */
#ifndef TAILQ_ENTRY
#define OXEVENT_KVQ_OWN_TAILQ_ENTRY_
#define TAILQ_ENTRY(type)                                               \
	struct {                                                        \
		struct type *tqe_next;                                  \
		struct type **tqe_prev;                                 \
	}
#endif

#ifndef TAILQ_HEAD
#define OXEVENT_KVQ_OWN_TAILQ_HEAD_
#define TAILQ_HEAD(name, type)                                          \
	struct name {                                                   \
		struct type *tqh_first;                                 \
		struct type **tqh_last;                                 \
	}
#endif

/** One key/value pair; both strings are owned by the list. */
struct evkeyval {
	TAILQ_ENTRY(evkeyval) next;
	char *key;
	char *value;
};

/** A list of evkeyval, in insertion order. */
TAILQ_HEAD(evkeyvalq, evkeyval);

#ifdef OXEVENT_KVQ_OWN_TAILQ_ENTRY_
#undef TAILQ_ENTRY
#undef OXEVENT_KVQ_OWN_TAILQ_ENTRY_
#endif

#ifdef OXEVENT_KVQ_OWN_TAILQ_HEAD_
#undef TAILQ_HEAD
#undef OXEVENT_KVQ_OWN_TAILQ_HEAD_
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_KEYVALQ_STRUCT_H_INCLUDED_ */
