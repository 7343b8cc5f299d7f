// Text of the status bar item.
import type { Status } from './protocol';

export type ServerState = 'stopped' | 'starting' | 'running' | 'failed';

export interface StatusBarView {
  text: string;
  tooltip: string;
  /** The command the item runs when clicked. */
  command: 'cairn.showStale' | 'cairn.showServerLog' | 'cairn.restartServer';
  /** Draw it with the warning background. */
  warning: boolean;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Which server runs: where it was found (setting, venv, path, bundled…) and the version it reported. */
export interface ServerIdentity {
  source: string;
  version?: string;
}

const SOURCE_LABELS: Record<string, string> = {
  setting: 'the cairn.server.command setting',
  venv: "the workspace's .venv",
  path: 'PATH',
  'python-setting': 'cairn.server.python',
  'python-extension': "the Python extension's interpreter",
  bundled: 'bundled with the extension',
};

/** "Server: Cairn 0.1.0 (bundled with the extension)" for the status item's tooltip. */
export function serverLine(server: ServerIdentity | undefined): string {
  if (!server) {
    return '';
  }
  return `Server: Cairn ${server.version ?? '(version unknown)'} (${SOURCE_LABELS[server.source] ?? server.source}).`;
}

export function statusBarView(state: ServerState, status: Status | undefined, server?: ServerIdentity): StatusBarView {
  const view = statusBarViewOf(state, status);
  const line = state === 'running' ? serverLine(server) : '';
  return line ? { ...view, tooltip: `${view.tooltip}\n${line}` } : view;
}

function statusBarViewOf(state: ServerState, status: Status | undefined): StatusBarView {
  if (state === 'failed') {
    return {
      text: '$(note) Cairn $(error)',
      tooltip: 'The Cairn server is not running. Click to see its log; "Cairn: Restart Server" tries again.',
      command: 'cairn.showServerLog',
      warning: true,
    };
  }
  if (state === 'stopped') {
    return { text: '$(note) Cairn', tooltip: 'The Cairn server is stopped. Click to start it.', command: 'cairn.restartServer', warning: false };
  }
  if (state === 'starting' || !status) {
    return { text: '$(sync~spin) Cairn', tooltip: 'Cairn: starting the server…', command: 'cairn.showServerLog', warning: false };
  }
  let text = `$(note) ${status.notes}`;
  if (status.stale > 0) {
    text += ` · $(warning) ${status.stale} stale`;
  }
  if (status.invalid > 0) {
    text += ` · $(error) ${status.invalid} invalid`;
  }
  const parts = [plural(status.notes, 'note'), `${status.stale} stale`, `${status.expired} expired`, `${status.invalid} invalid`];
  const tooltip = `Cairn: ${parts.join(', ')}.${status.stale + status.expired + status.invalid > 0 ? ' Click to review them.' : ''}`;
  return { text, tooltip, command: 'cairn.showStale', warning: status.stale > 0 || status.invalid > 0 };
}
