/* setjmp.h — C11 7.13 (no signal masks: there are no signals). */
#ifndef _SETJMP_H
#define _SETJMP_H

typedef unsigned long jmp_buf[8];   /* rbx rbp r12 r13 r14 r15 rsp rip */

int setjmp(jmp_buf env) __attribute__((returns_twice));
_Noreturn void longjmp(jmp_buf env, int val);
#define setjmp setjmp

#endif
