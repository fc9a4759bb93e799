/* ---- stale-rx: packets sent before a detach, never received, must not come back after a later
 * attach of the device (the previous attach's mbufs). Each round: attach, configure, start,
 * receive (nothing may be waiting), send a marked burst, stop, close, remove. ---- */
#define BURST 8
#define MARK 0xa5

int main(void) {
  start_eal();
  const char *devargs = expand(REPRO_DEVARGS, 0);
  struct rte_mempool *mp = make_pool("repro_pool", REPRO_MBUFS);
  unsigned came_back = 0;
  for (int round = 1; round <= REPRO_ROUNDS; round++) {
    uint16_t port;
    const char *step = "rte_dev_probe";
    int rc = attach(devargs, &port);
    if (rc == 0) rc = port_up(port, mp, &step);
    if (rc < 0) {
      fprintf(stderr, "attach %d: %s failed: %d (%s)\n", round, step, rc, rte_strerror(-rc));
      return round == 1 ? NOT_RUN : DEFECT_PRESENT;
    }
    struct rte_mbuf *rx[32];
    uint16_t got = rte_eth_rx_burst(port, 0, rx, 32);
    unsigned marked = 0;
    for (uint16_t i = 0; i < got; i++) {
      const uint8_t *d = rte_pktmbuf_mtod(rx[i], const uint8_t *);
      if (rte_pktmbuf_data_len(rx[i]) == 64 && d[0] == MARK && d[63] == MARK) marked++;
      rte_pktmbuf_free(rx[i]);
    }
    came_back += got;
    struct rte_mbuf *pkts[BURST];
    if (rte_pktmbuf_alloc_bulk(mp, pkts, BURST) != 0) return NOT_RUN;
    for (int i = 0; i < BURST; i++) memset(rte_pktmbuf_append(pkts[i], 64), MARK, 64);
    uint16_t sent = rte_eth_tx_burst(port, 0, pkts, BURST);
    for (uint16_t i = sent; i < BURST; i++) rte_pktmbuf_free(pkts[i]);
    printf("attach %d (%s), port %u: %u packets waiting before any was sent (%u of them sent by an "
           "earlier attach); sent %u, then stop, close, remove\n",
           round, devargs, port, got, marked, sent);
    if ((rc = port_down(port, &step)) < 0) {
      fprintf(stderr, "attach %d: %s failed: %d (%s)\n", round, step, rc, rte_strerror(-rc));
      return NOT_RUN;
    }
  }
  printf("%s\n", came_back ? "DEFECT PRESENT: an earlier attach's packets came back after a detach"
                           : "defect absent: each attach receives nothing it did not send");
  rte_eal_cleanup();
  return came_back ? DEFECT_PRESENT : DEFECT_ABSENT;
}
