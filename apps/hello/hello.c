/*
 * hello.c — the first program: it prints through the console service,
 * which is all it was given.
 */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("Hello from %s: a task that holds only the capabilities it was granted.\n",
           argc > 0 ? argv[0] : "hello");
    return 0;
}
