import { InvalidInputError } from './errors.js';

/** A device string as the SDK understands it, checked before DPDK sees it. */
export interface Devargs {
  /** What the caller passed. */
  readonly input: string;
  readonly bus: 'pci' | 'vdev';
  /** The device name DPDK gives the device: canonical BDF (`0000:01:00.0`) or vdev name. */
  readonly name: string;
  /** PMD arguments after the first comma, as given ('' when none). */
  readonly args: string;
  /** What is passed to `rte_dev_probe`: the name in canonical form, then the arguments. */
  readonly devargs: string;
}

// RTE_DEV_NAME_MAX_LEN is 64 with the NUL.
export const MAX_DEVICE_NAME = 63;
// DPDK sets no limit; this one keeps a runaway string out of the PMD's parsers.
export const MAX_DEVARGS = 4096;

const BDF = /^(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-9a-f]+)$/i;
// A driver name (net_null, eth_pcap, crypto_aesni_mb …) followed by an instance suffix.
const VDEV_NAME = /^[a-z][a-z0-9_.-]*$/i;

function invalid(
  input: string,
  why: string,
  code: 'INVALID_DEVARGS' | 'INVALID_PCI_ADDRESS' = 'INVALID_DEVARGS',
) {
  const shown = input.length > 80 ? `${input.slice(0, 77)}...` : input;
  return new InvalidInputError(code, `Invalid devargs ${JSON.stringify(shown)}: ${why}`, { devargs: input });
}

/** The canonical form of a PCI address (`01:00.0` → `0000:01:00.0`), or undefined. */
export function canonicalPciAddress(text: string): string | undefined {
  const m = BDF.exec(text);
  if (!m) return undefined;
  const [domain, bus, dev, fn] = [m[1] ?? '0', m[2]!, m[3]!, m[4]!].map((h) => Number.parseInt(h, 16)) as [
    number,
    number,
    number,
    number,
  ];
  if (dev > 0x1f || fn > 7) return undefined;
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  return `${hex(domain, 4)}:${hex(bus, 2)}:${hex(dev, 2)}.${fn}`;
}

/**
 * Checks and classifies a device string: a PCI address (`0000:01:00.0`, `01:00.0`, with
 * optional `,key=value` PMD arguments) or a vdev string (`net_pcap0,iface=eth0`; the legacy
 * `eth_pcap0` spelling too, which DPDK's vdev bus still resolves through driver aliases).
 * Throws {@link InvalidInputError} naming what is wrong.
 */
export function parseDevargs(input: unknown): Devargs {
  // Apps attach the same few devices over and over: parsing is pure, so remember the answers.
  const known = typeof input === 'string' ? parsed.get(input) : undefined;
  if (known) return known;
  const result = parse(input);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(result.input, result);
  return result;
}

const PARSED_MAX = 256;
const parsed = new Map<string, Devargs>();

function parse(input: unknown): Devargs {
  if (typeof input !== 'string') {
    throw new InvalidInputError('INVALID_DEVARGS', `devargs must be a string, got ${describe(input)}`);
  }
  if (input.trim() === '') throw invalid(input, 'it is empty; give a PCI address or a vdev name');
  if (input.length > MAX_DEVARGS)
    throw invalid(input, `it is ${input.length} characters long, over ${MAX_DEVARGS}`);
  if (input !== input.trim()) throw invalid(input, 'it has leading or trailing white space');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds
  if (/[\u0000-\u001f\u007f]/.test(input)) throw invalid(input, 'it contains control characters');

  const comma = input.indexOf(',');
  const rawName = comma < 0 ? input : input.slice(0, comma);
  const args = comma < 0 ? '' : input.slice(comma + 1);
  if (rawName === '') throw invalid(input, 'the device name before the first comma is empty');
  if (/\s/.test(rawName)) throw invalid(input, 'the device name contains white space');

  if (rawName.includes(':') || /^[0-9a-f]{1,2}\.[0-9a-f]/i.test(rawName)) {
    const name = canonicalPciAddress(rawName);
    if (!name) {
      throw invalid(
        input,
        `${JSON.stringify(rawName)} is not a PCI address (domain:bus:device.function, e.g. 0000:01:00.0)`,
        'INVALID_PCI_ADDRESS',
      );
    }
    return Object.freeze({ input, bus: 'pci', name, args, devargs: args ? `${name},${args}` : name });
  }
  if (rawName.length > MAX_DEVICE_NAME) {
    throw invalid(
      input,
      `the device name is ${rawName.length} characters long; DPDK allows ${MAX_DEVICE_NAME}`,
    );
  }
  if (!VDEV_NAME.test(rawName)) {
    throw invalid(
      input,
      `${JSON.stringify(rawName)} is neither a PCI address nor a vdev name such as net_null0`,
    );
  }
  return Object.freeze({ input, bus: 'vdev', name: rawName, args, devargs: input });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
