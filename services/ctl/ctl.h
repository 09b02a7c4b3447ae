/*
 * ctl.h — the control service: the guest end of the control channel. It
 * drives a virtio-console port (vcon.c) whose host end is the engine
 * (tools/engine/, docs/ENGINE.md), which multiplexes many clients over
 * it: the link (link.c, frame.h) carries one channel per client, and each
 * channel is a session (session.c) speaking the line protocol of
 * ctlproto.h, with raw payloads after `put` and `import` and raw chunks
 * in `data` replies. Requests go to the container manager.
 *
 * One thread does everything and never waits for the host: input is
 * taken into per-session rings as it comes, sessions are worked on only
 * while their output (bounded by the engine's credit) has room, and
 * long work — streams of a container's output, file transfers, imports —
 * advances a piece at a time between rounds.
 *
 * Files: main.c (grants, the loop), vcon.c (the device), frame.c (link
 * frames), link.c (the link: HELLO, channels, credit, transmit), session.c
 * (a channel's bytes: lines, payloads, output), verbs.c (one handler per
 * verb), stream.c (run/follow), files.c (fstat/mkdir/ls), xfer.c (put/get
 * through the container's fs session), import.c (images into cm),
 * reply.c (reply lines).
 */
#ifndef AERIE_CTL_H
#define AERIE_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <libaerie/cm.h>
#include <libaerie/fs.h>
#include "ctlproto.h"
#include "frame.h"
#include "vcon.h"
#include "aerie/pci_grant.h"

#define CTL_STREAMS    64            /* run/follow streams at once, all sessions */
#define CTL_XFERS      8             /* file transfers (put/get) at once */
#define CTL_OUT_HIGH   (256u << 10)  /* a session's unsent output above which it waits */
#define CTL_XFER_BUF   (512u << 10)  /* the fs buffer a transfer uses */

struct ctl;
struct xfer;

/* A payload being taken from a session's input (after put or import). */
enum ctl_payload { PAY_NONE, PAY_PUT, PAY_IMPORT, PAY_INPUT, PAY_SPEC, PAY_DISCARD };

struct ctl_session {
    bool open;
    uint16_t chan;
    struct ctl *ctl;
    /* input: DATA the engine sent and we have not consumed (a FRAME_WINDOW_DOWN ring,
     * allocated when DATA comes and freed once it is all consumed, so an
     * idle session — a run following a quiet container — costs no ring) */
    uint8_t *in;
    uint32_t in_head, in_len;
    uint32_t uncredited;             /* consumed, not yet given back as CREDIT */
    struct ctl_lines lines;
    enum ctl_payload pay;
    uint64_t pay_left;
    char pay_id[CTL_ID_MAX + 1];     /* the request the payload belongs to */
    struct xfer *put;                /* PAY_PUT's transfer */
    uint64_t input_cid;              /* PAY_INPUT's container */
    uint64_t input_exec;             /* ... and exec (input CID:N), 0: the container's own input */
    uint64_t input_off;              /* the exec's input sent and taken so far */
    bool input_blocked;              /* PAY_INPUT: its ring was full; try again next round */
    char pay_err[300];               /* PAY_DISCARD: the error to answer at its end */
    char *spec;                      /* PAY_SPEC: the spec so far (malloc'd, its SIZE + 1) */
    size_t spec_len;
    bool spec_run;                   /* PAY_SPEC: runspec (else createspec) */
    /* output: bytes for the engine, sent as its credit allows */
    uint8_t *out;
    size_t out_start, out_len, out_cap;
    uint32_t credit;
    bool out_broken;                 /* out of memory: the session is closed */
};

struct ctl_stream {
    bool active;
    struct ctl_session *s;
    char id[CTL_ID_MAX + 1];         /* the request it answers */
    uint64_t cid;                    /* the container */
    uint64_t from;                   /* log position read up to */
    uint64_t exec;                   /* exec: its number (CM_EXEC; 0: run or follow) */
    bool exec_started;               /* exec: "started" was sent */
    unsigned exec_turns;             /* exec: turns it has been pending */
    char prog[48];                   /* exec: the program, for messages */
};

