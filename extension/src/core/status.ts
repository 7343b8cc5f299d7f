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

export function statusBarView(state: ServerState, status: Status | undefined): StatusBarView {
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
