/*
 * ctl.h — the control service: it speaks the line protocol of
 * ctlproto.h with the host over a serial port (COM2) and forwards each
 * request to the container manager. One request is handled at a time;
 * requests that stream a container's output ("run", "follow") go on in
 * the background, polled between requests, so a client can still send
 * "kill" while it watches.
 *
 * Files: main.c (grants, the wait loop), verbs.c (one handler per verb),
 * stream.c (the streams), reply.c (reply lines), uart.c (the 16550),
 * files.c (the file verbs of `aerie cp`).
 */
#ifndef AERIE_CTL_H
#define AERIE_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <libaerie/cm.h>
#include "ctlproto.h"
#include "uart.h"

#define CTL_STREAMS 8

struct ctl_stream {
    bool active;
    char id[CTL_ID_MAX + 1];     /* the request it answers */
    uint64_t cid;                /* the container */
    uint64_t from;               /* log position read up to */
};

struct ctl {
    struct uart uart;
    uint64_t cm;                 /* "cm": the container manager */
    struct ctl_lines lines;
    struct ctl_stream streams[CTL_STREAMS];
};

/* reply.c — every line sent is printable ASCII whatever it is given. */
void reply_line(struct ctl *c, const char *id, const char *kind, const char *rest);
/* "ID ok ..." (printf-style; escape user text with reply_word first). */
void reply_ok(struct ctl *c, const char *id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "ID err MESSAGE": the message is escaped as free text. */
void reply_err(struct ctl *c, const char *id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "ID out TEXT" lines carrying data, CTL_CHUNK_MAX bytes per line. */
void reply_out(struct ctl *c, const char *id, const char *data, size_t n);
/* Escapes s as one word into buf (cap bytes); returns buf. */
const char *reply_word(const char *s, char *buf, size_t cap);
/* A container's state as reply words: "running", "exited 3", "killed",
 * "faulted page page fault at 0x0 (read, not mapped) rip 0x201010". */
void reply_state(const struct ae_cm_status *st, char *buf, size_t cap);
/* A fault as one word: page, exception:VECTOR, syscall:NUMBER. */
void reply_fault_kind(const struct ae_cm_status *st, char *buf, size_t cap);

/* verbs.c */
void ctl_handle(struct ctl *c, const char *line, size_t len);
/* Argument i as a container id; answers the error itself and returns false. */
bool cid_arg(struct ctl *c, const struct ctl_request *rq, unsigned i, uint64_t *out);

/* files.c: a container's files, for `aerie cp`; bytes travel as hex. */
#define CTL_FILE_CHUNK 256
void verb_fstat(struct ctl *c, const struct ctl_request *rq);
void verb_fread(struct ctl *c, const struct ctl_request *rq);
void verb_fwrite(struct ctl *c, const struct ctl_request *rq);
void verb_mkdir(struct ctl *c, const struct ctl_request *rq);
void verb_ls(struct ctl *c, const struct ctl_request *rq);

/* stream.c */
/* Starts streaming container cid's log from position from under id;
 * AE_EBUSY when CTL_STREAMS are running already. */
int stream_add(struct ctl *c, const char *id, uint64_t cid, uint64_t from);
void stream_poll(struct ctl *c);
unsigned stream_count(const struct ctl *c);
/* Ends every stream without a word: their client has gone. */
void stream_drop_all(struct ctl *c);

#endif
