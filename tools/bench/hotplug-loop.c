/*
 * C reference for `npm run bench`: the same attach/close/detach cycle the SDK runs, straight
 * against DPDK. Prints one JSON line: {"initMs":…, "cycles":…, "seconds":…, "cpuSeconds":…,
 * "rssGrowthBytes":…, "dpdkHeapGrowthBytes":…} (the resident set's growth over the loop: malloc's
 * heap and DPDK's; DPDK's heap growth alone, as rte_malloc_get_socket_stats counts it)
 * (cpuSeconds: the process's CPU time over the loop, which preemption on a shared machine does not inflate).
 * With HOTPLUG_CONFIGURE=1 each cycle also configures the port (one rx and one tx queue of 512
 * descriptors, an mbuf pool made once) before its close: the cycle in which net_null leaks.
 * Usage: hotplug-loop CYCLES DEVARGS DEVNAME BUS -- EAL-ARGS…
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-clock.h"
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

/* The resident set in bytes, as Node's process.memoryUsage.rss() reads it. */
static long rss(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f != NULL) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE);
}

/* DPDK heap bytes in use over every socket, as the shim's dphp_heap_in_use counts them. */
static double dpdk_heap(void) {
  double total = 0;
  for (unsigned i = 0; i < rte_socket_count(); i++) {
    struct rte_malloc_socket_stats st;
    if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0) total += (double)st.heap_allocsz_bytes;
  }
  return total;
}

int main(int argc, char **argv) {
  if (argc < 6 || strcmp(argv[5], "--") != 0) {
    fprintf(stderr, "usage: %s CYCLES DEVARGS DEVNAME BUS -- EAL-ARGS...\n", argv[0]);
    return 2;
  }
  long cycles = atol(argv[1]);
  const char *devargs = argv[2], *name = argv[3], *bus = argv[4];
  argv[5] = argv[0]; /* EAL's argv starts at "--", renamed as the program */
  double t0 = now();
  if (rte_eal_init(argc - 5, argv + 5) < 0) {
    fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  double init = now() - t0;
  const char *configure = getenv("HOTPLUG_CONFIGURE");
  struct rte_mempool *pool = NULL;
  if (configure != NULL && strcmp(configure, "1") == 0) {
    pool = rte_pktmbuf_pool_create("bench", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
    if (pool == NULL) {
      fprintf(stderr, "no mbuf pool\n");
      return 1;
    }
  }
  long rss1 = rss();
  double heap1 = dpdk_heap();
  double t1 = now(), c1 = cpu();
  for (long i = 0; i < cycles; i++) {
    uint16_t port;
    struct rte_eth_conf conf = {0};
    if (rte_dev_probe(devargs) != 0 || rte_eth_dev_get_port_by_name(name, &port) != 0 ||
        (pool != NULL && (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
                          rte_eth_rx_queue_setup(port, 0, 512, rte_socket_id(), NULL, pool) != 0 ||
                          rte_eth_tx_queue_setup(port, 0, 512, rte_socket_id(), NULL) != 0)) ||
        rte_eth_dev_close(port) != 0 || rte_eal_hotplug_remove(bus, name) != 0) {
      fprintf(stderr, "cycle %ld failed\n", i);
      return 1;
    }
  }
  double seconds = now() - t1, cpuSeconds = cpu() - c1;
  printf("{\"initMs\":%.3f,\"cycles\":%ld,\"seconds\":%.6f,\"cpuSeconds\":%.6f,\"rssGrowthBytes\":%ld,"
         "\"dpdkHeapGrowthBytes\":%.0f}\n",
         init * 1e3, cycles, seconds, cpuSeconds, rss() - rss1, dpdk_heap() - heap1);
  rte_eal_cleanup();
  return 0;
}
