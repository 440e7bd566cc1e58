/* api-list.h: the listing requests of api.list, as pure functions: the
 * URL of a page for each paging style, the items of an answer, the next
 * page's URL from a next link or token (on api.base_url's origin only),
 * and the page arithmetic of page and offset paging.  Shared by the
 * daemon's listings and `approvald probe`; fuzzed by fuzz-api-list. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config.h"

/* What one listing request asks for. */
struct list_request {
        const char *status; /* API name replacing statuses.pending in the query; NULL: as is */
        const char *created_from; /* sent as createdFrom when not NULL */
        int64_t page; /* page and offset paging: from 1 */
        int64_t page_size; /* 1..500 */
        const char *token; /* paging next with next_param: the cursor; NULL: first page */
};

/* The absolute URL of one listing request: base_url, api.list.path, the
 * query (values URL-encoded), then the paging's parameters.  Returns 0 and
 * a string the caller frees; -ERANGE when the offset overflows; -ENOMEM. */
int api_list_url(const struct api_config *c, const struct list_request *q, char **ret_url);

/* The array of orders in an answer (api.list.items), or NULL. */
cJSON *api_list_items(const struct api_config *c, const cJSON *body);

/* Where the page after body is (paging next): returns 1 and an absolute
 * URL the caller frees; 0 when there is no next page (the pointer absent,
 * null or ""); -EBADMSG when the pointer holds something that is not a
 * string, or a link that is not a URI (a blank, a control or 8-bit byte); -EPERM when the link is off api.base_url's origin (nothing is
 * to be sent there; *ret_url then holds the link, for the log); -ENOMEM.
 * q gives the listing's other parameters when next_param carries a token. */
int api_list_next(const struct api_config *c, const cJSON *body, const struct list_request *q,
                  char **ret_url);

/* Page and offset paging: the page (from 1) and page size (from
 * (max + 1) / 2 to max) whose page holds position `offset` (from 0) and
 * starts as close before it as can be.  max is 1..500; offset at most
 * API_LIST_OFFSET_MAX (the ids seen in one cycle never come near it). */
#define API_LIST_OFFSET_MAX (UINT64_C(1) << 48)
void api_list_page_for(size_t offset, int64_t max, int64_t *ret_page, int64_t *ret_size);

/* The path of api.retrieve for order_id: its {id} replaced by the id,
 * percent-encoded.  Returns 0 and a string the caller frees, or -ENOMEM. */
int api_retrieve_path(const struct api_config *c, const char *order_id, char **ret_path);
