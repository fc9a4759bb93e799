/**
 * testpmd's answers, typed. Each command's answer (the text between its echo and the next
 * prompt) becomes one {@link TestpmdAnswer}; a line the parser does not know makes it throw a
 * {@link TestpmdParseError} carrying the text, never a guess. What differs between DPDK releases
 * is in {@link WORDING}, and nowhere else.
 */

/** The interactive prompt: written after each command has run. */
export const PROMPT = 'testpmd> ';

/** A refusal, by what testpmd (or DPDK under it) said. */
export type Refusal =
  | 'port-not-stopped' // a detach of a started port
  | 'invalid-port' // an id testpmd or ethdev does not know (any more)
  | 'attach-failed' // rte_dev_probe failed
  | 'detach-failed' // rte_dev_remove failed
  | 'start-failed'
  | 'stop-failed';

export type TestpmdAnswer = (
  | { kind: 'attached'; ports: number[]; total: number }
  | { kind: 'info'; port: number; name: string; driver: string; fields: Record<string, string> }
  | { kind: 'started'; ports: number[] }
  | { kind: 'stopped' }
  | { kind: 'closed'; ports: number[] }
  | { kind: 'detached' /** '' when testpmd does not name it */; device: string; total: number }
  | { kind: 'refused'; refusal: Refusal; port?: number; text: string }
  /** `show port summary all`: the ports ethdev lists in this process (a multi-process group's shared ones). */
  | { kind: 'summary'; ports: ListedPort[]; total: number }
) & {
  /** DPDK's log lines (`EAL: …`, `TAP: …`, `func(): …`) that carry no answer. */
  logs: string[];
  /** Asynchronous event lines (`Port 0: link state change event`). */
  events: { port: number; event: string }[];
};

/** One row of `show port summary all`. */
export interface ListedPort {
  port: number;
  mac: string;
  /** The port's ethdev name (a vdev's device name). */
  name: string;
  driver: string;
  status: 'up' | 'down';
  link: string;
}

export type CommandKind =
  | 'attach'
  | 'info'
  | 'summary'
  | 'start'
  | 'stop'
  | 'close'
  | 'port-detach'
  | 'device-detach';

/** A command the parser knows, from its text; throws for any other. */
export function commandKind(command: string): CommandKind {
  const c = command.trim();
  if (/^port attach \S+$/.test(c)) return 'attach';
  if (/^show port info \d+$/.test(c)) return 'info';
  if (c === 'show port summary all') return 'summary';
  if (/^port start \d+$/.test(c)) return 'start';
  if (/^port stop \d+$/.test(c)) return 'stop';
  if (/^port close \d+$/.test(c)) return 'close';
  if (/^port detach \d+$/.test(c)) return 'port-detach';
  if (/^device detach \S+$/.test(c)) return 'device-detach';
  throw new TestpmdParseError(command, '', 'a command this parser has no answer format for');
}

/** Output the parser does not understand: the command, the whole answer, the line that stopped it. */
export class TestpmdParseError extends Error {
  override readonly name = 'TestpmdParseError';
  constructor(
    readonly command: string,
    readonly text: string,
    readonly why: string,
  ) {
    super(`testpmd's answer to "${command}" not understood: ${why}\n--- answer ---\n${text}\n---`);
  }
}

/**
 * Every message whose wording the parser relies on, with the releases' variants side by side.
 * 22.11: Debian 12; 24.11: Debian 13; 25.11: Debian sid (recorded transcripts in
 * conformance/fixtures/testpmd/).
 */
