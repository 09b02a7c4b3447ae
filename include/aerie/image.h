/*
 * aerie/image.h — the Aerie image archive: one format for the boot image
 * (user programs, the boot configuration, container images) and for
 * container images (a program plus its files). docs/IMAGE.md describes it;
 * lib/image/ parses and validates it; tools/mkimage builds it.
 *
 * Layout (all integers little-endian, every region inside total_size):
 *
 *   0                      struct ae_image_header
 *   entries_offset         entry_count x struct ae_image_entry, sorted by path
 *   strtab_offset          the paths and link targets, strtab_size bytes
 *                          (no terminators needed)
 *   data_offset            file data; each file starts on a 4096-byte boundary
 *   total_size             end, a multiple of 4096
 *
 * The 4096-byte alignment lets a file's pages be mapped read-only into many
 * containers straight out of the archive, never copied.
 */
#ifndef AERIE_IMAGE_H
#define AERIE_IMAGE_H

#include <stdint.h>

#define AE_IMAGE_MAGIC      0x474d494549524541ull  /* "AERIEIMG" in file order */
#define AE_IMAGE_VERSION    1u
#define AE_IMAGE_ALIGN      4096u                   /* file data and total size */
#define AE_IMAGE_NAME_MAX   255u                    /* bytes in one path component */
#define AE_IMAGE_PATH_MAX   4096u                   /* bytes in a whole path */

/* Entry types. The root directory is implicit and has no entry. */
#define AE_IMAGE_FILE       1u
#define AE_IMAGE_DIR        2u
#define AE_IMAGE_SYMLINK    3u                      /* target in the string table */

#define AE_IMAGE_LINK_MAX   4095u                   /* bytes in a link's target */
#define AE_IMAGE_LINK_MODE  0777u                   /* a link's mode, as on Linux */

#define AE_IMAGE_MODE_MASK  07777u                  /* permission bits only */

struct ae_image_header {
    uint64_t magic;            /* AE_IMAGE_MAGIC */
    uint32_t version;          /* AE_IMAGE_VERSION */
    uint32_t header_size;      /* sizeof(struct ae_image_header) */
    uint32_t entry_size;       /* sizeof(struct ae_image_entry) */
    uint32_t entry_count;
    uint64_t entries_offset;   /* == header_size */
    uint64_t strtab_offset;    /* == entries_offset + entry_count * entry_size */
    uint64_t strtab_size;
    uint64_t data_offset;      /* strtab end rounded up to AE_IMAGE_ALIGN */
    uint64_t total_size;       /* bytes in the archive; a multiple of AE_IMAGE_ALIGN */
};

/*
 * One file, directory or symbolic link. path is relative and normalized: '/'-separated
 * components, none empty, "." or "..", no NUL, each at most
 * AE_IMAGE_NAME_MAX bytes. Entries are sorted by path compared component
 * by component (bytewise with '/' ranking below every other byte), which
 * is a depth-first order: a directory's descendants follow it contiguously.
 * Every proper prefix of a path is itself an entry of type directory.
 *
 * A symbolic link keeps its target in the string table: data_offset is
 * the target's offset there (like path_offset) and size its length,
 * 1 .. AE_IMAGE_LINK_MAX bytes, no NUL, stored as given (relative or
 * absolute, never normalized: it is resolved at lookup time inside the
 * container's root). Its mode is AE_IMAGE_LINK_MODE. The format version
 * stays 1: an archive without links is byte for byte what it was, and a
 * reader that predates links refuses one by its type.
 */
struct ae_image_entry {
    uint32_t path_offset;      /* into the string table */
    uint16_t path_len;         /* 1 .. AE_IMAGE_PATH_MAX */
    uint8_t  type;             /* AE_IMAGE_FILE, AE_IMAGE_DIR or AE_IMAGE_SYMLINK */
    uint8_t  flags;            /* 0 */
    uint32_t mode;             /* permission bits, within AE_IMAGE_MODE_MASK */
    uint32_t reserved;         /* 0 */
    uint64_t data_offset;      /* files with size > 0: archive offset, aligned,
                                  at or after the previous file's data; links:
                                  the target's string-table offset; else 0 */
    uint64_t size;             /* file bytes; a link's target bytes; 0 for directories */
};

_Static_assert(sizeof(struct ae_image_header) == 64, "image header is 64 bytes");
_Static_assert(sizeof(struct ae_image_entry) == 32, "image entry is 32 bytes");
_Static_assert(AE_IMAGE_PATH_MAX <= UINT16_MAX, "path_len is 16 bits");

#endif
