/*
 * rtc.c — reads the CMOS real-time clock once at boot, for the wall-clock
 * time in the kernel info page. Waits out an update in progress and reads
 * twice until two readings agree.
 */
#include "rtc.h"
#include "cpu.h"

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static uint8_t from_bcd(uint8_t v, bool bcd) { return bcd ? (uint8_t)((v >> 4) * 10 + (v & 15)) : v; }

static void read_raw(uint8_t r[6])
{
    for (int spins = 0; spins < 1000000 && (cmos(0x0A) & 0x80); spins++)
        cpu_relax();
    r[0] = cmos(0x00); r[1] = cmos(0x02); r[2] = cmos(0x04);
    r[3] = cmos(0x07); r[4] = cmos(0x08); r[5] = cmos(0x09);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

uint64_t rtc_unix_seconds(void)
{
    uint8_t a[6], b[6];
    int tries = 0;
    do {
        read_raw(a);
        read_raw(b);
    } while (++tries < 5 && (a[0] != b[0] || a[1] != b[1] || a[2] != b[2] || a[3] != b[3] ||
                             a[4] != b[4] || a[5] != b[5]));
    uint8_t status_b = cmos(0x0B);
    bool bcd = !(status_b & 0x04), h12 = !(status_b & 0x02);
    unsigned sec = from_bcd(b[0], bcd), min = from_bcd(b[1], bcd);
    unsigned hour = from_bcd(b[2] & 0x7F, bcd);
    if (h12 && (b[2] & 0x80))
        hour = (hour % 12) + 12;
    unsigned day = from_bcd(b[3], bcd), mon = from_bcd(b[4], bcd), year = from_bcd(b[5], bcd) + 2000u;
    if (mon < 1 || mon > 12 || day < 1 || day > 31)
        return 0;
    return (uint64_t)(days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec);
}