const WORDING = {
  attached: /^Port (\d+) is attached\. Now total ports is (\d+)$/,
  detached: /^Device (\S+) is detached$/,
  /** 22.11's `port detach` (detach_device) does not name the device; `device detach` does. */
  detachedUnnamed: /^Device is detached$/,
  total: /^Now total ports is (\d+)$/,
  closed: /^Port (\d+) is closed$/,
  configuring: /^Configuring Port (\d+) \(socket \d+\)$/,
  macLine: /^Port (\d+): [0-9A-F]{2}(?::[0-9A-F]{2}){5}$/,
  infoHeader: /^\*+ Infos for port (\d+)\s*\*+$/,
  /** Sentences (no "Key: value") inside the info block. */
  infoSentence: /^(?:No RSS offload flow type is supported\.)$/,
  // 22.11 says "Port not stopped" for `port detach`, and "Port N not stopped" for `device detach`.
  notStopped: /^Port (?:(\d+) )?not stopped$/,
  // 22.11 prints ethdev's message bare; 24.11 and 25.11 with ethdev's log prefix.
  invalidPortId: /^(?:ETHDEV: )?Invalid port_id=(\d+)$/,
  invalidPort: /^Invalid port (\d+)$/,
  validPorts: /^The valid ports array is \[.*\]$/,
  attachFailed: /^testpmd: Failed to attach port (\S+)$/,
  ealAttachFailed: /^EAL: Failed to attach device on primary process$/,
  /**
   * ethdev refusing a port name its shared data still holds (seen in a multi-process primary:
   * net_memif's attach, after an attach of the same device had failed); 22.11 bare, 24.11 and
   * 25.11 with ethdev's prefix (RTE_ETHDEV_LOG_LINE).
   */
  alreadyAllocated: /^(?:ETHDEV: )?Ethernet device with name (\S+) already allocated$/,
  detachFailed: /^(?:testpmd: )?Failed to (?:detach|remove) device (\S+)/,
  ealDetachFailed: /^EAL: Failed to (?:detach|hotplug remove) device on primary process$/,
  startFailed: /^Fail(?:ed)? to (?:configure|start|setup) (?:port|rx queue|tx queue)/i,
  event: /^Port (\d+): (.+) event$/,
  /** `show port summary all` (the same format in 22.11, 24.11 and 25.11: config.c port_summary_display). */
  summaryTotal: /^Number of available ports: (\d+)$/,
  summaryHeader: /^Port\s+MAC Address\s+Name\s+Driver\s+Status\s+Link$/,
  summaryRow: /^(\d+)\s+([0-9A-F]{2}(?::[0-9A-F]{2}){5})\s+(\S+)\s+(\S+)\s+(up|down)\s+(.+)$/,
  /**
   * A port testpmd's own state machine will not touch: the port another process of the group
   * attached is left in RTE_PORT_HANDLING by its RTE_ETH_EVENT_NEW handler, so `port start`
   * answers this (22.11 to 25.11, testpmd.c start_port).
   */
  nowNotStopped: /^Port (\d+) is now not stopped$/,
  /** Progress lines that say nothing by themselves. */
  progress:
    /^(?:Attaching a new port\.\.\.|Removing a device\.\.\.|Stopping ports\.\.\.|Closing ports\.\.\.|Checking link statuses\.\.\.|Done|Please stop the ports first)$/,
  /**
   * testpmd's own notices: `Warning: NUMA should be configured manually …`, and what it ignores
   * (`Error during enabling promiscuous mode for port 1: Operation not supported - ignore`), and
   * `Port was not closed` (a detach of a stopped port it had not marked closed: it goes on).
   */
  warning: /^(?:Warning: |Error during .* - ignore$|Port was not closed$)/,
  /**
   * A log line of DPDK: a component (`EAL: `, `ETHDEV: `), a function (`memif_socket_create(): `),
   * or bonding's function and line (`bond_ethdev_allmulticast_disable(2912) - `).
   */
  log: /^(?:(?:[A-Z][A-Z0-9_]*|[a-z_][a-z0-9_]*\(\)|[a-z_][a-z0-9_]*): |[a-z_][a-z0-9_]*\(\d+\) - )/,
} as const;

/**
 * The answer text of one exchange, without the command's echo. Output of other threads (an event,
 * a vhost log) can land between the prompt and the echo: it stays in the answer.
 */
export function answerText(command: string, chunk: string): string {
  const lines = chunk.replace(/\r/g, '').split('\n');
  const echo = lines.findIndex((l) => l.trim() === command.trim());
  if (echo >= 0) lines.splice(echo, 1);
  return lines.join('\n');
}

