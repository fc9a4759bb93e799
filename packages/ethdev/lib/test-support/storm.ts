/**
 * The port-table storm: random control calls on an `Eal` (fake or real DPDK) against a model
 * of the calls that succeeded. After every call the SDK's table (`ports()`: id, generation,
 * device, state), the call's outcome (its result or error code) and the events emitted must
 * equal the model's. The model holds DPDK 22.11's id rule (a new port takes the lowest id no
 * open port holds: close frees an id) and the SDK's contract (docs/ethdev-contract.md); nothing in it reads
 * the SDK's state.
 */
import { mulberry32 } from '../../fuzz/generator.js';
import type { Eal } from '../eal.js';
import { isHotplugError } from '../errors.js';
import type { PortHandle, PortId, PortState } from '../types.js';

interface ModelPort {
  id: number;
  generation: number;
  device: string;
  state: PortState;
}

/** What the SDK's table should be, built from the calls that succeeded only. */
class Model {
  readonly ports: ModelPort[] = [];
  /** Handles of ports whose devices were detached: they must never name another port. */
  readonly gone: PortHandle[] = [];
  readonly events: string[] = [];
  /** The newest generation the SDK gave: each new port's must be higher (never given twice). */
  generation = 0;

  /** The port a raw id or handle names, or the error code the SDK must throw. */
  resolve(ref: number | PortHandle, forDetach: boolean): ModelPort | string {
    if (typeof ref === 'object') {
      const port = this.ports.find((p) => p.generation === ref.generation && p.id === ref.id);
      return port ?? 'PORT_NOT_FOUND';
    }
    const holders = this.ports.filter((p) => p.id === ref);
    const live = holders.find((p) => p.state !== 'closed');
    const closed = holders.filter((p) => p.state === 'closed');
    if (forDetach && holders.length > 1) return 'PORT_ID_REUSED';
    if (live) return live;
    if (closed.length > 1) return 'PORT_ID_REUSED';
    return closed[0] ?? 'PORT_NOT_FOUND';
  }

  lowestFreeId(): number {
    let id = 0;
    while (this.ports.some((p) => p.id === id && p.state !== 'closed')) id++;
    return id;
  }

  attach(device: string): number | string {
    if (this.ports.some((p) => p.device === device)) return 'ALREADY_ATTACHED';
    // Its generation is the SDK's to choose, checked when the call returns (see runStorm).
    const port = { id: this.lowestFreeId(), generation: Number.NaN, device, state: 'attached' as const };
    this.ports.push(port);
    this.events.push(`attach ${device} ${port.id}`);
    return port.id;
  }

  remove(port: ModelPort): string {
    this.ports.splice(this.ports.indexOf(port), 1);
    this.gone.push({ id: port.id as PortId, generation: port.generation });
    this.events.push(`detach ${port.device} ${port.id}`);
    return port.device;
  }

  detach(ref: number | PortHandle, force: boolean): string {
    const port = this.resolve(ref, true);
    if (typeof port === 'string') return port;
    if (!force && port.state === 'started') return 'PORT_STARTED';
    if (!force && port.state !== 'closed') return 'PORT_NOT_CLOSED';
    return this.remove(port);
  }

  /** stop → close → detach of one port's device (single-port devices here). */
  release(ref: number | PortHandle): string {
    const port = this.resolve(ref, true);
    return typeof port === 'string' ? port : this.remove(port);
  }

  detachDevice(device: string, force: boolean): string {
    const port = this.ports.find((p) => p.device === device);
    if (!port) return 'DEVICE_NOT_FOUND';
    if (!force && port.state !== 'closed') return 'SIBLING_PORTS_OPEN';
    return this.remove(port);
  }

  /** configure, start, stop, close: the new state, or the error code. */
  lifecycle(op: LifecycleOp, ref: number | PortHandle): PortState | string {
    const port = this.resolve(ref, false);
    if (typeof port === 'string') return port;
    const next = nextState(op, port.state);
    if (!next.startsWith('PORT_') && !next.startsWith('INVALID')) port.state = next as PortState;
    return next;
  }

  table(): Array<Omit<ModelPort, never>> {
    return [...this.ports].sort((a, b) => a.id - b.id || a.generation - b.generation).map((p) => ({ ...p }));
  }
}

type LifecycleOp = 'configure' | 'start' | 'stop' | 'close';

/** The SDK's state rules (ports.ts, docs/ethdev-contract.md): the state after `op`, or its error code. */
function nextState(op: LifecycleOp, state: PortState): PortState | string {
  const refused = state === 'started' ? 'PORT_STARTED' : 'INVALID_STATE';
  switch (op) {
    case 'configure':
      return ['attached', 'configured', 'stopped'].includes(state) ? 'configured' : refused;
    case 'start':
      return state === 'started' || state === 'configured' || state === 'stopped' ? 'started' : refused;
    case 'stop':
      return state === 'started' ? 'stopped' : state === 'closed' ? 'INVALID_STATE' : state;
    case 'close':
      return state === 'started' ? 'PORT_STARTED' : 'closed';
  }
}

export interface StormOptions {
  seed: number;
  calls: number;
  /** Device names to draw from (`net_null0` …): few names make many collisions. */
  devices: readonly string[];
  /** Use the async forms (attach, detach, …Async) for about half the calls. */
  async?: boolean;
}

