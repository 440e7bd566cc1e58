/* service-view.h: what the service's own user can read.  The unit runs
 * approvald as a DynamicUser: a fresh user that owns no file and is in no
 * group but its own, so it reads only what "others" may read, through
 * folders that "others" may enter.  `check --for-service` asks this of
 * every file the daemon opens itself (rules, list files, ca_file, a
 * credentials_dir); files passed through LoadCredential= are copied for
 * the service by systemd and need not be. */
#pragma once

#include <stdbool.h>

/* Whether a stranger may read path: "others" need read permission on the
 * file and search permission on every folder on the way to it, both the
 * path as given and where its symbolic links lead.  Returns 0, -EACCES
 * with *ret_blocker (caller frees) naming the file or folder that stops
 * it and *ret_folder saying which, or -errno (-ENOENT...) when path cannot
 * be looked at; the two are written only with -EACCES. */
int service_view_can_read(const char *path, char **ret_blocker, bool *ret_folder);