/** Parses the answer to `command` (its text without the echo). */
export function parseAnswer(command: string, text: string): TestpmdAnswer {
  const kind = commandKind(command);
  const lines = text
    .replace(/\r/g, '')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  const logs: string[] = [];
  const events: TestpmdAnswer['events'] = [];
  const fail = failWith(command, text);
  const extra = { logs, events };

  if (kind === 'info') return parseInfo(command, text, lines, extra);
  if (kind === 'summary') return parseSummary(command, text, lines, extra);

  const attachedPorts: number[] = [];
  let total: number | undefined;
  const closed: number[] = [];
  const configured: number[] = [];
  let detached: string | undefined;
  let refusal: { refusal: Refusal; port?: number; text: string } | undefined;
  const refuse = (r: Refusal, line: string, port?: string) => {
    refusal ??= { refusal: r, ...(port !== undefined ? { port: Number(port) } : {}), text: line };
  };
  // Each line is one of these, tried in order; the first that matches reads it.
  const readers: [RegExp, (m: RegExpExecArray, line: string) => void][] = [
    [
      WORDING.attached,
      (m) => {
        attachedPorts.push(Number(m[1]));
        total = Number(m[2]);
      },
    ],
    [
      WORDING.detached,
      (m) => {
        detached = m[1];
      },
    ],
    [
      WORDING.detachedUnnamed,
      () => {
        detached = '';
      },
    ],
    [
      WORDING.total,
      (m) => {
        total = Number(m[1]);
      },
    ],
    [WORDING.closed, (m) => closed.push(Number(m[1]))],
    [WORDING.configuring, (m) => configured.push(Number(m[1]))],
    // These say nothing beyond the lines above.
    [WORDING.macLine, () => {}],
    [WORDING.progress, () => {}],
    [WORDING.validPorts, () => {}],
    [WORDING.notStopped, (m, line) => refuse('port-not-stopped', line, m[1])],
    [WORDING.nowNotStopped, (m, line) => refuse('port-not-stopped', line, m[1])],
    [WORDING.invalidPortId, (m, line) => refuse('invalid-port', line, m[1])],
    [WORDING.invalidPort, (m, line) => refuse('invalid-port', line, m[1])],
    [WORDING.attachFailed, (_, line) => refuse('attach-failed', line)],
    [WORDING.ealAttachFailed, (_, line) => refuse('attach-failed', line)],
    [WORDING.alreadyAllocated, (_, line) => refuse('attach-failed', line)],
    [WORDING.detachFailed, (_, line) => refuse('detach-failed', line)],
    [WORDING.ealDetachFailed, (_, line) => refuse('detach-failed', line)],
    [WORDING.startFailed, (_, line) => refuse(kind === 'stop' ? 'stop-failed' : 'start-failed', line)],
    [WORDING.event, (m) => events.push({ port: Number(m[1]), event: m[2]! })],
    [WORDING.log, (_, line) => logs.push(line)],
    [WORDING.warning, (_, line) => logs.push(line)],
  ];
  for (const line of lines) {
    const hit = readers.find(([re]) => re.test(line));
    if (!hit) fail(`the line "${line}"`);
    hit![1](hit![0].exec(line)!, line);
  }
  if (refusal) return { kind: 'refused', ...refusal, ...extra };
  switch (kind) {
    case 'attach':
      if (!attachedPorts.length || total === undefined) fail('no "Port N is attached" line');
      return { kind: 'attached', ports: attachedPorts, total: total!, ...extra };
    case 'start':
      return { kind: 'started', ports: configured, ...extra };
    case 'stop':
      return { kind: 'stopped', ...extra };
    case 'close':
      if (!closed.length) fail('no "Port N is closed" line');
      return { kind: 'closed', ports: closed, ...extra };
    case 'port-detach':
    case 'device-detach':
      if (detached === undefined || total === undefined) fail('no "Device … is detached" line');
      return { kind: 'detached', device: detached!, total: total!, ...extra };
  }
}

