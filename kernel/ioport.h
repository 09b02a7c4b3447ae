/*
 * ioport.h — device access objects handed to the boot task: I/O port
 * ranges (accessed through IN/OUT methods, so no task ever gets an I/O
 * permission bitmap), device memory (physical ranges outside RAM, made
 * into Memory objects), and the kernel debug console.
 */
#ifndef AERIE_IOPORT_H
#define AERIE_IOPORT_H

#include "object.h"
#include "cap.h"

struct ioport {
    struct kobject obj;
    uint16_t first, last;
};

struct devmem {
    struct kobject obj;
};

struct ioport *ioport_new(struct quota *q, uint16_t first, uint16_t last, int *err);
int ioport_invoke(struct ioport *io, const struct capref *cap, uint64_t label, struct invocation *inv);
int devmem_invoke(struct devmem *d, const struct capref *cap, uint64_t label, struct invocation *inv);
int kdebug_invoke(struct kobject *k, const struct capref *cap, uint64_t label, struct invocation *inv);

extern const struct obj_ops ioport_ops, devmem_ops, kdebug_ops;

#endif
