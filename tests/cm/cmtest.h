/*
 * cmtest.h — what cmtest.c's tests share with the files beside it
 * (t_images.c, t_density.c, t_longspec.c): running a spec to its end, and cmclient.h's
 * capability, log and free-page helpers.
 */
#ifndef AERIE_CMTEST_H
#define AERIE_CMTEST_H

#include <stddef.h>
#include <stdint.h>
#include <libaerie/cm.h>
#include "cmclient.h"

/* Runs spec to its end; returns the status and (optionally) the log; the
 * container is removed unless idp takes its id. */
int run(const char *spec, struct ae_cm_status *st, char *log, size_t cap, uint64_t *idp);

/* t_images.c: imported images through "cm.admin", and only through it.
 * Each test returns NULL, or what failed. */
struct cm_image_test {
    const char *name;
    const char *(*fn)(void);
};
extern const struct cm_image_test cm_image_tests[];

/* t_longspec.c: specs past one message, and the misuse of their Memory. */
extern const struct cm_image_test cm_longspec_tests[];
#define SPEC_MAX_ARGS_CM 256              /* services/cm/spec.h's SPEC_MAX_ARGS */

/* t_density.c: N containers end in a burst and N start again at once;
 * NULL or what failed. */
const char *cm_density_holds_after_a_burst_of_ends(void);

#endif