struct ctl_link {
    bool host;                       /* the host side is connected */
    bool up;                         /* the engine answered our HELLO */
    uint64_t nonce;                  /* of our last HELLO */
    bool hello_due, lost;            /* a HELLO to send; the stream broke */
    struct frame_reader rd;
    uint8_t *tx;                     /* the transmit buffer being filled, or NULL */
    size_t tx_len;
    uint8_t ctrl[FRAME_CHANNELS * (2 * FRAME_HDR + 4)];   /* control frames waiting for a transmit
                                                              buffer: a CREDIT and a CLOSE per channel */
    size_t ctrl_len;
    unsigned next_chan;              /* where the flush round starts */
    uint64_t hellos, closes, credit_frames, bad_frames;
};

struct ctl {
    struct virtio_grant grant;
    struct virtio_platform plat;
    struct vcon dev;
    uint64_t irq, ntfn;              /* the device's MSI-X interrupt, 0: poll */
    uint64_t cm;                     /* "cm.admin": the container manager */
    struct ctl_link link;
    struct ctl_session sessions[FRAME_CHANNELS];
    struct ctl_stream streams[CTL_STREAMS];
};

/* ---- link.c ---- */
/* What the device says and sends: call each round. */
void link_events(struct ctl *c, unsigned vcon_events);
void link_input(void *ctx, const uint8_t *p, size_t n);
/* Sends what sessions and the link have for the engine, as far as
 * credit and transmit buffers go. True when something waits for a
 * transmit buffer (the loop then wants the transmit interrupt). */
bool link_flush(struct ctl *c);
/* Queues a control frame (CLOSE, CREDIT) for the next flush. */
void link_control(struct ctl *c, uint8_t type, uint16_t chan, uint32_t credit);

/* ---- session.c ---- */
void session_open(struct ctl *c, uint16_t chan);
/* Ends a session: its streams, transfers and import are dropped. */
void session_close(struct ctl_session *s);
/* Takes DATA for the session into its input ring (false: more than the
 * credit it was given: the engine broke the rules). */
bool session_input(struct ctl_session *s, const uint8_t *p, size_t n);
/* Works through the session's input while its output has room; true if
 * input is left (the loop polls again). */
bool session_work(struct ctl_session *s);
/* Appends bytes to the session's output. */
void session_out(struct ctl_session *s, const void *p, size_t n);
/* The request id's payload of size bytes comes next (pay: where it goes;
 * its end handler answers, at once when size is 0). */
void session_payload(struct ctl_session *s, enum ctl_payload pay, const char *id, uint64_t size);
/* A refused request whose payload still comes: it is read and dropped,
 * then the request is answered "err" with the message. */
