/**
 * Kernel latency next to ipykernel, measured with the same Node client in one
 * run: start-up (spawn → first kernel_info_reply; and → ready, when a
 * kernel_info round trip also shows its idle status on IOPub) and a
 * trivial cell's round trip (execute_request → execute_reply and idle).
 *
 *   node out/bench/kernel-latency.js [--starts N] [--cells N]
 *
 * ipykernel is `/usr/bin/python3 -m ipykernel_launcher` (Debian's python3-ipykernel);
 * its row is left out when it is not installed. Timings are never asserted.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { connectKernel } from '../kernel/protocol/client';
import { kernelCommand, launchKernel } from '../kernel/cli/launch-kernel';

interface KernelUnderTest {
  name: string;
  command: string[];
  cell: string;
}

interface LatencyRow {
  kernel: string;
  startMedianMs: number;
  startMaxMs: number;
  readyMedianMs: number;
  cellMedianMs: number;
  cellP90Ms: number;
}

const quantile = (values: number[], q: number): number => {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

async function measure(kernel: KernelUnderTest, starts: number, cells: number): Promise<LatencyRow> {
  const startTimes: number[] = [];
  const readyTimes: number[] = [];
  const cellTimes: number[] = [];
  for (let i = 0; i < starts; i++) {
    const t0 = performance.now();
    const launched = await launchKernel({ command: kernel.command });
    const client = await connectKernel(launched.connection);
    readyTimes.push(performance.now() - t0);
    startTimes.push(client.kernelInfoAt - t0);
    if (i === 0) {
      await client.execute(kernel.cell); // warm-up, not counted
      for (let j = 0; j < cells; j++) {
        const t1 = performance.now();
        const { reply } = await client.execute(kernel.cell);
        cellTimes.push(performance.now() - t1);
        if ((reply.content as { status: string }).status !== 'ok') throw new Error(`${kernel.name}: trivial cell failed`);
      }
    }
    await client.request('control', 'shutdown_request', { restart: false }, 10_000).catch(() => undefined);
    await client.close();
    const force = setTimeout(() => void launched.kill(), 5000);
    await launched.exited;
    clearTimeout(force);
  }
  return {
    kernel: kernel.name,
    startMedianMs: quantile(startTimes, 0.5),
    startMaxMs: Math.max(...startTimes),
    readyMedianMs: quantile(readyTimes, 0.5),
    cellMedianMs: quantile(cellTimes, 0.5),
    cellP90Ms: quantile(cellTimes, 0.9),
  };
}

export function formatLatencyTable(rows: LatencyRow[]): string {
  const header = [
    'kernel',
    'start → kernel_info_reply median (ms)',
    'max (ms)',
    'start → ready median (ms)',
    'trivial cell median (ms)',
    'trivial cell p90 (ms)',
  ];
  const lines = rows.map((r) => [
    r.kernel,
    r.startMedianMs.toFixed(0),
    r.startMaxMs.toFixed(0),
    r.readyMedianMs.toFixed(0),
    r.cellMedianMs.toFixed(2),
    r.cellP90Ms.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [row(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...lines.map(row)].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const flag = (name: string, fallback: number): number => {
    const at = argv.indexOf(name);
    const value = at < 0 ? fallback : Number(argv[at + 1]);
    if (!(Number.isInteger(value) && value > 0)) throw new Error(`${name} must be a positive integer`);
    return value;
  };
  const starts = flag('--starts', 5);
  const cells = flag('--cells', 50);
  const kernels: KernelUnderTest[] = [{ name: 'fedbook', command: kernelCommand(), cell: '1' }];
  const python = '/usr/bin/python3';
  if (spawnSync(python, ['-c', 'import ipykernel'], { stdio: 'ignore' }).status === 0) {
    kernels.push({ name: 'ipykernel', command: [python, '-Xfrozen_modules=off', '-m', 'ipykernel_launcher'], cell: '1' });
  } else {
    process.stderr.write('ipykernel not installed for /usr/bin/python3: its row is left out\n');
  }
  const rows: LatencyRow[] = [];
  for (const kernel of kernels) rows.push(await measure(kernel, starts, cells));
  process.stdout.write(`Kernel latency (${starts} starts, ${cells} trivial cells, Node ${process.version})\n${formatLatencyTable(rows)}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
}
