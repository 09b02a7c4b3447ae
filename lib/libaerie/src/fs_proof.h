/*
 * fs_proof.h — what a connection knows is absent (fs_proof.c): the
 * client's side of "Creates that do not wait" (docs/FS.md). For a few
 * directories this connection made itself with MKDIR, and has seen every
 * change of since, a multiset of the hashes of the names in them: a name
 * whose hash counts 0 there is proven absent, so a create of it will
 * work and may be queued. Connection lock held for all of it.
 */
#ifndef LIBAERIE_FS_PROOF_H
#define LIBAERIE_FS_PROOF_H

#include <stdbool.h>
#include <stddef.h>

struct ae_fs_proof;

/* Forgets every directory (anything we did not see, or cannot follow). */
void pf_forget(struct ae_fs_proof *p);
void pf_free(struct ae_fs_proof *p);
/* True if path is absolute and spelt plainly: no "//", no "." or ".."
 * component, no '/' at its end (so it names what it says, as the service
 * walks it). */
bool pf_plain(const char *path, size_t len);
/* Our MKDIR of path worked and nothing else changed: the service made
 * directory ino in directory parent (MKDIR's reply). Its name is counted
 * in parent if kept; with keep (a path from the root, spelt plainly) it
 * is kept itself, empty. *pp made on first use; a failure to allocate
 * proves nothing. */
void pf_made_dir(struct ae_fs_proof **pp, const char *path, size_t len, bool keep, uint64_t ino,
                 uint64_t parent);
/* True if the directory of path is kept and holds no name with the hash
 * of path's last component. */
bool pf_absent(const struct ae_fs_proof *p, const char *path, size_t len);
/* A create of ours queued: path's directory is kept (pf_absent said so). */
void pf_add(struct ae_fs_proof *p, const char *path, size_t len);
/* Our OPEN of path made a file in directory made_in (its reply; 0:
 * none). Counted if path names it plainly (from_root); a kept directory
 * reached otherwise (a final link's target) is dropped. */
void pf_made_file(struct ae_fs_proof *p, const char *path, size_t len, bool from_root,
                  uint64_t made_in);
/* Our unlink of path (from the root) worked: one less of its name's count,
 * if its directory is kept. A name counted twice only makes its later
 * creates take the round trip. */
void pf_remove(struct ae_fs_proof *p, const char *path, size_t len);

#endif
