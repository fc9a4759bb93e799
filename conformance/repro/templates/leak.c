/* ---- leak: DPDK heap, memzones and fds before and after N attach/configure/start/stop/close/
 * remove cycles, after a warm-up. The defect: steady growth per cycle. ---- */
static int run_cycle(const char *devargs, struct rte_mempool *mp, int i) {
  uint16_t port;
  const char *step = "rte_dev_probe";
  int rc = attach(devargs, &port);
  if (rc == 0) rc = port_up(port, mp, &step);
  if (rc == 0) rc = port_down(port, &step);
  if (rc < 0) fprintf(stderr, "cycle %d: %s failed: %d (%s)\n", i, step, rc, rte_strerror(-rc));
  return rc;
}

int main(void) {
  start_eal();
  const char *devargs = expand(REPRO_DEVARGS, 0);
  struct rte_mempool *mp = make_pool("repro_pool", REPRO_MBUFS);
  printf("devargs %s; %d warm-up cycles, then %d measured\n", devargs, REPRO_WARMUP, REPRO_CYCLES);
  for (int i = 0; i < REPRO_WARMUP; i++)
    if (run_cycle(devargs, mp, i) < 0) return NOT_RUN;
  double heap0 = heap_bytes();
  int zones0 = memzones(), fds0 = open_fds();
  for (int i = 0; i < REPRO_CYCLES; i++)
    if (run_cycle(devargs, mp, REPRO_WARMUP + i) < 0) return DEFECT_PRESENT;
  double heap = heap_bytes() - heap0;
  int zones = memzones() - zones0, fds = open_fds() - fds0;
  printf("after %d cycles: DPDK heap %+.0f B (%+.1f B per cycle), memzones %+d, fds %+d\n", REPRO_CYCLES, heap,
         heap / REPRO_CYCLES, zones, fds);
  /* Steady: at least REPRO_MIN_BYTES a cycle, or a memzone or fd for at least half the cycles. */
  int leaks = heap / REPRO_CYCLES >= REPRO_MIN_BYTES || zones * 2 >= REPRO_CYCLES || fds * 2 >= REPRO_CYCLES;
  printf("%s\n", leaks ? "DEFECT PRESENT: resources grow every cycle" : "defect absent: nothing grows per cycle");
  rte_mempool_free(mp);
  rte_eal_cleanup();
  return leaks ? DEFECT_PRESENT : DEFECT_ABSENT;
}
