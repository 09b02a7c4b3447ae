/* rtc.h — wall-clock time from the CMOS RTC (0 if it reads as nonsense). */
#ifndef AERIE_RTC_H
#define AERIE_RTC_H
#include <stdint.h>
#include <stdbool.h>
uint64_t rtc_unix_seconds(void);
#endif
