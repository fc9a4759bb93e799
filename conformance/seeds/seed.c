/*
 * Seeded defects for testing the certification suite itself: an LD_PRELOAD library that wraps
 * the DPDK calls a PMD's attach and detach go through (rte_dev_probe, rte_dev_remove) and adds one
 * defect, chosen by DPHP_SEED. A certification of a clean PMD (net_null, net_ring) under it must
 * then fail in the right check, with the right words. Never shipped into a DUT's process by the
 * suite; only its own tests preload it.
 *
 *   fd-leak       an open fd per attach          heap-leak     4 KiB of DPDK heap per attach
 *   thread-leak   a parked thread per attach     segv-remove   SIGSEGV in remove
 *   hang-remove   remove never returns           enotsup-remove remove returns -ENOTSUP
 *   noop-remove   remove returns 0 and removes nothing
 *   slow-remove   remove takes 150 ms more (a slow PMD: net_vhost's close takes 1 s on 24.11)
 *
 * DPHP_SEED_DEVICE=PREFIX limits the defect to devices whose name starts with PREFIX: a defect
 * of one PMD, which a control PMD (check 14's re-run) does not have. Without it the defect is in
 * DPDK's own calls and hits every PMD, the control too. DPHP_SEED_ONCE=FILE seeds one call only
 * (the one that creates FILE): one hang, not one per check.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_malloc.h>

static int seeded_for(const char *name, const char *device) {
  const char *seed = getenv("DPHP_SEED");
  if (seed == NULL || strcmp(seed, name) != 0) return 0;
  const char *only = getenv("DPHP_SEED_DEVICE");
  if (only != NULL && (device == NULL || strncmp(device, only, strlen(only)) != 0)) return 0;
  const char *once = getenv("DPHP_SEED_ONCE");
  if (once != NULL) {
    int fd = open(once, O_CREAT | O_EXCL | O_WRONLY, 0600);
    if (fd < 0) return 0;
    close(fd);
  }
  return 1;
}

static void *parked(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

int rte_dev_probe(const char *devargs) {
  static int (*real)(const char *);
  if (real == NULL) real = (int (*)(const char *))dlsym(RTLD_NEXT, "rte_dev_probe");
  int rc = real(devargs);
#define seeded(name) seeded_for(name, devargs)
  if (rc == 0 && seeded("fd-leak")) (void)open("/dev/null", O_RDONLY);
  if (rc == 0 && seeded("heap-leak")) (void)rte_malloc("dphp_seed", 4096, 0);
  if (rc == 0 && seeded("thread-leak")) {
    pthread_t t;
    if (pthread_create(&t, NULL, parked, NULL) == 0) pthread_detach(t);
  }
  return rc;
#undef seeded
}

int rte_dev_remove(struct rte_device *dev) {
  static int (*real)(struct rte_device *);
  if (real == NULL) real = (int (*)(struct rte_device *))dlsym(RTLD_NEXT, "rte_dev_remove");
  const char *device = rte_dev_name(dev);
#define seeded(name) seeded_for(name, device)
  if (seeded("segv-remove")) raise(SIGSEGV);
  if (seeded("hang-remove"))
    for (;;) pause();
  if (seeded("enotsup-remove")) return -ENOTSUP;
  if (seeded("noop-remove")) return 0;
  if (seeded("slow-remove")) usleep(150 * 1000);
  return real(dev);
#undef seeded
}
