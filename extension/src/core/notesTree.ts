// The Cairn notes view (Explorer): notes grouped by kind or by anchored file, what needs a person (stale,
// expired, invalid) first, with badges and counts. Pure: shapes the `cairn/notes` answer into groups and
// labels; ../notesView.ts turns them into tree items.

export interface AnchorEntry {
  /** Where the code is now (falls back to the recorded place when it is gone). */
  path: string;
  lines: [number, number];
  uri: string;
  recorded: { path: string; lines: [number, number] };
  status: string;
}

export interface NoteEntry {
  id: string;
  path: string;
  uri: string;
  title: string;
  kind: string;
  /** fresh | stale | expired */
  state: string;
  badge: string;
  anchors: AnchorEntry[];
}

export interface InvalidEntry {
  path: string;
  uri: string;
  line: number;
  message: string;
}

export interface NotesList {
  notes: NoteEntry[];
  invalid: InvalidEntry[];
}

export type GroupBy = 'kind' | 'file';

export interface Group {
  key: string;
  label: string;
  notes: NoteEntry[];
  stale: number;
  expired: number;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isLines = (x: unknown): x is [number, number] => Array.isArray(x) && x.length === 2 && x.every((n) => Number.isInteger(n));

function asAnchor(x: unknown): AnchorEntry | undefined {
  if (!isObj(x) || typeof x.path !== 'string' || !isLines(x.lines) || typeof x.uri !== 'string') {
    return undefined;
  }
  const rec = isObj(x.recorded) && typeof x.recorded.path === 'string' && isLines(x.recorded.lines)
    ? { path: x.recorded.path, lines: x.recorded.lines }
    : { path: x.path, lines: x.lines };
  return { path: x.path, lines: x.lines, uri: x.uri, recorded: rec, status: typeof x.status === 'string' ? x.status : '' };
}

/** Validate the server's answer; drop entries that do not have the expected shape. */
export function asNotesList(x: unknown): NotesList | undefined {
  if (!isObj(x) || !Array.isArray(x.notes)) {
    return undefined;
  }
  const notes: NoteEntry[] = [];
  for (const n of x.notes) {
    if (!isObj(n) || typeof n.id !== 'string' || typeof n.uri !== 'string' || typeof n.title !== 'string') {
      continue;
    }
    notes.push({
      id: n.id,
      path: typeof n.path === 'string' ? n.path : n.id,
      uri: n.uri,
      title: n.title,
      kind: typeof n.kind === 'string' ? n.kind : 'note',
      state: typeof n.state === 'string' ? n.state : 'fresh',
      badge: typeof n.badge === 'string' ? n.badge : '',
      anchors: Array.isArray(n.anchors) ? n.anchors.map(asAnchor).filter((a): a is AnchorEntry => !!a) : [],
    });
  }
  const invalid: InvalidEntry[] = [];
  for (const e of Array.isArray(x.invalid) ? x.invalid : []) {
    if (isObj(e) && typeof e.path === 'string' && typeof e.uri === 'string' && typeof e.message === 'string') {
      invalid.push({ path: e.path, uri: e.uri, line: Number.isInteger(e.line) ? (e.line as number) : 1, message: e.message });
    }
  }
  return { notes, invalid };
}

const ATTENTION: Record<string, number> = { stale: 0, expired: 1 };

function byAttention(a: NoteEntry, b: NoteEntry): number {
  return (ATTENTION[a.state] ?? 2) - (ATTENTION[b.state] ?? 2) || a.title.localeCompare(b.title) || a.id.localeCompare(b.id);
}

export const UNANCHORED = 'Not anchored';

/** Groups by kind or by anchored file; groups with stale/expired notes first, then by name. */
export function groupNotes(list: NotesList, by: GroupBy): Group[] {
  const groups = new Map<string, NoteEntry[]>();
  const add = (key: string, note: NoteEntry): void => {
    const g = groups.get(key) ?? [];
    if (!g.includes(note)) {
      g.push(note);
    }
    groups.set(key, g);
  };
  for (const note of list.notes) {
    if (by === 'kind') {
      add(note.kind, note);
    } else if (note.anchors.length === 0) {
      add(UNANCHORED, note);
    } else {
      for (const a of note.anchors) {
        add(a.path, note);
      }
    }
  }
  const out = [...groups.entries()].map(([key, notes]) => ({
    key,
    label: key,
    notes: [...notes].sort(byAttention),
    stale: notes.filter((n) => n.state === 'stale').length,
    expired: notes.filter((n) => n.state === 'expired').length,
  }));
  const attention = (g: Group): number => (g.stale > 0 ? 0 : g.expired > 0 ? 1 : 2);
  return out.sort((a, b) => attention(a) - attention(b) || (a.key === UNANCHORED ? 1 : 0) - (b.key === UNANCHORED ? 1 : 0) || a.label.localeCompare(b.label));
}

/** "3 · 1 stale · 1 expired" */
export function groupDescription(g: Group): string {
  const parts = [String(g.notes.length)];
  if (g.stale) {
    parts.push(`${g.stale} stale`);
  }
  if (g.expired) {
    parts.push(`${g.expired} expired`);
  }
  return parts.join(' · ');
}

/** The badge shown beside a note: nothing for a fresh note, else `stale since 3f2c1ab` / `expired`. */
export function noteDescription(n: NoteEntry): string {
  return n.state === 'fresh' ? '' : n.badge || n.state;
}

/** `src/app.py:15-16`, with the recorded place second when the code moved: `(recorded 13-14)`. */
export function anchorLabel(a: AnchorEntry): string {
  const now = `${a.path}:${a.lines[0]}-${a.lines[1]}`;
  const moved = a.recorded.path !== a.path || a.recorded.lines[0] !== a.lines[0] || a.recorded.lines[1] !== a.lines[1];
  if (!moved) {
    return now;
  }
  const rec = a.recorded.path === a.path ? `${a.recorded.lines[0]}-${a.recorded.lines[1]}` : `${a.recorded.path}:${a.recorded.lines[0]}-${a.recorded.lines[1]}`;
  return `${now} (recorded ${rec})`;
}

/** The number on the view's badge: notes that need a person. */
export function attentionCount(list: NotesList): { value: number; tooltip: string } {
  const stale = list.notes.filter((n) => n.state === 'stale').length;
  const expired = list.notes.filter((n) => n.state === 'expired').length;
  const parts = [`${stale} stale`, `${expired} expired`, `${list.invalid.length} invalid`];
  return { value: stale + expired + list.invalid.length, tooltip: `Cairn: ${parts.join(', ')}` };
}
