/*
 * libaerie/keeper.h — the client side of root's keeper (ROOT_KEEP_*,
 * aerie/proto/root.h; docs/RESTART.md): a restartable service hands root
 * a copy of every capability its persistent state names, keyed by the
 * field that holds it, and its next instance takes them back. Used by the
 * fs and net services' persist.c.
 */
#ifndef LIBAERIE_KEEPER_H
#define LIBAERIE_KEEPER_H

#include <stdint.h>

/* One ROOT_KEEP_* call (label) on keeper with mr[0] = key and, if cap is
 * not 0, that capability given. out_key (if not NULL) receives the
 * reply's key whenever root answered 0 — also when the capability that
 * should have come with it did not (the key still says where a caller
 * walking ROOT_KEEP_NEXT is); out_cap (if not NULL) a new slot holding
 * the capability root sent back (ROOT_KEEP_NEXT). Returns 0, root's
 * refusal, AE_EPROTO (no capability came), AE_ENOMEM (no slot), or
 * AE_ENOSYS when keeper is 0 (the service runs without root's keeper). */
int ae_keep_call(uint64_t keeper, uint64_t label, uint64_t key, uint64_t cap, uint64_t *out_key,
                 uint64_t *out_cap);

#endif
