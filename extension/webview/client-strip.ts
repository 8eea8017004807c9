/**
 * The client-state strip under the round chart: for the newest federated run
 * (one whose rounds record client states), how many clients are in each
 * state and every client's name with its state, timings in the tooltip.
 * Pure (HTML text from rounds, no DOM), so it is tested in Node; colours are
 * VS Code's theme variables, so the strip follows the theme as the chart does.
 */
import {
  countClientStates,
  latestClientStates,
  type ClientState,
  type ClientStateEntry,
  type LiveClientStates,
  type RoundMetrics,
} from '../../kernel/contract';
import { escapeHtml } from '../../kernel/contract/html';

/** A run as the strip reads it. */
export interface StripRun {
  readonly label: string;
  readonly rounds: readonly RoundMetrics[];
  /** Client states of a round still running, sent before its metrics. */
  readonly live?: LiveClientStates;
}

/** Each state's colour: VS Code's chart colours (with a fallback where a theme lacks one). */
export const STATE_COLORS: Readonly<Record<ClientState, string>> = {
  connected: 'var(--vscode-charts-blue, #3794ff)',
  training: 'var(--vscode-charts-purple, #b180d7)',
  done: 'var(--vscode-charts-green, #89d185)',
  rejoined: 'var(--vscode-charts-yellow, #cca700)',
  dropped: 'var(--vscode-charts-red, #f14c4c)',
  'timed-out': 'var(--vscode-charts-orange, #d18616)',
  failed: 'var(--vscode-charts-red, #f14c4c)',
  refused: 'var(--vscode-disabledForeground, #888)',
  gone: 'var(--vscode-disabledForeground, #888)',
};

/**
 * The strip's HTML for the newest run with client states: those of its round still running when they are
 * newer than its last recorded round's; '' when no run has any (a simulation: no strip).
 */
export function clientStripHtml(runs: readonly StripRun[]): string {
  for (let i = runs.length - 1; i >= 0; i--) {
    const { label, live } = runs[i];
    const latest = latestClientStates(runs[i].rounds);
    if (live && (!latest || live.round > latest.round)) return stripHtml(label, `round ${live.round} (running)`, live.clients);
    if (latest) return stripHtml(label, `round ${latest.round}`, latest.clients);
  }
  return '';
}

function stripHtml(label: string, round: string, clients: readonly ClientStateEntry[]): string {
  const counts = countClientStates(clients)
    .map(({ state, count }) => `<span class="client-count" data-state="${state}">${dot(state)}${count} ${state}</span>`)
    .join(' ');
  const items = clients
    .map((client) => {
      // A record is a file anyone could have edited: only known states reach the markup unescaped.
      const state = escapeHtml(String(client.state));
      return (
        `<li class="client" data-state="${state}" title="${escapeHtml(tooltip(client))}">${dot(client.state)}${escapeHtml(String(client.name))}` +
        ` <span class="client-state">${state}${client.rejoined ? ' ↻' : ''}</span></li>`
      );
    })
    .join('');
  return (
    `<div class="clients-head">Clients · ${escapeHtml(round)} of ${escapeHtml(label)}: ${counts || 'none'}</div>` + `<ul class="clients-list">${items}</ul>`
  );
}

function dot(state: ClientState): string {
  return `<i class="client-dot" style="background: ${STATE_COLORS[state] ?? STATE_COLORS.gone}"></i>`;
}

/** The entry's facts in words: id, state, timings, why (or what happened after a done client's update counted). */
export function tooltip(client: ClientStateEntry): string {
  const parts = [
    `${client.name}${client.id === null ? '' : ` (client ${client.id})`}: ${client.state}${client.rejoined ? ', rejoined since the previous round' : ''}`,
  ];
  if (client.trainMs !== undefined) parts.push(`trained ${Math.round(client.trainMs)} ms`);
  if (client.roundTripMs !== undefined) parts.push(`round trip ${Math.round(client.roundTripMs)} ms`);
  if (client.lastSeenMsAgo !== undefined) parts.push(`last heard ${Math.round(client.lastSeenMsAgo)} ms before the round ended`);
  if (client.reason) parts.push(client.reason);
  if (client.note) parts.push(client.note);
  return parts.join(' · ');
}
