/*
 * tls.c — thread-local storage and the thread control block, x86-64
 * variant II (see pthread_impl.h for the layout). __init_tls finds the
 * executable's PT_TLS segment and gives the main thread its TLS;
 * __tls_install lays out TLS and TCB for every later thread.
 *
 * The block below the thread pointer is memsz rounded up so that the TLS
 * image's address plus the block size is a multiple of p_align: that is
 * the offset the static linker gave every local-exec TLS access
 * (%fs:-offset), so it must be reproduced exactly.
 */
#include "elf_types.h"
#include <stddef.h>
#include <string.h>
#include "libc.h"
#include "pthread_impl.h"
#include "sys.h"

_Static_assert(offsetof(struct __pthread, self) == 0, "%fs:0 is the self-pointer");
_Static_assert(offsetof(struct __pthread, self2) == 0x10, "glibc's self slot");
_Static_assert(offsetof(struct __pthread, canary) == 0x28, "GCC reads the canary at %fs:0x28");
_Static_assert(offsetof(struct __pthread, pointer_guard) == 0x30, "pointer guard slot");

#define TCB_ALIGN 16
#define MAIN_TLS_STATIC 2048

/* The ELF header, if the linker mapped it (a fallback when auxv lacks AT_PHDR). */
extern const Elf64_Ehdr __ehdr_start __attribute__((weak, visibility("hidden")));

static unsigned char main_tls[MAIN_TLS_STATIC] __attribute__((aligned(64), section(".bss.hot.1")));

size_t __tls_area_size(void)
{
    return __libc.tls_block + sizeof(struct __pthread) + __libc.tls_align;
}

struct __pthread *__tls_install(void *mem, size_t size)
{
    uintptr_t top = (uintptr_t)mem + size;
    uintptr_t tp = (top - sizeof(struct __pthread)) & ~(uintptr_t)(__libc.tls_align - 1);
    unsigned char *block = (unsigned char *)tp - __libc.tls_block;
    if (__libc.tls_filesz)
        memcpy(block, __libc.tls_image, __libc.tls_filesz);
    memset(block + __libc.tls_filesz, 0, __libc.tls_block - __libc.tls_filesz);
    struct __pthread *t = (struct __pthread *)tp;
    memset(t, 0, sizeof *t);
    t->self = t->self2 = t;
    t->canary = __libc.canary;
    return t;
}

/* Finds the program headers: from auxv, else from the linked-in ELF header. */
static const Elf64_Phdr *find_phdrs(const uint64_t *auxv, size_t *n, size_t *entsize)
{
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(uintptr_t)__auxv_get(auxv, AT_PHDR);
    if (ph) {
        *n = __auxv_get(auxv, AT_PHNUM);
        *entsize = __auxv_get(auxv, AT_PHENT);
        if (!*entsize)
            *entsize = sizeof(Elf64_Phdr);
        return ph;
    }
    if (!&__ehdr_start) {
        *n = 0;
        return NULL;
    }
    *n = __ehdr_start.e_phnum;
    *entsize = __ehdr_start.e_phentsize;
    return (const Elf64_Phdr *)((const char *)&__ehdr_start + __ehdr_start.e_phoff);
}

/* Records the PT_TLS segment, if any, in __libc. */
static void find_tls_segment(const uint64_t *auxv)
{
    size_t n, entsize = 0;
    const Elf64_Phdr *phdrs = find_phdrs(auxv, &n, &entsize);
    uintptr_t bias = 0;
    const Elf64_Phdr *tls = NULL;
    for (size_t i = 0; i < n; i++) {
        const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)phdrs + i * entsize);
        if (ph->p_type == PT_PHDR)
            bias = (uintptr_t)phdrs - ph->p_vaddr;
        else if (ph->p_type == PT_TLS)
            tls = ph;
    }
    size_t align = 1;
    if (tls) {
        __libc.tls_image = (const void *)(bias + tls->p_vaddr);
        __libc.tls_filesz = tls->p_filesz;
        __libc.tls_memsz = tls->p_memsz;
        if (tls->p_align > 1)
            align = tls->p_align;
        uintptr_t image = (uintptr_t)__libc.tls_image;
        __libc.tls_block = tls->p_memsz + ((-tls->p_memsz - image) & (align - 1));
    }
    __libc.tls_align = align > TCB_ALIGN ? align : TCB_ALIGN;
}

void __init_tls(uint64_t *auxv)
{
    find_tls_segment(auxv);
    size_t size = __tls_area_size();
    void *mem = main_tls;
    if (size > sizeof main_tls) {
        size = (size + 4095) & ~(size_t)4095;
        mem = __sys_pages_alloc(size);
        if (!mem)
            __libc_fatal("no memory for the main thread's TLS (%zu bytes)", size);
    } else {
        size = sizeof main_tls;
    }
    struct __pthread *t = __tls_install(mem, size);
    t->state = THREAD_JOINABLE;
    int r = __sys_set_tls(t);
    if (r < 0)
        __libc_fatal("cannot set the thread pointer (error %d)", r);
}