export interface StormReport {
  calls: number;
  /** Outcomes by kind: `attach ok`, `detach PORT_ID_REUSED`, … */
  outcomes: Record<string, number>;
}

/** Runs the storm; throws at the first call whose outcome, table or events differ from the model. */
export async function runStorm(eal: Eal, options: StormOptions): Promise<StormReport> {
  const rng = mulberry32(options.seed);
  const int = (n: number) => Math.floor(rng() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const model = new Model();
  const seen: string[] = [];
  const onAttach = (e: { device: string; ports: readonly number[] }) =>
    seen.push(`attach ${e.device} ${e.ports.join(',')}`);
  const onDetach = (e: { device: string; ports: readonly number[] }) =>
    seen.push(`detach ${e.device} ${e.ports.join(',')}`);
  eal.on('attach', onAttach);
  eal.on('detach', onDetach);
  const outcomes: Record<string, number> = {};
  const anAsync = () => options.async === true && rng() < 0.5;
  /** A port reference as an application might hold one: a live handle, a raw id, or a stale handle. */
  const aRef = (): number | PortHandle => {
    const r = rng();
    if (r < 0.45 && model.ports.length > 0) {
      const p = pick(model.ports);
      return { id: p.id as PortId, generation: p.generation };
    }
    if (r < 0.9 || model.gone.length === 0) return int(6);
    return pick(model.gone.slice(-20));
  };
  try {
    for (let i = 0; i < options.calls; i++) {
      const r = rng();
      let label: string;
      let expected: unknown;
      let run: () => unknown;
      if (r < 0.25) {
        const device = pick(options.devices);
        const useAsync = anAsync();
        label = `${useAsync ? 'attach' : 'attachSync'}(${device})`;
        expected = model.attach(device);
        run = () => (useAsync ? eal.attach(device) : eal.attachSync(device));
      } else if (r < 0.7) {
        const op = pick(['configure', 'start', 'stop', 'close'] as const);
        const ref = aRef();
        const sdk = eal as unknown as Record<string, (ref: unknown) => unknown>;
        const useAsync = anAsync();
        label = `${op}${useAsync ? 'Async' : ''}(${JSON.stringify(ref)})`;
        const next = model.lifecycle(op, ref);
        expected = /^[A-Z_]+$/.test(next) ? next : undefined;
        run = () => sdk[useAsync ? `${op}Async` : op]!.call(eal, ref);
      } else if (r < 0.92) {
        const ref = aRef();
        const force = rng() < 0.2;
        const useAsync = anAsync();
        label = `${useAsync ? 'detach' : 'detachSync'}(${JSON.stringify(ref)}${force ? ', force' : ''})`;
        expected = model.detach(ref, force);
        run = () =>
          useAsync ? eal.detach(ref as PortId, { force }) : eal.detachSync(ref as PortId, { force });
      } else if (r < 0.96 || options.async !== true) {
        const device = pick(options.devices);
        const force = rng() < 0.3;
        const useAsync = anAsync();
        label = `${useAsync ? 'detachDevice' : 'detachDeviceSync'}(${device}${force ? ', force' : ''})`;
        expected = model.detachDevice(device, force);
        run = () =>
          useAsync ? eal.detachDevice(device, { force }) : eal.detachDeviceSync(device, { force });
      } else {
        const ref = aRef();
        label = `release(${JSON.stringify(ref)})`;
        expected = model.release(ref);
        run = () => eal.release(ref as PortId);
      }
      let got: unknown;
      try {
        got = await run();
      } catch (e) {
        if (!isHotplugError(e)) throw e;
        got = e.code;
      }
      // Events come in a microtask after the call returned.
      await new Promise((resolve) => setImmediate(resolve));
      const kind = `${label.replace(/\(.*/, '')} ${typeof got === 'string' && /^[A-Z_]+$/.test(got) ? got : 'ok'}`;
      outcomes[kind] = (outcomes[kind] ?? 0) + 1;
      const table = eal
        .ports()
        .map((p) => ({ id: p.id, generation: p.generation, device: p.device, state: p.state }));
      const fresh = model.ports.find((p) => Number.isNaN(p.generation));
      if (fresh && got === expected) {
        const given = table.find((p) => p.device === fresh.device)?.generation ?? Number.NaN;
        if (!(given > model.generation))
          throw new Error(
            `seed ${options.seed}, call ${i}: ${label} gave generation ${given}, not above ${model.generation}`,
          );
        fresh.generation = model.generation = given;
      }
      const problem =
        got !== expected
          ? `returned ${JSON.stringify(got)}, the model says ${JSON.stringify(expected)}`
          : JSON.stringify(table) !== JSON.stringify(model.table())
            ? `table ${JSON.stringify(table)}, the model's ${JSON.stringify(model.table())}`
            : JSON.stringify(seen) !== JSON.stringify(model.events)
              ? `events ${JSON.stringify(seen.slice(-3))}, the model's ${JSON.stringify(model.events.slice(-3))}`
              : undefined;
      if (problem) throw new Error(`seed ${options.seed}, call ${i}: ${label} ${problem}`);
    }
  } finally {
    eal.off('attach', onAttach);
    eal.off('detach', onDetach);
  }
  return { calls: options.calls, outcomes };
}
