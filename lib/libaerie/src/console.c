/*
 * console.c — the console client (aerie/proto/console.h): log text goes
 * in chunks of message words.
 */
#include <libaerie/console.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include <aerie/proto/console.h>
#include <aerie/errors.h>
#include <stdbool.h>

static uint64_t console_slot(void)
{
    static uint64_t slot = ~0ull;
    if (slot == ~0ull)
        slot = ae_capenv_lookup("console");
    return slot;
}

int64_t ae_console_write(const char *buf, size_t n)
{
    uint64_t con = console_slot();
    if (!con)
        return ae_self.kdebug ? ae_kdebug_write(ae_self.kdebug, buf, n) : AE_ECAP;
    struct aerie_utcb *u = ae_utcb();
    unsigned retries = 0;
    uint64_t gen = ae_clone_generation();
    bool forked = false;
    while (n) {
        size_t k = n < CON_CHUNK ? n : CON_CHUNK;
        char *dst = (char *)&u->mr[1];
        for (size_t i = 0; i < k; i++)
            dst[i] = buf[i];
        u->mr[0] = k;
        int64_t r = ae_call(con, AERIE_INFO(CON_WRITE, 1 + (k + 7) / 8, 0), AERIE_TIMEOUT_FOREVER);
        /* The console died with this chunk in hand (EDEAD): its endpoint
         * outlives it and root starts it again, so send the chunk again
         * (docs/RESTART.md: it may then appear twice, never not at all). */
        if (r == AE_EDEAD && retries++ < 3)
            continue;
        /* We are a clone, and this chunk was in the original's console
         * stream's hands when cm forked the container (ECANCELED in a
         * new generation: docs/FORK.md, "A fork during a call"): it went
         * to the original's log, not to ours, which starts empty. It is
         * sent once to our own stream (cm put it in the same slot). */
        if (r == AE_ECANCELED && !forked && ae_clone_generation() != gen) {
            forked = true;
            continue;
        }
        if (r < 0)
            return r;
        if (AERIE_INFO_LABEL((uint64_t)r))
            return proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
        buf += k;
        n -= k;
    }
    return 0;
}

static uint64_t stdin_slot(void)
{
    static uint64_t slot = ~0ull;
    if (slot == ~0ull)
        slot = ae_capenv_lookup("stdin");
    return slot;
}

int64_t ae_console_read(void *buf, size_t n, bool wait)
{
    uint64_t con = console_slot();
    if (!con || !n)
        return 0;                        /* no stream: no input, as a closed pipe */
    struct aerie_utcb *u = ae_utcb();
    for (unsigned retries = 0;;) {
        u->mr[0] = n;
        int64_t r = ae_call(con, AERIE_INFO(CON_IN_READ, 1, 0), AERIE_TIMEOUT_FOREVER);
        if (r == AE_EDEAD && retries++ < 3)
            continue;                    /* the console restarted (docs/RESTART.md) */
        if (r < 0)
            return r;
        int status = proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
        if (status == AE_EAGAIN && wait && stdin_slot()) {
            uint64_t bits;
            ae_recv(stdin_slot(), AERIE_TIMEOUT_FOREVER, &bits);
            continue;
        }
        if (status)
            return status;
        uint64_t k = u->mr[0];
        if (k > n || k > (AERIE_INFO_NWORDS((uint64_t)r) - 2) * 8)
            return AE_EPROTO;
        const char *src = (const char *)&u->mr[2];
        for (uint64_t i = 0; i < k; i++)
            ((char *)buf)[i] = src[i];
        return (int64_t)k;
    }
}
