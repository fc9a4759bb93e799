/** Test support: a fake sysfs/procfs tree with a kernel simulator behind its writes. */
export {
  type FakeDevice,
  type FakeDriver,
  FakeMachine,
  type FakeMachineSpec,
  labMachine,
  type SysfsWrite,
} from './testing/fake-machine.js';
