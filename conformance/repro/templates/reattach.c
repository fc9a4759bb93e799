/* ---- reattach: attach/configure/start/stop/close/remove, then the same again. The defect: the
 * first attach passes and the second fails. When the second fails and the devargs name a
 * folder, a third attach on a fresh folder (a new socket path) shows whether the process, not a
 * file, keeps what fails it. ---- */
static int cycle(const char *devargs, struct rte_mempool *mp, int n) {
  uint16_t port;
  const char *step = "rte_dev_probe";
  int rc = attach(devargs, &port);
  if (rc == 0 && (rc = port_up(port, mp, &step)) < 0) {
    const char *ignored;
    port_down(port, &ignored); /* the attach succeeded: give the device back before the next */
  } else if (rc == 0) {
    rc = port_down(port, &step);
  }
  if (rc < 0)
    printf("attach %d (%s): %s failed: %d (%s)\n", n, devargs, step, rc, rte_strerror(-rc));
  else
    printf("attach %d (%s): attach, configure, start, stop, close, remove: all 0\n", n, devargs);
  return rc;
}

int main(void) {
  start_eal();
  struct rte_mempool *mp = make_pool("repro_pool", REPRO_MBUFS);
  if (cycle(expand(REPRO_DEVARGS, 0), mp, 1) < 0) return NOT_RUN;
  if (REPRO_PAUSE_MS) usleep(REPRO_PAUSE_MS * 1000);
  int failed = cycle(expand(REPRO_DEVARGS, 0), mp, 2) < 0;
  if (failed && strstr(REPRO_DEVARGS, "{dir}")) cycle(expand(REPRO_DEVARGS, 1), mp, 3);
  printf("%s\n", failed ? "DEFECT PRESENT: the device cannot be attached again after a clean detach"
                        : "defect absent: the second attach works as the first did");
  /* No rte_eal_cleanup: a PMD's kept interrupt source (memif's listener) can crash it, and the
   * exit code must say the defect, not that crash. */
  return failed ? DEFECT_PRESENT : DEFECT_ABSENT;
}
