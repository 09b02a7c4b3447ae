/*
 * engine.h — aerie-engine, the host side of the control channel
 * (docs/ENGINE.md). One process per running Aerie: it owns the socket
 * QEMU's virtio-console port connects to (the link, services/ctl/frame.h)
 * and serves any number of clients on its own socket, each on a channel
 * of its own, so clients never wait for one another. It keeps the image
 * store on the host (store.c): every stored image is sent to Aerie after
 * each boot, before any client is let in.
 *
 * One thread, one poll loop, non-blocking sockets; every buffer is
 * bounded by the link's credit (a window per channel and direction, frame.h).
 *
 * Files: main.c (arguments, the lock, the loop), link.c (frames, channels,
 * credit), client.c (client connections, engine verbs), store.c (images
 * on disk), job.c (the engine's own requests to ctl on channel 1).
 */
#ifndef AERIE_ENGINE_H
#define AERIE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "ctlproto.h"
#include "frame.h"
#include <aerie/proto/cm.h>

#define ENGINE_CLIENTS   128             /* connections at once (more wait in the backlog); those
                                            beyond the link's channels wait for one */
#define AERIE_STR_(x)    #x
#define AERIE_STR(x)     AERIE_STR_(x)
#define ENGINE_CHAN      1               /* the engine's own channel */
#define ENGINE_VMOUT_MAX (1u << 20)      /* bytes queued for QEMU before clients wait */

/* A byte queue. */
struct bq {
    uint8_t *p;
    size_t start, len, cap;
};
bool bq_put(struct bq *q, const void *p, size_t n);
void bq_take(struct bq *q, size_t n);
void bq_free(struct bq *q);
static inline const uint8_t *bq_data(const struct bq *q) { return q->p + q->start; }

/* A pending import: the client's payload written to a file of the store. */
struct upload {
    bool active;                         /* its payload is being read */
    FILE *f;                             /* NULL: refused, the payload is dropped */
    char name[CM_NAME_MAX + 1];
    char id[CTL_ID_MAX + 1];
    uint64_t size, got;
    bool bad;                            /* a write failed */
};

struct client {
    int fd;                              /* -1: the engine itself (channel 1) */
    bool used, eof;
    uint16_t chan;                       /* 0: waiting for one */
    struct bq in;                        /* bytes for ctl on its channel */
    struct bq out;                       /* bytes for the client */
    size_t from_ctl;                     /* of them, ctl's (credited back once written) */
    uint32_t credit;                     /* bytes we may still send to ctl */
    uint32_t consumed;                   /* bytes from ctl consumed, not yet credited */
    struct ctl_lines lines;              /* the client's lines, to find engine verbs */
    char line[CTL_LINE_MAX + 2];         /* the current line's raw bytes */
    size_t line_len;
    bool overlong;                       /* the current line is too long: forwarded as is */
    uint64_t forward_left;               /* payload bytes of a forwarded put */
    struct upload up;                    /* an import's payload being stored (up.f != NULL) */
};

enum link_state { LINK_DOWN, LINK_SYNC, LINK_UP };

struct engine {
    const char *sock_path, *vm_path, *store_dir;
    int listen_fd, vm_listen_fd, vm_fd;
    enum link_state state;
    bool ready;                          /* stored images sent: clients may come in */
    struct frame_reader rd;
    struct bq vmout;                     /* bytes for QEMU */
    struct client clients[ENGINE_CLIENTS + 1];   /* [ENGINE_CLIENTS]: the engine itself */
    struct client *chans[FRAME_CHANNELS];        /* who holds each channel */
    bool closing[FRAME_CHANNELS];                /* CLOSE sent, waiting for ctl's */
    uint64_t hellos, frames_bad;
};

#define ENGINE_SELF(e) (&(e)->clients[ENGINE_CLIENTS])

void engine_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* link.c */
void link_accept(struct engine *e);
void link_read(struct engine *e);
bool link_write(struct engine *e);           /* false: QEMU went away */
/* Every session ends (clients are closed); the link waits for a HELLO. */
void link_down(struct engine *e, const char *why);
/* QEMU's connection is closed, then link_down. */
void link_drop_vm(struct engine *e, const char *why);
/* Queues a frame (and n payload bytes) for QEMU. */
void link_frame(struct engine *e, uint8_t type, uint16_t chan, const void *p, uint32_t n);
/* Moves clients' queued input to QEMU as their credit allows. */
void link_pump(struct engine *e);
/* Gives a waiting client a channel, if one is free. */
void link_assign(struct engine *e, struct client *c);
/* Credits ctl for n bytes of c's channel consumed. */
void link_consumed(struct engine *e, struct client *c, size_t n);

/* client.c */
void client_accept(struct engine *e);
/* Reads what the client sent (while its queue for ctl has room). */
void client_read(struct engine *e, struct client *c, bool hup);
/* Writes what ctl sent it; false once it is gone. */
bool client_write(struct engine *e, struct client *c);
/* The client went away, or its channel ended: it is closed. */
void client_close(struct engine *e, struct client *c);
/* A line the engine answers itself (to client c, request id). */
void client_reply(struct engine *e, struct client *c, const char *id, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* job.c: the engine's own requests on channel 1 (store images, rmi). */
void job_link_up(struct engine *e);
void job_link_down(struct engine *e);
/* Sends a stored image to Aerie; when answered, finish(e, requester, id,
 * ok, message) is called. requester may be NULL (the store at boot). */
typedef void (*job_done)(struct engine *e, struct client *requester, const char *id, bool ok,
                         const char *msg, const char *name);
void job_push(struct engine *e, const char *name, const char *path, struct client *requester,
              const char *id, job_done done);
void job_rmi(struct engine *e, const char *name, struct client *requester, const char *id, job_done done);
/* ctl's bytes on channel 1. */
void job_input(struct engine *e, const uint8_t *p, size_t n);
/* Feeds queued jobs' payloads as channel 1's credit allows. */
void job_pump(struct engine *e);
/* A client that goes away forgets the jobs it is waiting for. */
void job_forget(struct engine *e, struct client *c);
bool job_idle(const struct engine *e);

/* store.c: images on the host, one archive per file: DIR/NAME.img. */
int store_open(const char *dir, char *why, size_t cap);
/* Calls fn for each stored image, in name order. */
void store_each(const char *dir, void (*fn)(void *ctx, const char *name, const char *path), void *ctx);
/* DIR/NAME.img and DIR/NAME.part (the upload being written). */
void store_path(const char *dir, const char *name, const char *suffix, char *out, size_t cap);
bool store_valid_name(const char *name);

#endif
