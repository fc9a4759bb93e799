/* ---- other-process: a process of its own that probes the device at its EAL start (--vdev) and
 * sets it up, stops, closes and removes it: first alone (the control: it must work here), then
 * after this process attached, set up and detached the same device. The defect: the second
 * fails while the first process lives, because of what its detach kept (net_af_xdp on 22.11: its
 * xsk socket, so the other process's rx queue setup gets EINVAL). Checks 13 (the EAL-start
 * process) and 16 (testpmd, in a process of its own) meet it. ---- */
#include <sys/wait.h>

/* The other process: EAL with the helpers and the device as --vdev, then the port up and down. */
static int eal_start(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *helpers[] = {REPRO_HELPERS NULL};
  char *argv[64] = {"repro", REPRO_EAL_ARGS};
  int argc = 0;
  while (argv[argc] != NULL) argc++;
  for (int i = 0; helpers[i] != NULL && argc < 60; i++) {
    argv[argc++] = "--vdev";
    argv[argc++] = (char *)expand(helpers[i], 0);
  }
  const char *devargs = expand(REPRO_DEVARGS, 0);
  argv[argc++] = "--vdev";
  argv[argc++] = (char *)devargs;
  if (rte_eal_init(argc, argv) < 0) {
    printf("  rte_eal_init with --vdev %s failed: %s\n", devargs, rte_strerror(rte_errno));
    return DEFECT_PRESENT;
  }
  char name[RTE_DEV_NAME_MAX_LEN];
  snprintf(name, sizeof(name), "%.*s", (int)strcspn(devargs, ","), devargs);
  uint16_t port;
  if (rte_eth_dev_get_port_by_name(name, &port) != 0) {
    printf("  no port of %s after the EAL start\n", name);
    return DEFECT_PRESENT;
  }
  const char *step;
  int rc = port_up(port, make_pool("repro_pool", REPRO_MBUFS), &step);
  if (rc == 0) rc = port_down(port, &step);
  if (rc < 0) printf("  --vdev %s: %s failed: %d (%s)\n", devargs, step, rc, rte_strerror(-rc));
  else printf("  --vdev %s: configure, start, stop, close, remove: all 0\n", devargs);
  return rc < 0 ? DEFECT_PRESENT : DEFECT_ABSENT;
}

/* Runs the other process (this program, "eal-start") and waits for it: 0 when it worked. */
static int other_process(const char *when) {
  printf("a process of its own, %s:\n", when);
  pid_t pid = fork();
  if (pid < 0) exit(NOT_RUN);
  if (pid == 0) {
    execl("/proc/self/exe", "repro", "eal-start", (char *)NULL);
    _exit(NOT_RUN);
  }
  int status;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) printf("  it died of %s\n", strsignal(WTERMSIG(status)));
  return WIFEXITED(status) ? WEXITSTATUS(status) : DEFECT_PRESENT;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "eal-start") == 0) return eal_start();
  setvbuf(stdout, NULL, _IOLBF, 0);
  /* The private folder, made once here: the other process uses the same (REPRO_DIR). */
  expand(REPRO_DEVARGS, 0);
  if (repro_dir[0]) setenv("REPRO_DIR", repro_dir, 1);
  if (other_process("before this process touched the device") != 0) {
    printf("could not be tried here: the device does not work even in a fresh process\n");
    return NOT_RUN;
  }
  start_eal();
  struct rte_mempool *mp = make_pool("repro_pool", REPRO_MBUFS);
  static struct names before, after;
  held(&before);
  const char *devargs = expand(REPRO_DEVARGS, 0), *step;
  uint16_t port;
  int rc = attach(devargs, &port);
  if (rc < 0) {
    printf("attach in this process (%s): rte_dev_probe failed: %d\n", devargs, rc);
    return NOT_RUN;
  }
  if ((rc = port_up(port, mp, &step)) == 0) rc = port_down(port, &step);
  if (rc < 0) {
    printf("attach in this process (%s): %s failed: %d (%s)\n", devargs, step, rc, rte_strerror(-rc));
    return NOT_RUN;
  }
  printf("attach in this process (%s): attach, configure, start, stop, close, remove: all 0\n", devargs);
  held(&after);
  printf("after its detach, this process holds that it did not before the attach:\n");
  if (print_left_behind(&before, &after) == 0) printf("  nothing\n");
  if (REPRO_PAUSE_MS) usleep(REPRO_PAUSE_MS * 1000);
  int failed = other_process("after this process detached the device (it still runs)") != 0;
  printf("%s\n", failed ? "DEFECT PRESENT: another process cannot use the device this process detached"
                        : "defect absent: another process uses the device as it did before");
  return failed ? DEFECT_PRESENT : DEFECT_ABSENT;
}
