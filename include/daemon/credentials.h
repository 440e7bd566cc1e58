/* credentials.h: the three API secrets (and the webhook's Authorization value), read from files in a folder
 * (systemd's $CREDENTIALS_DIRECTORY by default).  The secrets are kept in
 * memory only, wiped when freed, and never logged. */
#pragma once

#define CREDENTIALS_MAX_SIZE 4096

struct credentials {
        char *subscription_key;
        char *client_id;
        char *client_secret;
        char *webhook_authorization; /* optional: NULL when the file is absent */
};

/* The folder the credential files are read from: dir (api.credentials_dir)
 * when set, else $CREDENTIALS_DIRECTORY; NULL when neither names one. */
const char *credentials_folder(const char *dir);

/* Reads the secret in dir/name as credentials_load() reads each of its
 * files (and the notify headers' files are read): a regular file, links
 * followed, of at most CREDENTIALS_MAX_SIZE bytes, one non-empty line, its
 * trailing newline dropped.  Returns 0 and the value (the caller wipes
 * and frees it), or -errno (as credentials_load()) with the path in
 * *ret_path (caller frees; NULL on -ENOMEM). */
int credentials_read_file(const char *dir, const char *name, char **ret, char **ret_path);

/* Reads subscription-key, client-id and client-secret (and the optional
 * webhook-authorization, left NULL when it does not exist) from dir (NULL:
 * $CREDENTIALS_DIRECTORY), each without its trailing newline, at most
 * CREDENTIALS_MAX_SIZE bytes, each a regular file (symbolic links are
 * followed; a FIFO or a device is refused without waiting on it).
 * Returns 0 and a struct the caller frees with credentials_free(); or, with
 * the offending path in *ret_path (caller frees; NULL on -ENOMEM):
 * -ENOENT, -EACCES, ... (cannot open), -ENODEV (not a regular file: a FIFO,
 * a device, a socket), -EISDIR (a folder), -EFBIG (too large), -EINVAL
 * (empty or not one line); or -ENXIO when no folder is configured at all
 * (*ret_path untouched).  *ret is written only on success. */
int credentials_load(const char *dir, struct credentials **ret, char **ret_path);

/* The log line for credentials_load()'s failure r on path, such as
 * "credential file PATH is a FIFO, not a regular file" (it looks at the
 * file again to say what it is).  Never holds a secret.  Returns a string
 * the caller frees, or NULL when out of memory. */
char *credentials_strerror(int r, const char *path);

/* Wipes and frees.  Accepts NULL. */
void credentials_free(struct credentials *c);

static inline void credentials_freep(struct credentials **c)
{
        credentials_free(*c);
}
