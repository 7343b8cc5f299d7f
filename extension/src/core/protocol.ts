// Payloads of the Cairn language server's custom requests (docs/ARCHITECTURE.md,
// "Language-server protocol used by the extension"). Positions are LSP 0-based; `lines` are 1-based inclusive.

export type NoteState = 'fresh' | 'stale' | 'expired' | 'invalid';

export interface Position {
  line: number;
  character: number;
}

export interface RecallParams {
  uri: string;
  position?: Position;
  query?: string;
  budget?: number;
  /** level of the pack's title in `markdown` (1-4, default 1); the server renders, the extension shows */
  headingLevel?: number;
}

export interface PackNote {
  id: string;
  path: string;
  uri: string;
  title: string;
  kind: string;
  /** a NoteState; kept open for states a newer server adds */
  state: string;
  freshness: string;
  anchors: string[];
  body: string;
  score?: number;
  /** "provenance: last commit by … · agent-written …, not reviewed by a person · only on this branch …" */
  provenance?: string;
}

export interface Pack {
  repository?: string;
  head?: string | null;
  file?: string | null;
  line?: number | null;
  budget?: number;
  tokens?: number;
  truncated?: boolean;
  notes: PackNote[];
}

export interface RecallResult {
  markdown: string;
  pack: Pack;
}

export interface SearchParams {
  query: string;
  limit?: number;
}

export interface SearchHit {
  id: string;
  path: string;
  uri: string;
  title: string;
  kind: string;
  /** a NoteState; kept open for states a newer server adds */
  state: string;
  score?: number;
  snippet?: string;
}

export interface SearchResult {
  hits: SearchHit[];
}

export interface Status {
  notes: number;
  stale: number;
  expired: number;
  invalid: number;
}

export interface StaleAnchor {
  path: string;
  lines: [number, number] | number[];
  message?: string;
  changed_in?: string | null;
  merged_in?: string | null;
  /** Where the code that replaced a changed anchor is now (null when deleted). */
  current?: { path: string; lines: [number, number] | number[] } | null;
}

export interface StaleNote {
  id: string;
  path: string;
  uri: string;
  title: string;
  anchors: StaleAnchor[];
}

export interface StaleResult {
  notes: StaleNote[];
}

export interface NewNoteArgs {
  uri: string;
  range: { start: Position; end: Position };
  kind: string;
  title: string;
  body?: string;
  tags?: string[];
}

export interface NoteRef {
  id: string;
  path: string;
  uri: string;
}

export const Requests = {
  recall: 'cairn/recall',
  search: 'cairn/search',
  status: 'cairn/status',
  stale: 'cairn/stale',
  kinds: 'cairn/kinds',
  notes: 'cairn/notes',
} as const;

export interface KindsParams {
  /** a document of the workspace whose config.toml counts; every workspace when absent */
  uri?: string;
}

export interface KindsResult {
  kinds: string[];
}

export const Notifications = {
  statusChanged: 'cairn/statusChanged',
} as const;

/** Commands the server executes (`workspace/executeCommand`). */
export const ServerCommands = {
  newNote: 'cairn.newNote',
  reanchor: 'cairn.reanchor',
  markReviewed: 'cairn.markReviewed',
  draftUpdate: 'cairn.draftUpdate',
  openNote: 'cairn.openNote',
} as const;

/** Tolerant reading of a status payload (numbers may be missing from an older server). */
export function asStatus(value: unknown): Status | undefined {
  if (value === null || typeof value !== 'object') {
    return undefined;
  }
  const v = value as Record<string, unknown>;
  const num = (k: string): number => {
    const x = v[k];
    return typeof x === 'number' && Number.isFinite(x) ? x : 0;
  };
  if (typeof v.notes !== 'number') {
    return undefined;
  }
  return { notes: num('notes'), stale: num('stale'), expired: num('expired'), invalid: num('invalid') };
}
