/* fuzz-api-list.c: the listing's pure functions (api-list.h): the page
 * arithmetic of page and offset paging, the URL of a page, and the next
 * page's URL from an answer (paging next, link or token).  Input: 1 byte
 * of style, 8 bytes of offset, 2 of page size, 8 of page number, then the
 * answer's body as received.  Properties: the page holds the offset, its
 * size within bounds; every URL is on base_url's origin, a page's starts
 * with base_url and the path; a next link is returned only when on the
 * origin (else -EPERM, never a URL to follow). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api-list.h"
#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE "http://127.0.0.1:8080/base"

static uint64_t take(const uint8_t **data, size_t *size, size_t n)
{
        uint64_t v = 0;

        for (size_t i = 0; i<n && * size> 0; i++, (*data)++, (*size)--)
                v = v << 8 | **data;
        return v;
}

/* path NULL: a next link, on the origin but anywhere on it. */
static void check_url(const char *url, const char *path)
{
        if (path && (strncmp(url, BASE, strlen(BASE)) != 0 ||
                     strncmp(url + strlen(BASE), path, strlen(path)) != 0))
                abort();
        if (api_same_origin(BASE, url) != 1)
                abort();
        for (const char *p = url; *p; p++)
                if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
                        abort(); /* every value URL-encoded */
}

static void page_math(size_t offset, int64_t max)
{
        int64_t page, sz;

        api_list_page_for(offset, max, &page, &sz);
        if (sz < (max + 1) / 2 || sz > max || page < 1 ||
            (uint64_t)(page - 1) * (uint64_t)sz > offset || offset >= (uint64_t)page * (uint64_t)sz)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct api_param query[] = { { .name = "status", .value = "PendingApproval" },
                                     { .name = "a b&c", .value = "x=y z" } };
        struct api_config c = {
                .base_url = BASE,
                .list = { .path = "/orders",
                          .query = { query, 2 },
                          .page_param = "page",
                          .size_param = "pageSize",
                          .offset_param = "$skip",
                          .next = "/next",
                          .items = "/items" },
                .statuses = { "PendingApproval", "Approved", "Rejected" },
        };
        unsigned style = (unsigned)take(&data, &size, 1);
        size_t offset = (size_t)(take(&data, &size, 8) % (API_LIST_OFFSET_MAX + 1));
        int64_t max = (int64_t)(take(&data, &size, 2) % 500) + 1;
        struct list_request q = { .page = (int64_t)take(&data, &size, 8),
                                  .page_size = max,
                                  .status = style & 8 ? "Approved" : NULL,
                                  .created_from = style & 16 ? "2026-01-01T00:00:00Z" : NULL };
        char *url = NULL;
        cJSON *body;
        int r;

        page_math(offset, max);
        c.list.paging = (enum list_paging)(style % 3);
        if (style & 4)
                c.list.next_param = "cursor";
        r = api_list_url(&c, &q, &url);
        if (r == 0) {
                check_url(url, "/orders?");
                free(url);
                url = NULL;
        } else if (r != -ERANGE && r != -ENOMEM)
                abort();
        body = cJSON_ParseWithLength((const char *)data, size);
        if (!body)
                return 0;
        (void)api_list_items(&c, body);
        if (c.list.paging == PAGING_NEXT) {
                r = api_list_next(&c, body, &q, &url);
                if (r == 1)
                        check_url(url, style & 4 ? "/orders?" : NULL);
                else if (r == -EPERM) {
                        if (!url || api_same_origin(BASE, url) == 1)
                                abort();
                } else if (r != 0 && r != -EBADMSG && r != -ENOMEM && r != -ERANGE)
                        abort();
                free(url);
        }
        cJSON_Delete(body);
        return 0;
}
