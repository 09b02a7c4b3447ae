/*
 * nofiles_sys.c — the file calls of libc's OS interface (sys.h) for both
 * stand-ins that run libc's tests on the build machine (host_sys.c on
 * glibc, linux_sys.c on raw system calls): these tests run libc without
 * a file system (the Aerie boot tests cover files), so every call says so
 * with EACCES. Linked beside whichever stand-in a build uses.
 */
#include <aerie/errors.h>
#include <stddef.h>
#include "sys.h"

int __sys_open(const char *path, int flags, unsigned mode, const struct fd_ops **ops, void **obj)
{
    (void)path, (void)flags, (void)mode, (void)ops, (void)obj;
    return AE_EACCES;
}
int __sys_stat(const char *path, struct stat *st) { (void)path, (void)st; return AE_EACCES; }
int __sys_truncate(const char *path, long size) { (void)path, (void)size; return AE_EACCES; }
int __sys_mkdir(const char *path, unsigned mode) { (void)path, (void)mode; return AE_EACCES; }
int __sys_unlink(const char *path) { (void)path; return AE_EACCES; }
void __sys_fs_flush(void) {}
int __sys_rmdir(const char *path) { (void)path; return AE_EACCES; }
int __sys_rename(const char *from, const char *to) { (void)from, (void)to; return AE_EACCES; }
int __sys_lstat(const char *path, struct stat *st) { (void)path, (void)st; return AE_EACCES; }
int __sys_symlink(const char *target, const char *link) { (void)target, (void)link; return AE_EACCES; }
long __sys_readlink(const char *path, char *buf, size_t cap)
{
    (void)path, (void)buf, (void)cap;
    return AE_EACCES;
}
int __sys_link(const char *old, const char *new_name) { (void)old, (void)new_name; return AE_EACCES; }
int __sys_chmod(const char *path, unsigned mode) { (void)path, (void)mode; return AE_EACCES; }
int __sys_chown(const char *path, unsigned uid, unsigned gid, int follow)
{
    (void)path, (void)uid, (void)gid, (void)follow;
    return AE_EACCES;
}
