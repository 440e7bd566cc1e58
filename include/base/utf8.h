/* utf8.h: the one strict UTF-8 decoder (RFC 3629) of the project, for every
 * place that must tell well-formed text from stray bytes: log escaping,
 * JSON output, the sandbox's length checks. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at the start of the NUL-terminated string s.
 * Returns its length in bytes (1..4) and its code point in *ret_c (may be
 * NULL), or 0 when the bytes there are not a well-formed, shortest-form
 * sequence: an overlong form, a surrogate, a code point past U+10FFFF, or a
 * sequence cut short.  Stops at the first byte that fails, so it never
 * reads past the terminating NUL. */
size_t utf8_decode(const char *s, uint32_t *ret_c);
