/* serial.h — the COM1 kernel console (polled, 115200 8N1). */
#ifndef AERIE_SERIAL_H
#define AERIE_SERIAL_H
#include <stddef.h>

void serial_init(void);
void serial_write(const char *s, size_t n);

#endif
