/* fuzz-webhook.c: webhook bodies through webhook_event_parse(), the only
 * code that reads a request's body.  Whatever the bytes, the result is one
 * of the documented ones, an id is returned exactly when the result says
 * so, and that id is one the policy accepts and the body names. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/daemon-private.h"
#include "policy.h"

static void check(int cond)
{
        if (!cond)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *id = NULL;
        int r;

        r = webhook_event_parse((const char *)data, size, &id);
        check(r == 1 || r == 0 || r == -EINVAL || r == -EFBIG || r == -ENOMEM);
        check(r == 1 || id == NULL);
        check(r != -EFBIG || size > WEBHOOK_BODY_MAX);
        if (id) {
                check(!policy_id_problem(id));
                check(memmem(data, size, "OrderPendingApproval", 20) != NULL);
        }
        free(id);
        return 0;
}
