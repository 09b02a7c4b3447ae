/* stack_chk.c — what -fstack-protector code calls when a function's
 * canary (%fs:0x28) was overwritten: stop at once, with a message. */
#include "libc.h"

_Noreturn void __stack_chk_fail(void);

_Noreturn void __stack_chk_fail(void)
{
    __libc_fatal("stack smashing detected");
}
