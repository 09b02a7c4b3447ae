/*
 * main.c — the container manager's start: find its grants, open the boot
 * image (container images are its images/NAME/ subtrees), and serve with
 * one thread per CPU.
 */
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <aerie/kip.h>
#include <aerie/errors.h>
#include <libaerie/runtime.h>
#include <libaerie/invoke.h>
#include <libaerie/syscall.h>
#include "cm.h"

static bool open_images(void)
{
    uint64_t info[2];
    if (!cm.image_mem || ae_invoke(cm.image_mem, AERIE_MEM_INFO, 0, 0, info, 2) < 0)
        return false;
    uint64_t va = ae_vm_reserve(info[0]);
    if (!va || ae_task_map(ae_self.task, cm.image_mem, 0, va, info[0], AERIE_MAP_R) < 0)
        return false;
    struct img_error e;
    if (img_open(&cm.image, (const void *)va, info[0], &e)) {
        printf("cm: the boot image is not valid: %s: %s\n", e.field, e.reason);
        return false;
    }
    return true;
}

static void *worker(void *arg)
{
    /* one worker per CPU: creations on several CPUs run side by side */
    ae_invokev(ae_thread_slot(), AERIE_THREAD_SET_AFFINITY, (uint64_t)arg);
    cm_serve();
    return arg;
}

int main(void)
{
    cm.ep = ae_capenv_lookup("cm.server");
    cm.quota = ae_self.quota;
    cm.console_admin = ae_capenv_lookup("console.admin");
    cm.fs_admin = ae_capenv_lookup("fs.admin");
    cm.net_admin = ae_capenv_lookup("net.admin");
    cm.root_admin = ae_capenv_lookup("root.admin");
    cm.image_mem = ae_capenv_lookup("image");
    cm.ncpus = ((const struct aerie_kip *)AERIE_KIP_ADDR)->ncpus;
    for (unsigned i = 0; i < CM_SHARDS; i++)
        pthread_mutex_init(&cm.shards[i].lock, 0);
    if (!cm.ep || !cm.quota || !open_images()) {
        printf("cm: needs serve=cm, its own quota and the image grant\n");
        return 1;
    }
    for (unsigned i = 1; i < cm.ncpus; i++) {
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 64 * 1024);
        if (pthread_create(&t, &a, worker, (void *)(uintptr_t)i) != 0)
            printf("cm: could not start worker %u\n", i);
    }
    /* The first thread is CPU 0's worker: wherever root started it, the
     * workers must not share a CPU. */
    if (cm.ncpus > 1)
        ae_invokev(ae_thread_slot(), AERIE_THREAD_SET_AFFINITY, 0);
    printf("cm: ready, %u worker threads\n", cm.ncpus);
    cm_serve();
    return 0;
}
