/** The client-state strip under the round chart, as HTML text: counts per state, every client with its state, escaped, theme colours. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientStateEntry, RoundMetrics } from '../../../kernel/contract';
import { clientStripHtml, STATE_COLORS, tooltip } from '../../../extension/webview/client-strip';

const round = (n: number, clientStates?: ClientStateEntry[]): RoundMetrics => ({
  round: n,
  trainLoss: 1,
  clients: 2,
  failures: 1,
  bytesDown: 0,
  bytesUp: 0,
  ms: 1,
  ...(clientStates ? { clientStates } : {}),
});

const STATES: ClientStateEntry[] = [
  { id: 0, name: 'a-fast', state: 'done', trainMs: 120.4, roundTripMs: 180, lastSeenMsAgo: 3 },
  { id: 1, name: 'b-fast', state: 'done', rejoined: true, trainMs: 90, roundTripMs: 130, lastSeenMsAgo: 2 },
  { id: 2, name: 'c-slow', state: 'dropped', roundTripMs: 2100, lastSeenMsAgo: 2500, reason: "client 2 ('c-slow') stopped answering" },
  { id: null, name: 'key Yne@$w-v', state: 'refused', reason: 'key not on the allow-list' },
];

test('a simulation (no client states in any run) has no strip', () => {
  assert.equal(clientStripHtml([{ label: 'fedAvg', rounds: [round(1), round(2)] }]), '');
  assert.equal(clientStripHtml([]), '');
});

test('the newest federated run shows its latest round: counts per state, then each client with its state and colour', () => {
  const html = clientStripHtml([
    { label: 'remote', rounds: [round(1, [{ id: 0, name: 'old', state: 'connected' }]), round(2, STATES), round(3)] },
    { label: 'simulated', rounds: [round(1)] },
  ]);
  assert.match(html, /^<div class="clients-head">Clients · round 2 of remote: /);
  const counts = [...html.matchAll(/<span class="client-count" data-state="([a-z-]+)">.*?(\d+) \1<\/span>/g)].map((m) => [m[1], Number(m[2])]);
  assert.deepEqual(counts, [
    ['done', 2],
    ['dropped', 1],
    ['refused', 1],
  ]);
  const clients = [
    ...html.matchAll(
      /<li class="client" data-state="([a-z-]+)" title="[^"]*"><i class="client-dot" style="background: ([^"]+)"><\/i>([^ <]+(?: [^ <]+)?) <span class="client-state">([^<]+)<\/span><\/li>/g,
    ),
  ].map((m) => [m[3], m[1], m[4], m[2]]);
  assert.deepEqual(clients, [
    ['a-fast', 'done', 'done', STATE_COLORS.done],
    ['b-fast', 'done', 'done ↻', STATE_COLORS.done],
    ['c-slow', 'dropped', 'dropped', STATE_COLORS.dropped],
    ['key Yne@$w-v', 'refused', 'refused', STATE_COLORS.refused],
  ]);
  assert.ok(
    Object.values(STATE_COLORS).every((color) => color.startsWith('var(--vscode-')),
    'colours come from the VS Code theme',
  );
});

test("a round still running shows its live states once they are newer than the run's last recorded round", () => {
  const live = { round: 3, clients: [{ id: 0, name: 'a-fast', state: 'training' as const }] };
  const running = clientStripHtml([{ label: 'remote', rounds: [round(1, STATES), round(2, STATES)], live }]);
  assert.match(running, /^<div class="clients-head">Clients · round 3 \(running\) of remote: <span class="client-count" data-state="training">/);
  assert.match(running, /a-fast <span class="client-state">training<\/span>/);
  const ended = clientStripHtml([{ label: 'remote', rounds: [round(3, STATES)], live }]);
  assert.match(ended, /^<div class="clients-head">Clients · round 3 of remote: /, 'the recorded round supersedes the live states of the same round');
  assert.match(clientStripHtml([{ label: 'remote', rounds: [], live }]), /round 3 \(running\)/, 'a first round, before any record');
});

test('the tooltip gives the timings and the reason; names and reasons are escaped', () => {
  assert.equal(tooltip(STATES[0]), 'a-fast (client 0): done · trained 120 ms · round trip 180 ms · last heard 3 ms before the round ended');
  assert.equal(tooltip(STATES[3]), 'key Yne@$w-v: refused · key not on the allow-list');
  assert.equal(
    tooltip({ id: 3, name: 'zed', state: 'done', trainMs: 40, note: 'its masked input is in the sum; then: it left' }),
    'zed (client 3): done · trained 40 ms · its masked input is in the sum; then: it left',
  );
  const html = clientStripHtml([{ label: '<b>x</b>', rounds: [round(1, [{ id: 0, name: '<img src=x>', state: 'failed', reason: '"quoted" & <tag>' }])] }]);
  assert.ok(!html.includes('<img') && !html.includes('<b>'), html);
  assert.match(html, /&lt;img src=x&gt;/);
  assert.match(html, /title="&lt;img src=x&gt; \(client 0\): failed · &quot;quoted&quot; &amp; &lt;tag&gt;"/);
});
