/*
 * say.h — one line on the kernel debug console for the benchmark programs
 * (startbench, udpwire): their SAMPLE and BENCH lines go there, straight,
 * so the host's benchrun reads them without the console service.
 */
#ifndef BENCH_SAY_H
#define BENCH_SAY_H

/* printf-style; the newline is added (a line is cut at 254 bytes). */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
