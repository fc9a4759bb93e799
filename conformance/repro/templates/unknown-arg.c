/* ---- unknown-arg: a PMD argument no PMD knows must be refused with a negative errno (a bare -1
 * reads as EPERM), and leave no port behind. ---- */
int main(void) {
  start_eal();
  char devargs[600];
  snprintf(devargs, sizeof(devargs), "%s,dphp_no_such_argument=1", expand(REPRO_DEVARGS, 0));
  uint16_t before = rte_eth_dev_count_avail();
  int rc = rte_dev_probe(devargs);
  uint16_t after = rte_eth_dev_count_avail();
  printf("rte_dev_probe(\"%s\") = %d (%s); ports %u before, %u after\n", devargs, rc, rc ? rte_strerror(-rc) : "success",
         before, after);
  if (rc == 0)
    printf("DEFECT PRESENT: the unknown argument was accepted\n");
  else if (rc == -1)
    printf("DEFECT PRESENT: refused with a bare -1, not a negative errno\n");
  else
    printf("defect absent: refused with %d (%s)\n", rc, rte_strerror(-rc));
  return rc == 0 || rc == -1 ? DEFECT_PRESENT : DEFECT_ABSENT;
}
