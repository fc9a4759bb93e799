// Drives dpdk-testpmd interactively, as DTS does: one command, wait for the prompt, the next.
// The cycle is DPDK 22.11's: `port detach <id>` fails once `port close` has freed the id, so the
// device is detached by name. Usage: node testpmd-driver.mjs CYCLES PREFIX
// Prints one JSON line: {"cycles", "seconds"}.
import { spawn } from 'node:child_process';

const [cyclesText, prefix] = process.argv.slice(2);
const cycles = Number(cyclesText);
const PROMPT = 'testpmd> ';
// Line-buffered, as on the pty DTS drives it through: a message is never split by a prompt.
const child = spawn(
  'stdbuf',
  [
    '-oL',
    'dpdk-testpmd',
    '-l',
    '0,1',
    '--no-huge',
    '-m',
    '256',
    '--no-pci',
    '--no-shconf',
    '--file-prefix',
    prefix,
    '--log-level=4',
    '--',
    '-i',
    '--total-num-mbufs=2048',
  ],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
let prompts = 0;
let waiting;
let pending = '';
let output = '';
child.stdout.on('data', (chunk) => {
  const text = chunk.toString('latin1');
  output += text;
  // The prompt is written unbuffered after each command has run: it marks completion.
  pending += text;
  for (let i = pending.indexOf(PROMPT); i >= 0; i = pending.indexOf(PROMPT)) {
    prompts++;
    pending = pending.slice(i + PROMPT.length);
  }
  pending = pending.slice(-PROMPT.length);
  if (waiting && prompts >= waiting.count) waiting.resolve();
});
function untilPrompt(count) {
  return new Promise((resolve) => {
    if (prompts >= count) resolve();
    else waiting = { count, resolve };
  });
}
let sent = 0;
async function run(command) {
  child.stdin.write(`${command}\n`);
  sent++;
  await untilPrompt(sent + 1);
}
await untilPrompt(1);
const cycle = ['port attach net_null0', 'port stop 0', 'port close 0', 'device detach net_null0'];
for (let i = 0; i < 20; i++) for (const c of cycle) await run(c);
const t0 = performance.now();
for (let i = 0; i < cycles; i++) for (const c of cycle) await run(c);
const seconds = (performance.now() - t0) / 1000;
child.stdin.end('quit\n');
await new Promise((r) => child.on('close', r));
// testpmd's own words, flushed at exit: every cycle must have attached and detached. Its
// messages go out in buffered blocks, while prompts and the echo of each command are written
// at once and can land inside a block: take those out first.
let said = output.replaceAll(PROMPT, '');
for (const c of cycle) said = said.replaceAll(`${c}\r\n`, '');
const attached = said.split('is attached. Now total ports is 1').length - 1;
const detached = said.split('Device net_null0 is detached').length - 1;
if (attached !== cycles + 20 || detached !== cycles + 20) {
  console.error(`testpmd did ${attached} attaches and ${detached} detaches for ${cycles + 20} cycles`);
  process.exit(1);
}
console.log(JSON.stringify({ cycles, seconds }));
