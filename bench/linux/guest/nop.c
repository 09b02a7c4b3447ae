/*
 * nop.c — the program whose start the start-up benchmarks time: a static
 * binary (glibc, as an ordinary program would be) that returns at once.
 */
int main(void)
{
    return 0;
}
