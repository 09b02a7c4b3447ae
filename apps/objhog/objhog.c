/*
 * objhog.c — makes kernel objects from its own quota until the quota says
 * no, then reports. Exit 0: it hit its object limit (AE_ELIMIT) cleanly.
 */
#include <stdio.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>

int main(void)
{
    int n = 0;
    int64_t r;
    for (;;) {
        uint64_t s = ae_slot_alloc();
        if (!s) {
            r = AE_ELIMIT;
            break;
        }
        if ((r = ae_quota_create(ae_self.quota, AERIE_OBJ_NOTIFICATION, s, 0, 0, 0)) < 0)
            break;
        n++;
    }
    printf("objhog: %d objects, then %ld\n", n, r);
    return r == AE_ELIMIT ? 0 : 1;
}
