/*
 * console.h — the console service's state: streams in a hash table, the
 * ones kept in the console's own memory also on an LRU list, and where
 * each stream's log ring lives (log.c).
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdint.h>
#include <stddef.h>
#include <aerie/proto/console.h>

#define BUCKETS        256
#define PRINT_LINE_MAX 240

struct stream {
    uint64_t badge;
    char name[CON_NAME_MAX + 1];
    uint64_t total;                      /* bytes ever written; the ring holds the last log_bytes */
    uint64_t log_bytes;
    uint64_t mem;                        /* opened streams: the Memory capability of the log */
    char *heap_log;                      /* root's streams: the log in our own memory */
    unsigned linelen;                    /* bytes of the line being printed (the ring's last ones) */
    struct stream *hnext;                /* hash chain */
    struct stream *newer, *older;        /* LRU by last write (heap streams only) */
    struct con_input *in;                /* its standard input (CON_IN_ATTACH), or NULL */
};

struct console {
    struct stream *buckets[BUCKETS];
    struct stream *newest, *oldest;
    unsigned nheap, nopened;
    uint64_t kdebug;
    uint64_t server;                     /* our unbadged endpoint capability */
    uint64_t next_opened;                /* counter for CON_OPEN badges */
    uint64_t incarnation;                /* root's count of our starts: part of every badge we mint */
    uint64_t minted;                     /* the capability just minted for a reply */
    unsigned ninputs;                    /* streams with an input ring (its bytes: the container's) */
};

struct ae_request;

/* The stream a badge names, or NULL. */
struct stream *stream_find(struct console *c, uint64_t badge);

/* ---- input.c: a container's standard input (CON_IN_*) ---- */
int con_in_attach(void *ctx, struct ae_request *rq);
int con_in_push(void *ctx, struct ae_request *rq);
int con_in_read(void *ctx, struct ae_request *rq);
/* Frees s's input ring and its notification (the stream is dropped). */
void con_in_free(struct console *c, struct stream *s);

/* The log ring: n bytes at stream position pos (the ring wraps at
 * log_bytes). 0, or a negative AE_* error when the memory is gone. */
int log_put(struct stream *s, uint64_t pos, const char *p, size_t n);
int log_get(const struct stream *s, uint64_t pos, char *p, size_t n);
/* An opened stream's header (CON_LOG_HDR bytes after the ring): the bytes
 * written so far; get returns 0 for a log without a valid header. */
int log_put_total(struct stream *s, uint64_t total);
uint64_t log_get_total(const struct stream *s);

/* n bytes to or from Memory at off, in as many kernel calls as it takes:
 * 0, or the kernel's error (the Memory is gone). */
int con_mem_put(uint64_t mem, uint64_t off, const char *p, size_t n);
int con_mem_get(uint64_t mem, uint64_t off, char *p, size_t n);

/* Whether slot is Memory a log can live in (READ and WRITE, a size from
 * CON_LOG_MIN to CON_LOG_MAX); its size in *bytes. */
int log_memory_ok(uint64_t slot, uint64_t *bytes);

#endif
