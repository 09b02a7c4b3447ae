/* errno_values.c — libc's errno numbers, compiled against libc's own
 * <errno.h> and linked into cmp_errno beside glibc's. */
#include <errno.h>
#include "errno_names.h"

extern const int libc_errno_values[];
#define VALUE(name) name,
const int libc_errno_values[] = { ERRNO_NAMES(VALUE) };