function parseInfo(
  command: string,
  text: string,
  lines: string[],
  extra: Pick<TestpmdAnswer, 'logs' | 'events'>,
): TestpmdAnswer {
  const fail = failWith(command, text);
  const start = lines.findIndex((l) => WORDING.infoHeader.test(l));
  if (start < 0) {
    for (const line of lines) {
      const m = WORDING.invalidPortId.exec(line) ?? WORDING.invalidPort.exec(line);
      if (m) return { kind: 'refused', refusal: 'invalid-port', port: Number(m[1]), text: line, ...extra };
    }
    fail('no "Infos for port" header');
  }
  for (const line of lines.slice(0, start)) {
    if (WORDING.event.test(line)) {
      const m = WORDING.event.exec(line)!;
      extra.events.push({ port: Number(m[1]), event: m[2]! });
    } else if (WORDING.log.test(line)) extra.logs.push(line);
    else fail(`the line "${line}" before the header`);
  }
  const port = Number(WORDING.infoHeader.exec(lines[start]!)![1]);
  // The block is "Key: value" lines, and indented lines continuing the key before them; releases
  // add keys (24.11: "Hash key size in bytes", 25.11: "Minimum MTU"), which are kept, not judged.
  const fields: Record<string, string> = {};
  let last: string | undefined;
  for (const line of lines.slice(start + 1)) {
    const kv = /^([A-Za-z][^:]*):\s?(.*)$/.exec(line);
    const ev = WORDING.event.exec(line);
    if (ev) extra.events.push({ port: Number(ev[1]), event: ev[2]! });
    else if (WORDING.infoSentence.test(line)) fields[line] = '';
    else if (/^\s/.test(line) && last !== undefined) fields[last] = `${fields[last]} ${line.trim()}`.trim();
    else if (kv) {
      last = kv[1]!;
      fields[last] = kv[2]!;
    } else fail(`the line "${line}" in the info block`);
  }
  const name = fields['Device name'];
  const driver = fields['Driver name'];
  if (!name || !driver) fail('no "Device name" or "Driver name" in the info block');
  return { kind: 'info', port, name: name!, driver: driver!, fields, ...extra };
}

/**
 * `show port summary all`: the count, a header, one row per port. Another process of a group
 * removing a port makes this one print `Port N is closed` (its RTE_ETH_EVENT_DESTROY handler) at
 * any moment: kept as an event, wherever it lands.
 */
function parseSummary(
  command: string,
  text: string,
  lines: string[],
  extra: Pick<TestpmdAnswer, 'logs' | 'events'>,
): TestpmdAnswer {
  const fail = failWith(command, text);
  let total: number | undefined;
  let header = false;
  const ports: ListedPort[] = [];
  for (const line of lines) {
    const t = WORDING.summaryTotal.exec(line);
    const row = WORDING.summaryRow.exec(line);
    const closed = WORDING.closed.exec(line);
    const ev = WORDING.event.exec(line);
    if (t && total === undefined) total = Number(t[1]);
    else if (WORDING.summaryHeader.test(line) && total !== undefined && !header) header = true;
    else if (row && header) {
      const [, port, mac, name, driver, status, link] = row;
      ports.push({
        port: Number(port),
        mac: mac!,
        name: name!,
        driver: driver!,
        status: status as 'up' | 'down',
        link: link!,
      });
    } else if (closed) extra.events.push({ port: Number(closed[1]), event: 'closed' });
    else if (ev) extra.events.push({ port: Number(ev[1]), event: ev[2]! });
    else if (WORDING.log.test(line)) extra.logs.push(line);
    else fail(`the line "${line}"`);
  }
  if (total === undefined || !header) fail('no "Number of available ports" line and header');
  // The count is ethdev's, the rows are what testpmd could read: they must agree.
  if (ports.length !== total) fail(`${total} ports announced, ${ports.length} listed`);
  return { kind: 'summary', ports, total: total!, ...extra };
}

/** Throws the parser's one error for this answer, with the command and the whole text. */
function failWith(command: string, text: string): (why: string) => never {
  return (why) => {
    throw new TestpmdParseError(command, text, why);
  };
}

/** A whole recorded transcript (raw stdout of an interactive testpmd) as command/answer pairs. */
export function exchanges(raw: string): { command: string; text: string }[] {
  const parts = raw.replace(/\r/g, '').split(PROMPT);
  // parts[0] is the start-up output; each later part holds the echo of the command typed.
  return parts.slice(1).flatMap((part) => {
    const command = part
      .split('\n')
      .find((l) => isCommand(l.trim()))
      ?.trim();
    if (!command) return [];
    return [{ command, text: answerText(command, part) }];
  });
}

function isCommand(line: string): boolean {
  try {
    commandKind(line);
    return true;
  } catch {
    return false;
  }
}
