/* control.h: the running daemon's local control socket, through which
 * `approvald approve|reject` hands a manual decision to the service that
 * holds the journal instead of fighting it for the lock.  An AF_UNIX
 * SOCK_SEQPACKET socket, DIR/control in the state folder (mode 0600 in a
 * folder only root and the service reach); the daemon takes a connection
 * only from uid 0 or its own uid (SO_PEERCRED).  One request, one reply,
 * each a JSON object in one message:
 *   request  {"decision":"approve"|"reject","order":ID,"reason":TEXT,"login":NAME}
 *   reply    {"exit":STATUS,"message":TEXT}
 * STATUS is the command's exit status (below, or sysexits.h). */
#pragma once

#include "config.h"
#include "order.h"

#include <stdbool.h>
#include <stddef.h>

#define CONTROL_SOCKET_NAME "control"
#define CONTROL_MESSAGE_MAX 4096 /* a request or reply, in bytes */
#define CONTROL_REASON_MAX 500 /* characters: what the API takes for a reject */
#define CONTROL_LOGIN_MAX 64

/* Exit statuses of a manual decision besides 0 and sysexits.h's. */
#define CONTROL_EXIT_ALREADY_DECIDED 65 /* in the journal or at AppXite: no call made */
#define CONTROL_EXIT_UNKNOWN_ORDER 66 /* AppXite has no such order */

/* Whether reason is 1..CONTROL_REASON_MAX characters of UTF-8 without
 * control characters: 0, -EINVAL (bad bytes or a control character) or
 * -ERANGE (too short or long); *ret_chars (may be NULL) gets the count of
 * characters read. */
int control_reason_check(const char *reason, size_t *ret_chars);

/* Whether login can name an operator: 1..CONTROL_LOGIN_MAX bytes of
 * printable ASCII without spaces or ':'.  0 or -EINVAL. */
int control_login_check(const char *login);

/* Logs a person's decision on order_id (o: the order as looked up) under
 * LOG_MID_MANUAL with its fields, once its intent is journaled: the one
 * line both the service and the command write.  rule is "manual:LOGIN". */
void control_log_decision(const char *order_id, const struct order *o, enum action decision,
                          const char *rule, const char *reason);

/* Asks the daemon running on state_dir to decide order_id ("approve" or
 * "reject").  Blocks until the daemon replies (at most timeout_s seconds).
 * Returns 0 with the reply's exit status in *ret_exit and its message in
 * *ret_message (the caller frees it); -ECONNREFUSED or -ENOENT when no
 * daemon listens; -ETIMEDOUT; -EBADMSG for a reply that is not one; or
 * another -errno. */
int control_request(const char *state_dir, bool approve, const char *order_id, const char *reason,
                    const char *login, int timeout_s, int *ret_exit, char **ret_message);
