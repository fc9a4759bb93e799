// The floor of a thread handoff on this machine, for docs/measurements.md (issue 25): the main
// thread asks a second thread through a futex and sleeps on one until it answers, N round trips,
// both threads on CPU 0 (`same`), on CPUs 0 and 1 (`cross`) or unpinned (`free`); SPIN pause
// instructions before each sleep. Build: cc -O2 -o futex-floor futex-floor.c -lpthread
// Usage: futex-floor N same|cross|free [SPIN]
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
static _Atomic int state; // 0 idle, 1 request
static int spin;
static void fwait(_Atomic int *a, int v) { syscall(SYS_futex, a, FUTEX_WAIT_PRIVATE, v, 0, 0, 0); }
static void fwake(_Atomic int *a) { syscall(SYS_futex, a, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0); }
static void pin(int cpu) { cpu_set_t s; CPU_ZERO(&s); CPU_SET(cpu, &s); sched_setaffinity(0, sizeof s, &s); }
static int mode_cpu;
static void *worker(void *x) {
  if (mode_cpu >= 0) pin(mode_cpu);
  for (;;) {
    for (int i = 0; i < spin && atomic_load(&state) != 1; i++) __builtin_ia32_pause();
    while (atomic_load(&state) != 1) fwait(&state, 0);
    atomic_store(&state, 0);
    fwake(&state);
  }
  return x;
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  int n = atoi(argv[1]);
  const char *m = argv[2];
  spin = argc > 3 ? atoi(argv[3]) : 0;
  mode_cpu = -1;
  if (!strcmp(m, "same")) { pin(0); mode_cpu = 0; }
  if (!strcmp(m, "cross")) { pin(0); mode_cpu = 1; }
  pthread_t t; pthread_create(&t, 0, worker, 0);
  usleep(10000);
  struct rusage r0, r1; getrusage(RUSAGE_SELF, &r0); double t0 = now();
  for (int i = 0; i < n; i++) {
    atomic_store(&state, 1);
    fwake(&state);
    for (int j = 0; j < spin && atomic_load(&state) != 0; j++) __builtin_ia32_pause();
    while (atomic_load(&state) != 0) fwait(&state, 1);
  }
  double w = now() - t0; getrusage(RUSAGE_SELF, &r1);
  double cpu = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
               (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
  printf("%s spin %d: %.2f us wall, %.2f us cpu per round trip\n", m, spin, w / n * 1e6, cpu / n * 1e6);
}
