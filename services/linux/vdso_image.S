/*
 * vdso_image.S — the vDSO (services/linux/vdso/, built as
 * build/vdso/vdso.so) carried in the personality's read-only data, page
 * aligned: vdso.c copies it into one Memory object at start and maps that
 * into every Linux process.
 */
    .section .rodata
    .balign 16
    .globl lx_vdso_image, lx_vdso_image_end
lx_vdso_image:
    .incbin LX_VDSO_FILE
lx_vdso_image_end:
    .section .note.GNU-stack, "", @progbits
