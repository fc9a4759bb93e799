/*
 * C reference for the rx/tx rows of `npm run bench`: a 32-packet tx burst then an rx burst on one
 * port, packets copied from one buffer into mbufs and out of them into another, as the SDK's
 * txBurst/rxBurst do (native/shim.c's dphp_tx_copy and dphp_rx_copy, inlined), with the same
 * port set-up as the SDK's configure (1 queue each way, 512 descriptors, 1536 mbufs, no cache).
 * Prints one JSON line: {"initMs":…, "cycles":…, "seconds":…, "cpuSeconds":…, "rx":…} (rx: packets
 * received; cpuSeconds: the process's CPU time over the loop).
 * Usage: burst-loop CYCLES DEVARGS DEVNAME PACKET-BYTES -- EAL-ARGS…
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-clock.h"
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define BURST 32

static uint16_t tx_copy(uint16_t port, struct rte_mempool *mp, const uint8_t *data, const uint16_t *lens, uint16_t n) {
  struct rte_mbuf *pkts[BURST];
  if (rte_pktmbuf_alloc_bulk(mp, pkts, n) != 0) return 0;
  size_t off = 0;
  for (uint16_t i = 0; i < n; i++) {
    memcpy(rte_pktmbuf_append(pkts[i], lens[i]), data + off, lens[i]);
    off += lens[i];
  }
  uint16_t sent = rte_eth_tx_burst(port, 0, pkts, n);
  if (sent < n) rte_pktmbuf_free_bulk(pkts + sent, n - sent);
  return sent;
}

static uint16_t rx_copy(uint16_t port, uint8_t *buf, uint32_t cap, uint16_t *lens) {
  struct rte_mbuf *pkts[BURST];
  uint16_t got = rte_eth_rx_burst(port, 0, pkts, BURST);
  uint32_t off = 0;
  for (uint16_t i = 0; i < got; i++) {
    uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
    const void *src = off + len <= cap ? rte_pktmbuf_read(pkts[i], 0, len, buf + off) : NULL;
    if (src != NULL && src != buf + off) memcpy(buf + off, src, len);
    lens[i] = src != NULL ? (uint16_t)len : 0;
    off += src != NULL ? len : 0;
  }
  if (got) rte_pktmbuf_free_bulk(pkts, got);
  return got;
}

int main(int argc, char **argv) {
  if (argc < 6 || strcmp(argv[5], "--") != 0) {
    fprintf(stderr, "usage: %s CYCLES DEVARGS DEVNAME PACKET-BYTES -- EAL-ARGS...\n", argv[0]);
    return 2;
  }
  long cycles = atol(argv[1]);
  const char *devargs = argv[2], *name = argv[3];
  uint16_t bytes = (uint16_t)atoi(argv[4]);
  argv[5] = argv[0];
  double t0 = now();
  if (rte_eal_init(argc - 5, argv + 5) < 0) return 1;
  double init = now() - t0;
  uint16_t port;
  struct rte_eth_conf conf;
  memset(&conf, 0, sizeof(conf));
  if (rte_dev_probe(devargs) != 0 || rte_eth_dev_get_port_by_name(name, &port) != 0) return 1;
  struct rte_mempool *mp = rte_pktmbuf_pool_create("burst", 1536, 0, 0, 2048 + 128, rte_eth_dev_socket_id(port));
  if (mp == NULL || rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
      rte_eth_rx_queue_setup(port, 0, 512, SOCKET_ID_ANY, NULL, mp) != 0 ||
      rte_eth_tx_queue_setup(port, 0, 512, SOCKET_ID_ANY, NULL) != 0 || rte_eth_dev_start(port) != 0)
    return 1;
  rte_eth_promiscuous_enable(port);
  static uint8_t out[BURST * 2048];
  uint8_t *data = calloc(BURST, bytes);
  uint16_t lens[BURST], rx_lens[BURST];
  for (int i = 0; i < BURST; i++) lens[i] = bytes;
  long rx = 0;
  for (long i = 0; i < 20000; i++) {
    tx_copy(port, mp, data, lens, BURST);
    rx_copy(port, out, sizeof(out), rx_lens);
  }
  double t1 = now(), c1 = cpu();
  for (long i = 0; i < cycles; i++) {
    tx_copy(port, mp, data, lens, BURST);
    rx += rx_copy(port, out, sizeof(out), rx_lens);
  }
  double seconds = now() - t1, cpuSeconds = cpu() - c1;
  printf("{\"initMs\":%.3f,\"cycles\":%ld,\"seconds\":%.6f,\"cpuSeconds\":%.6f,\"rx\":%ld}\n", init * 1e3, cycles,
         seconds, cpuSeconds, rx);
  rte_eth_dev_stop(port);
  rte_eth_dev_close(port);
  rte_eal_cleanup();
  return 0;
}
