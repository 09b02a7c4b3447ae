/* libdyntest.c — a shared library dynhello loads with dlopen. */
int dyntest_add(int a, int b);
int dyntest_add(int a, int b) { return a + b; }
