/* fileio.h: the one safe way approvald reads a file that someone else may
 * have put in place (rules.yaml, list files, credentials, the journal): it
 * never blocks on a FIFO or a device, refuses anything that is not a
 * regular file, and never reads more than a stated cap. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What kind of file mode is, as a noun phrase for messages: "a regular
 * file", "a directory", "a FIFO", "a socket", "a character device", "a block
 * device", "a symbolic link", or "an unknown file type".  Never NULL. */
const char *fileio_kind(mode_t mode);

/* Opens path read-only (O_CLOEXEC|O_NOCTTY, plus O_NOFOLLOW when nofollow)
 * without blocking (O_NONBLOCK, cleared again before returning), and checks
 * that it is a regular file.  Returns the fd, which the caller closes, or:
 *   -EISDIR  for a directory,
 *   -ENODEV  for any other file that is not regular (FIFO, socket, device),
 *   -ELOOP   for a symbolic link when nofollow,
 *   -errno   otherwise (-ENOENT, -EACCES, ...).
 * *ret_mode (may be NULL) receives the file's st_mode on success and on the
 * -EISDIR, -ENODEV and -ELOOP refusals (so that the caller can say "PATH is
 * a FIFO, not a regular file" with fileio_kind()); otherwise it is left
 * alone. */
int fileio_open_regular(const char *path, bool nofollow, mode_t *ret_mode);

/* As fileio_open_regular(), for name relative to the folder dir_fd
 * (AT_FDCWD: the working folder), opened with flags: O_RDONLY or O_RDWR,
 * plus O_APPEND, O_NOFOLLOW or the like; O_CLOEXEC|O_NOCTTY are always
 * added, O_NONBLOCK only while opening; O_CREAT is not allowed (create
 * first, then open).  Same returns. */
int fileio_openat_regular(int dir_fd, const char *name, int flags, mode_t *ret_mode);

/* Reads the whole regular file at path, opened as fileio_open_regular()
 * does, into a NUL-terminated buffer the caller frees (*ret_size, may be
 * NULL, gets its length without the NUL).  Returns 0, -EFBIG when the file
 * holds more than max bytes (found by reading at most max + 1 bytes, since
 * files such as those in /proc report a size of 0), the refusals of
 * fileio_open_regular(), or -errno / -ENOMEM.  *ret and *ret_size are
 * written only on success; *ret_mode as for fileio_open_regular().
 * Every buffer it drops on the way (on growth or failure) is wiped first,
 * so it is fit for reading secrets. */
int fileio_read_all(const char *path, bool nofollow, size_t max, char **ret, size_t *ret_size,
                    mode_t *ret_mode);