void session_discard(struct ctl_session *s, const char *id, uint64_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
size_t session_pending(const struct ctl_session *s);
bool session_has_room(const struct ctl_session *s);

/* ---- reply.c: every line sent is printable ASCII whatever it is given. ---- */
void reply_line(struct ctl_session *s, const char *id, const char *kind, const char *rest);
/* "ID ok ..." (printf-style; escape user text with reply_word first). */
void reply_ok(struct ctl_session *s, const char *id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "ID err MESSAGE": the message is escaped as free text. */
void reply_err(struct ctl_session *s, const char *id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "ID out TEXT" lines carrying data, CTL_CHUNK_MAX bytes per line. */
void reply_out(struct ctl_session *s, const char *id, const char *data, size_t n);
/* "ID data N", then the n raw bytes. */
void reply_data(struct ctl_session *s, const char *id, const void *data, size_t n);
/* Escapes s as one word into buf (cap bytes); returns buf. */
const char *reply_word(const char *s, char *buf, size_t cap);
/* A container's state as reply words: "running", "exited 3", "killed",
 * "faulted page page fault at 0x0 (read, not mapped) rip 0x201010". */
void reply_state(const struct ae_cm_status *st, char *buf, size_t cap);
/* A fault as one word: page, exception:VECTOR, syscall:NUMBER. */
void reply_fault_kind(const struct ae_cm_status *st, char *buf, size_t cap);

/* ---- verbs.c ---- */
void ctl_handle(struct ctl_session *s, const char *line, size_t len);
/* Argument i as a container id; answers the error itself and returns false. */
bool cid_arg(struct ctl_session *s, const struct ctl_request *rq, unsigned i, uint64_t *out);
/* Argument i as a number in base; answers the error itself and returns false. */
bool num_arg(struct ctl_session *s, const struct ctl_request *rq, unsigned i, int base, uint64_t *out);

/* ---- files.c: a container's files for `aerie cp` (fstat, mkdir, ls). ---- */
void verb_fstat(struct ctl_session *s, const struct ctl_request *rq);
void verb_mkdir(struct ctl_session *s, const struct ctl_request *rq);
void verb_ls(struct ctl_session *s, const struct ctl_request *rq);
/* Answers an fs error about path as a message naming it. */
void fs_err(struct ctl_session *s, const char *id, uint64_t cid, const char *path, int r);

/* ---- xfer.c: put and get through the container's fs session. ---- */
/* put CID PATH SIZE MODE: the payload of SIZE bytes follows (session.c
 * calls xfer_put_begin, then xfer_put_data for each piece, then
 * xfer_put_end; a refused put's payload is discarded and answered then). */
void xfer_put_begin(struct ctl_session *s, const struct ctl_request *rq, uint64_t size);
void xfer_put_data(struct ctl_session *s, const uint8_t *p, size_t n);
void xfer_put_end(struct ctl_session *s);
void verb_get(struct ctl_session *s, const struct ctl_request *rq);
void verb_symlink(struct ctl_session *s, const struct ctl_request *rq);
void verb_readlink(struct ctl_session *s, const struct ctl_request *rq);
/* Advances every get whose session has room; true if one could go on. */
bool xfer_poll(struct ctl *c);
/* Drops the session's transfers (it closed). */
void xfer_drop(struct ctl_session *s);

/* ---- import.c: import NAME SIZE, the image archive as its payload. ---- */
void import_begin(struct ctl_session *s, const struct ctl_request *rq, uint64_t size);
void import_data(struct ctl_session *s, const uint8_t *p, size_t n);
void import_end(struct ctl_session *s);
void import_drop(struct ctl_session *s);
void verb_rmi(struct ctl_session *s, const struct ctl_request *rq);

/* ---- input.c: input CID SIZE (then SIZE bytes) | input CID eof: a
 * container's standard input (`aerie run -i`). ---- */
void input_begin(struct ctl_session *s, const struct ctl_request *rq, uint64_t size);
/* Passes on what the container's input ring takes of n bytes at p: the
 * bytes taken (0: it is full; s->input_blocked is set and the session
 * waits for the next round). An error turns the rest into a discard. */
size_t input_data(struct ctl_session *s, const uint8_t *p, size_t n);
void input_end(struct ctl_session *s);
void verb_input_eof(struct ctl_session *s, const struct ctl_request *rq);
/* The session closed: the container it last sent input to gets the end
 * (the CLI went away: `aerie run -i` and Ctrl-C; docs/CLI.md). */
void input_drop(struct ctl_session *s);
/* Whether a session waits for a container to read its input. */
bool input_waiting(const struct ctl *c);

/* ---- exec.c: exec CID [-i] [-e NAME=VALUE]... [--] PROGRAM [ARG]... ---- */
void verb_exec(struct ctl_session *s, const struct ctl_request *rq);
/* inspect.c: inspect ID -> row KEY VALUE..., ok */
void verb_inspect(struct ctl_session *s, const struct ctl_request *rq);
/* An exec stream's turn (stream.c calls it for streams with exec set). */
void exec_turn(struct ctl *c, struct ctl_stream *st);
/* ---- specup.c: runspec SIZE | createspec SIZE, then SIZE bytes of spec. ---- */
void spec_begin(struct ctl_session *s, const struct ctl_request *rq, uint64_t size, bool run);
void spec_data(struct ctl_session *s, const uint8_t *p, size_t n);
void spec_end(struct ctl_session *s);
void spec_drop(struct ctl_session *s);
/* verbs.c: creates (and with run starts and streams) a container of the
 * spec text, answering under id. */
void ctl_create(struct ctl_session *s, const char *id, const char *spec, bool run);

/* ---- stream.c ---- */
/* Sends what the log holds past st->from (a bounded amount): 0 when it
 * is drained, 1 when more is left, or a negative error. */
int stream_pump(struct ctl *c, struct ctl_stream *st);
/* Starts streaming container cid's log from position from under id;
 * AE_EBUSY when CTL_STREAMS are running already. */
int stream_add(struct ctl_session *s, const char *id, uint64_t cid, uint64_t from);
/* Gives every stream whose session has room a turn. */
void stream_poll(struct ctl *c);
unsigned stream_count(const struct ctl *c);
/* Ends the session's streams without a word (it closed). */
void stream_drop(struct ctl_session *s);

#endif
