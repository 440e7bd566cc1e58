/* credentials.h: the three API secrets, read from files in a folder
 * (systemd's $CREDENTIALS_DIRECTORY by default).  The secrets are kept in
 * memory only, wiped when freed, and never logged. */
#pragma once

#define CREDENTIALS_MAX_SIZE 4096

struct credentials {
        char *subscription_key;
        char *client_id;
        char *client_secret;
};

/* Reads subscription-key, client-id and client-secret from dir (NULL:
 * $CREDENTIALS_DIRECTORY), each without its trailing newline, at most
 * CREDENTIALS_MAX_SIZE bytes.  Returns 0 and a struct the caller frees with
 * credentials_free(); -ENOENT/-EACCES/-EFBIG/-EINVAL (empty) with the
 * offending path in *ret_path (caller frees, may be NULL on -ENOMEM), or
 * -ENXIO when no folder is configured at all. */
int credentials_load(const char *dir, struct credentials **ret, char **ret_path);

/* Wipes and frees.  Accepts NULL. */
void credentials_free(struct credentials *c);

static inline void credentials_freep(struct credentials **c)
{
        credentials_free(*c);
}
