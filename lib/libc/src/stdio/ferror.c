/* ferror.c — C11 7.21.10: the end-of-file and error indicators. */
#include "stdio_impl.h"

int ferror(FILE *f)
{
    __flockfile(f);
    int r = !!(f->flags & F_ERR);
    __funlockfile(f);
    return r;
}

int feof(FILE *f)
{
    __flockfile(f);
    int r = !!(f->flags & F_EOF);
    __funlockfile(f);
    return r;
}

void clearerr(FILE *f)
{
    __flockfile(f);
    f->flags &= ~(unsigned)(F_EOF | F_ERR);
    __funlockfile(f);
}
