/*
 * keeper.c — the client side of root's keeper (libaerie/keeper.h): one
 * call, for the services whose state outlives their task.
 */
#include <aerie/errors.h>
#include <aerie/proto/proto.h>
#include <libaerie/invoke.h>
#include <libaerie/keeper.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>

int ae_keep_call(uint64_t keeper, uint64_t label, uint64_t key, uint64_t cap, uint64_t *out_key,
                 uint64_t *out_cap)
{
    if (!keeper)
        return AE_ENOSYS;
    struct aerie_utcb *u = ae_utcb();
    uint64_t slot = 0;
    if (out_cap) {
        if (!(slot = ae_slot_alloc()))
            return AE_ENOMEM;
        u->recv_slots[0] = (uint32_t)slot;
    }
    u->mr[0] = key;
    if (cap)
        u->caps[0] = (uint32_t)cap;
    int64_t r = ae_call(keeper, AERIE_INFO(label, 1, cap ? 1 : 0), AERIE_TIMEOUT_FOREVER);
    u->recv_slots[0] = 0;
    int status = r < 0 ? (int)r : proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
    if (!status && out_key)
        *out_key = u->mr[0];
    if (!status && out_cap && AERIE_INFO_NCAPS((uint64_t)r) != 1)
        status = AE_EPROTO;
    if (status) {
        if (slot)
            ae_slot_free(slot);
        return status;
    }
    if (out_cap)
        *out_cap = slot;
    return 0;
}
