/*
 * kconfig.c — parses the kernel command line into struct kconfig.
 */
#include "kconfig.h"
#include "printk.h"
#include "lib/string.h"

struct kconfig kconfig;

static const char *next_word(const char *p, char *word, size_t max)
{
    while (*p == ' ')
        p++;
    size_t n = 0;
    while (*p && *p != ' ') {
        if (n + 1 < max)
            word[n++] = *p;
        p++;
    }
    word[n] = 0;
    return p;
}

static void copy_value(char *dst, size_t max, const char *src)
{
    size_t n = strlen(src);
    if (n >= max) {
        kprintf("kconfig: value '%s' too long, truncated\n", src);
        n = max - 1;
    }
    memcpy(dst, src, n);
    dst[n] = 0;
}

void kconfig_parse(const char *cmdline)
{
    char word[128];
    /* Both QEMU and GRUB put the kernel's file name first. */
    const char *p = next_word(cmdline, word, sizeof word);
    while (*p) {
        p = next_word(p, word, sizeof word);
        if (!word[0])
            continue;
        if (strncmp(word, "ktest=", 6) == 0)
            copy_value(kconfig.ktest, sizeof kconfig.ktest, word + 6);
        else if (strcmp(word, "exit_on_halt") == 0)
            kconfig.exit_on_halt = true;
        else
            kprintf("kconfig: '%s' is not a kernel option; left for the boot task\n", word);
    }
}
