/* crc32c.h: CRC-32C (Castagnoli), the checksum that guards every journal
 * record.  Portable table-driven code; no CPU-specific instructions. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Extends a running CRC-32C with len bytes.  Start with crc = 0; the result
 * of one call can be passed as crc to the next to checksum data in pieces.
 * crc32c(0, "123456789", 9) == 0xE3069283.  Never fails. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);
