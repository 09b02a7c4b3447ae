/* byteorder.c — POSIX htonl, htons, ntohl, ntohs: network byte order is
 * big-endian, x86-64 is little-endian. */
#include <arpa/inet.h>

uint32_t htonl(uint32_t v) { return __builtin_bswap32(v); }
uint16_t htons(uint16_t v) { return __builtin_bswap16(v); }
uint32_t ntohl(uint32_t v) { return __builtin_bswap32(v); }
uint16_t ntohs(uint16_t v) { return __builtin_bswap16(v); }
