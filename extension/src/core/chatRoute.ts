// What `@cairn` does with a request: `/recall [words]`, `/search <words>`, `/stale`, or plain text.

export type ChatRoute =
  | { kind: 'recall'; query?: string; path?: string; line?: number }
  | { kind: 'search'; query: string }
  | { kind: 'stale' }
  | { kind: 'help'; message: string };

export const CHAT_HELP =
  'Ask **@cairn** about the notes this repository keeps for its agents:\n\n' +
  '- `/recall` — the notes that matter for the file and line you are in (add words to rank by topic)\n' +
  '- `/search <words>` — full-text search over the notes\n' +
  '- `/stale` — notes whose anchored code changed since they were written\n';

/** `src/a.py:42` or `src/a.py` at the start of a prompt (a file the user names explicitly). */
const FILE_REF = /^((?:[\w.@-]+[\\/])*[\w.@-]+\.[\w]+)(?::(\d+))?(?:\s+|$)/;

export function routeChatRequest(command: string | undefined, prompt: string, hasActiveFile: boolean): ChatRoute {
  const text = prompt.trim();
  switch (command) {
    case 'recall': {
      const m = FILE_REF.exec(text);
      if (m) {
        const rest = text.slice(m[0].length).trim();
        return { kind: 'recall', path: m[1], line: m[2] ? Number(m[2]) : undefined, query: rest || undefined };
      }
      if (!hasActiveFile) {
        return { kind: 'help', message: 'Open a file (or name one: `/recall src/app.py:42`) and ask `/recall` again.' };
      }
      return { kind: 'recall', query: text || undefined };
    }
    case 'search':
      return text ? { kind: 'search', query: text } : { kind: 'help', message: 'Usage: `/search <words>`, e.g. `/search session expiry`.' };
    case 'stale':
      return { kind: 'stale' };
    case undefined:
    case '':
      if (!text) {
        return hasActiveFile ? { kind: 'recall' } : { kind: 'help', message: CHAT_HELP };
      }
      if (/^(help|\?)$/i.test(text)) {
        return { kind: 'help', message: CHAT_HELP };
      }
      return hasActiveFile ? { kind: 'recall', query: text } : { kind: 'search', query: text };
    default:
      return { kind: 'help', message: `Unknown command \`/${command}\`.\n\n${CHAT_HELP}` };
  }
}

export interface RecallToolInput {
  path: string;
  line?: number;
  query?: string;
}

/** Validate the `cairn_recall` tool input a model sent; returns an error message when it is unusable. */
export function parseRecallToolInput(input: unknown): RecallToolInput | string {
  if (input === null || typeof input !== 'object') {
    return 'cairn_recall expects an object {path, line?, query?}.';
  }
  const v = input as Record<string, unknown>;
  if (typeof v.path !== 'string' || v.path.trim() === '') {
    return 'cairn_recall needs "path": the file to recall notes for.';
  }
  let path = v.path.trim();
  let line: number | undefined;
  const m = /^(.*?):(\d+)$/.exec(path);
  if (m && !/^[a-zA-Z]$/.test(m[1])) {
    path = m[1];
    line = Number(m[2]);
  }
  if (typeof v.line === 'number' && Number.isFinite(v.line)) {
    line = Math.trunc(v.line);
  } else if (typeof v.line === 'string' && /^\d+$/.test(v.line)) {
    line = Number(v.line);
  }
  if (line !== undefined && line < 1) {
    line = 1;
  }
  const query = typeof v.query === 'string' && v.query.trim() ? v.query.trim() : undefined;
  return { path, line, query };
}
