/* perror.c — C11 7.21.10.4: "s: message\n" (or just the message) on
 * stderr, as one write. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

void perror(const char *s)
{
    const char *msg = strerror(errno);
    if (s && *s)
        fprintf(stderr, "%s: %s\n", s, msg);
    else
        fprintf(stderr, "%s\n", msg);
}
