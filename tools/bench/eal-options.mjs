// The EAL options every hotplug row of the bench runs with, one `--file-prefix` per process:
// `Eal.init`'s for the Node rows, the same as EAL arguments for the C references.
export const ealOptions = (prefix) => ({
  noHuge: true,
  noPci: true,
  memoryMb: 256,
  noSharedConfig: true,
  filePrefix: prefix,
  logLevel: 'error',
});
export const ealArgs = (prefix) => [
  '-l',
  '0',
  '-m',
  '256',
  '--no-huge',
  '--no-pci',
  '--no-shconf',
  '--file-prefix',
  prefix,
  '--log-level=4',
];
// The event-loop rows: shared config, as an application's primary has it (close then waits for
// the device's removal, which runs on the worker thread).
export const sharedEalOptions = (prefix) => ({
  noHuge: true,
  noPci: true,
  memoryMb: 256,
  filePrefix: prefix,
  logLevel: 'error',
  logEcho: false,
});
