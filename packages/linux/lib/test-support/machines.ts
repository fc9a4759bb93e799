import { afterEach } from 'vitest';
import { type FakeMachine, labMachine } from '../testing/fake-machine.js';

/** A `labMachine` maker whose machines are removed after each test. */
export function fakeMachines(): (...args: Parameters<typeof labMachine>) => FakeMachine {
  const made: FakeMachine[] = [];
  afterEach(() => {
    for (const m of made.splice(0)) m.cleanup();
  });
  return (...args) => {
    const m = labMachine(...args);
    made.push(m);
    return m;
  };
}
