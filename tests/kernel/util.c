/*
 * util.c — helpers the kernel tests share: threads, waiting, badges,
 * spawning a copy of this program into a child task, receiving.
 */
#include "kt.h"
#include <aerie/kip.h>

uint64_t kt_now_ns(void)
{
    const struct aerie_kip *k = (const struct aerie_kip *)AERIE_KIP_ADDR;
    uint64_t t = __builtin_ia32_rdtsc() - k->boot_tsc;
    return t / k->tsc_hz * 1000000000ull + t % k->tsc_hz * 1000000000ull / k->tsc_hz;
}

int kt_thread(struct kt_env *env, struct ae_thread *th, void (*fn)(void *), void *arg, int cpu)
{
    uint64_t ep = th->fault_ep;
    *th = (struct ae_thread){ .quota = env->quota, .fault_ep = ep };
    return ae_thread_start(th, fn, arg, cpu, 16384);
}

bool kt_wait(volatile int *flag, int value, unsigned ms)
{
    for (unsigned i = 0; i < ms; i++) {
        if (__atomic_load_n(flag, __ATOMIC_ACQUIRE) == value)
            return true;
        ae_sleep_ns(1000000);
    }
    return __atomic_load_n(flag, __ATOMIC_ACQUIRE) == value;
}

uint64_t kt_mint(uint64_t cap, uint64_t rights, uint64_t badge)
{
    uint64_t s = ae_slot_alloc();
    return ae_cap_copy(cap, s, rights, badge) < 0 ? 0 : s;
}

bool kt_spawn_copies;
const char *kt_spawn_extra;
static const void *self_image;
static uint64_t self_image_len, self_image_mem;

/* Maps this program's own file (the boot module, or the "image" grant). */
static int map_self_image(void)
{
    if (self_image)
        return 0;
    self_image_mem = ae_start.bootinfo ? AERIE_BOOT_MODULE0 : ae_capenv_lookup("image");
    uint64_t info[2];
    if (!self_image_mem || ae_invoke(self_image_mem, AERIE_MEM_INFO, 0, 0, info, 2) < 0)
        return AE_ECAP;
    self_image_len = ae_start.bootinfo ? ae_start.bootinfo->modules[0].bytes : info[0];
    uint64_t va = ae_vm_reserve(info[0]);
    if (ae_task_map(ae_self.task, self_image_mem, 0, va, info[0], AERIE_MAP_R) < 0)
        return AE_EFAULT;
    self_image = (const void *)va;
    return 0;
}

const void *kt_self_image(uint64_t *len)
{
    if (map_self_image())
        return 0;
    *len = self_image_len;
    return self_image;
}

int kt_spawn_role(uint64_t quota, const char *role, const struct ae_grant *grants, unsigned n,
                  uint64_t fault_ep, int cpu, struct ae_child *child, const char *arg)
{
    int r = map_self_image();
    if (r)
        return r;
    const char *argv[] = { "ktest", role, arg, arg ? kt_spawn_extra : 0, 0 };
    struct ae_spawn_args a = {
        .quota = quota, .image = self_image, .image_len = self_image_len,
        .image_mem = kt_spawn_copies ? 0 : self_image_mem,
        .argv = argv, .grants = grants, .ngrants = n, .fault_ep = fault_ep, .cpu = cpu,
        .stack_bytes = 32768,
    };
    char err[128];
    r = ae_spawn(&a, child, err, sizeof err);
    if (r)
        ae_kprintf("kt_spawn_role(%s): %s\n", role, err);
    return r;
}

int64_t kt_recv(uint64_t ep, unsigned ms, uint64_t *badge, uint64_t w[4])
{
    int64_t r = ae_recv(ep, (uint64_t)ms * 1000000ull, badge);
    if (r >= 0 && w) {
        struct aerie_utcb *u = ae_utcb();
        for (int i = 0; i < 4; i++)
            w[i] = u->mr[i];
    }
    return r;
}
