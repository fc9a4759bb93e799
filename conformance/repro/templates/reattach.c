/* ---- reattach: attach/configure/start/stop/close/remove, then the same again. The defect: the
 * first attach passes and the second fails. When the second fails and the devargs name a
 * folder, a third attach on a fresh folder (a new socket path) shows whether the process, not a
 * file, keeps what fails it. ---- */
/* The step the last cycle failed at. */
static const char *failed_step;

/* One cycle; `bare`: attach, close, remove only (for a port that cannot start here). */
static int cycle(const char *devargs, struct rte_mempool *mp, int n, int bare) {
  uint16_t port;
  const char *step = "rte_dev_probe";
  int rc = attach(devargs, &port);
  if (rc == 0 && bare) {
    struct rte_eth_dev_info info;
    if ((rc = rte_eth_dev_info_get(port, &info)) < 0) step = "rte_eth_dev_info_get";
    else if ((rc = rte_eth_dev_close(port)) < 0) step = "rte_eth_dev_close";
    else if ((rc = rte_dev_remove(info.device)) < 0) step = "rte_dev_remove";
  } else if (rc == 0 && (rc = port_up(port, mp, &step)) < 0) {
    const char *ignored;
    port_down(port, &ignored); /* the attach succeeded: give the device back before the next */
  } else if (rc == 0) {
    rc = port_down(port, &step);
  }
  failed_step = rc < 0 ? step : NULL;
  if (rc < 0)
    printf("attach %d (%s): %s failed: %d (%s)\n", n, devargs, step, rc, rte_strerror(-rc));
  else
    printf("attach %d (%s): %s: all 0\n", n, devargs,
           bare ? "attach, close, remove" : "attach, configure, start, stop, close, remove");
  return rc;
}

int main(void) {
  start_eal();
  struct rte_mempool *mp = make_pool("repro_pool", REPRO_MBUFS);
  static struct names before, after;
  held(&before);
  int bare = cycle(expand(REPRO_DEVARGS, 0), mp, 1, 0) < 0;
  if (bare && strcmp(failed_step, "rte_dev_probe") == 0) return NOT_RUN;
  /* It attaches but cannot run here (it was stopped, closed and removed again): its next attach
   * still says whether a detach leaves behind what an attach needs. */
  if (bare) printf("the port cannot be set up here: attach/close/remove only from now on\n");
  held(&after);
  printf("after attach 1's detach, held that was not before it:\n");
  if (print_left_behind(&before, &after) == 0) printf("  nothing\n");
  if (REPRO_PAUSE_MS) usleep(REPRO_PAUSE_MS * 1000);
  int failed = cycle(expand(REPRO_DEVARGS, 0), mp, 2, bare) < 0;
  if (failed && strstr(REPRO_DEVARGS, "{dir}")) cycle(expand(REPRO_DEVARGS, 1), mp, 3, bare);
  printf("%s\n", failed ? "DEFECT PRESENT: the device cannot be attached again after a clean detach"
                        : "defect absent: the second attach works as the first did");
  /* No rte_eal_cleanup: a PMD's kept interrupt source (memif's listener) can crash it, and the
   * exit code must say the defect, not that crash. */
  return failed ? DEFECT_PRESENT : DEFECT_ABSENT;
}
