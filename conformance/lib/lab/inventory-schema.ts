import { USERSPACE_DRIVERS } from '@dpdk-hotplug/linux';
import { type Static, Type } from '@sinclair/typebox';
import { DUT_NAME, IFNAME, REMOVAL_METHODS, SETUP_KINDS } from '../model/dut.js';

/**
 * The lab inventory a lab admin writes by hand (YAML or JSON): its JSON Schema, as TypeBox
 * builds it. `schema/inventory.schema.json` is this object, published for editors and CI
 * (`inventory.test.ts` keeps the two equal). Rules a schema cannot say (unique names, devargs
 * the SDK accepts, the traffic vocabulary) are checked in `inventory.ts`.
 */

const source = (re: RegExp) => re.source;
const oneOf = <T extends string>(values: readonly T[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );

const Name = Type.String({
  pattern: source(DUT_NAME),
  description: 'a name of lower-case letters, digits, _ and - (at most 48), e.g. lab1-x710-p0',
});
const Cycles = Type.Integer({
  minimum: 1,
  maximum: 1_000_000,
  description: 'a whole number of repeated attach/detach cycles, 1 to 1000000',
});
const Mbufs = Type.Integer({
  minimum: 64,
  maximum: 1_048_576,
  description:
    "the mbuf pool each port gets, 64 to 1048576 (default: the SDK's, as many as the descriptors): for a PMD that takes more from its pool",
});
const Expectations = Type.String({
  minLength: 1,
  description: "the DUT's expected findings (certify --expect format), relative to the inventory file",
});
const PmdFile = Type.String({
  minLength: 1,
  description:
    "the out-of-tree PMD (.so) that drives the DUT, relative to the inventory file: every EAL of the run loads it (certify --driver); named pmdFile because a PCI entry's driver is its userspace driver",
});
const Traffic = Type.String({
  minLength: 1,
  description: `what traffic the DUT can show, as certify --traffic says it: loopback, source-sink, tx-only, none, or peer=IFACE (the host interface cabled to it; ${IFNAME.source})`,
});

export const PciDutSchema = Type.Object(
  {
    name: Type.Optional(Name),
    pci: Type.String({
      pattern: '^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[01][0-9a-fA-F]\\.[0-7]$',
      description: 'a PCI address, domain:bus:device.function (0000:3b:00.0)',
    }),
    model: Type.String({
      minLength: 1,
      description: 'the NIC model, as the report shows it (e.g. X710, e1000e)',
    }),
    ids: Type.String({
      pattern: '^[0-9a-f]{4}:[0-9a-f]{4}$',
      description: "the model's vendor:device ids, lower-case hex as lspci -n prints them (8086:10d3)",
    }),
    driver: oneOf(USERSPACE_DRIVERS, 'the userspace driver DPDK uses'),
    kernelDriver: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$',
      description: 'the kernel driver to give the NIC back to (e.g. i40e)',
    }),
    traffic: Traffic,
    removal: oneOf(REMOVAL_METHODS, 'how the lab can remove the NIC and bring it back'),
    unplug: Type.Optional(
      oneOf(
        ['clean', 'surprise'],
        'how the PCI checks (101-112) take the NIC away by its removal: clean (check 109, the default) or surprise (check 110, while its port runs); a removal of none runs the vdev checks instead',
      ),
    ),
    pmd: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9_]{1,64}$',
        description:
          'the DPDK PMD that drives the NIC (net_e1000_em), which the attach checks expect; default: the model',
      }),
    ),
    args: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'devargs after the address (key=value,...), checked by the SDK',
      }),
    ),
    cycles: Type.Optional(Cycles),
    mbufs: Type.Optional(Mbufs),
    expectations: Type.Optional(Expectations),
    pmdFile: Type.Optional(PmdFile),
  },
  { additionalProperties: false, description: 'a PCI NIC of the runner' },
);

export const VdevDutSchema = Type.Object(
  {
    name: Type.Optional(Name),
    vdev: Type.String({
      minLength: 1,
      description: 'the virtual device string (net_null0, net_pcap0,iface={iface}), checked by the SDK',
    }),
    setup: Type.Optional(oneOf(SETUP_KINDS, 'what the suite builds for the DUT and removes afterwards')),
    traffic: Type.Optional(Traffic),
    needsRoot: Type.Optional(Type.Boolean({ description: 'true when the DUT needs root' })),
    cycles: Type.Optional(Cycles),
    mbufs: Type.Optional(Mbufs),
    expectations: Type.Optional(Expectations),
    pmdFile: Type.Optional(PmdFile),
  },
  { additionalProperties: false, description: 'a virtual device of the runner' },
);

export const RunnerSchema = Type.Object(
  {
    name: Name,
    dpdk: Type.Optional(
      Type.String({
        pattern: '^[0-9]+\\.[0-9]+(\\.[0-9]+)?$',
        description: 'the DPDK version (or version prefix) the runner must have, quoted: "22.11"',
      }),
    ),
    hugepages: Type.Optional(
      Type.String({
        pattern: '^[0-9]+[KMG]?$',
        description: 'hugepage memory the runner needs free, e.g. 512M',
      }),
    ),
    duts: Type.Array(Type.Union([PciDutSchema, VdevDutSchema]), {
      minItems: 1,
      description: 'its devices under test',
    }),
  },
  { additionalProperties: false, description: 'a machine of the lab (a CI runner of that name)' },
);

export const InventorySchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    version: Type.Literal(1, { description: 'the inventory format: 1' }),
    runners: Type.Array(RunnerSchema, { minItems: 1, description: 'the lab machines' }),
  },
  {
    $id: 'https://dpdk-hotplug.dev/schema/inventory.schema.json',
    title: 'dpdk-hotplug lab inventory',
    additionalProperties: false,
  },
);

export type PciDutEntry = Static<typeof PciDutSchema>;
export type VdevDutEntry = Static<typeof VdevDutSchema>;
export type RunnerEntry = Static<typeof RunnerSchema>;
export type InventoryDocument = Static<typeof InventorySchema>;
