/* sb-reply.c: filling a reply: JSON bodies, the error shape of the
 * contract ({"error":..., "message":...}) and extra headers. */
#include <assert.h>
#include <string.h>

#include <microhttpd.h>

#include "sb-server.h"

void sb_reply_header(struct sb_reply *reply, const char *name, const char *value)
{
        assert(reply && name && value);
        if (reply->n_headers >= SB_REPLY_HEADERS)
                return;
        reply->headers[reply->n_headers].name = name;
        snprintf(reply->headers[reply->n_headers].value, sizeof(reply->headers[0].value), "%s",
                 value);
        reply->n_headers++;
}

void sb_reply_text(struct sb_reply *reply, unsigned status, const char *json)
{
        assert(reply && json);
        free(reply->body);
        reply->status = status;
        reply->body = strdup(json);
        if (!reply->body)
                reply->status = 500;
}

void sb_reply_json(struct sb_reply *reply, unsigned status, cJSON *j)
{
        assert(reply);
        free(reply->body);
        reply->body = j ? cJSON_PrintUnformatted(j) : NULL;
        reply->status = reply->body ? status : 500;
        cJSON_Delete(j);
}

void sb_reply_error(struct sb_reply *reply, unsigned status, const char *code, const char *msg)
{
        cJSON *j = cJSON_CreateObject();

        assert(reply && code);
        if (j && (!cJSON_AddStringToObject(j, "error", code) ||
                  (msg && !cJSON_AddStringToObject(j, "message", msg)))) {
                cJSON_Delete(j);
                j = NULL;
        }
        sb_reply_json(reply, status, j);
}

void sb_reply_method_not_allowed(struct sb_reply *reply, const char *allow)
{
        sb_reply_error(reply, 405, "method_not_allowed", "method not allowed on this path");
        sb_reply_header(reply, MHD_HTTP_HEADER_ALLOW, allow);
}
