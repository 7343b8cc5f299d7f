// Display glue around what the server sends: recall packs arrive rendered (`cairn/recall` returns the
// markdown, at the heading level asked for), so only their one-line summary is made here; search hits and
// stale notes become short lists. Titles and snippets are untrusted: inline markdown is escaped, and the
// renderers are told not to trust command links.
import type { Pack, SearchHit, StaleAnchor, StaleNote } from './protocol';

const BADGE: Record<string, string> = { fresh: '✓ fresh', stale: '⚠ stale', expired: '⌛ expired', invalid: '✗ invalid' };

export function stateBadge(state: string): string {
  return BADGE[state] ?? state;
}

function escapeInline(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`);
}

function shortSha(sha: string | null | undefined): string | undefined {
  return sha ? sha.slice(0, 7) : undefined;
}

export function packSummary(pack: Pack): string {
  const n = pack.notes.length;
  const parts = [`${n} ${n === 1 ? 'note' : 'notes'}`];
  if (typeof pack.tokens === 'number') {
    parts.push(typeof pack.budget === 'number' ? `${pack.tokens} / ${pack.budget} tokens` : `${pack.tokens} tokens`);
  }
  if (pack.truncated) {
    parts.push('cut to the budget');
  }
  const head = shortSha(pack.head);
  if (head) {
    parts.push(`HEAD ${head}`);
  }
  return parts.join(' · ');
}

/** What the preview adds under an empty pack: how to write the first note. */
export function emptyPackHint(pack: Pack): string {
  return pack.notes.length === 0 ? '\nSelect code and run **Cairn: New Note from Selection** to write one.\n' : '';
}

export function formatSearchHits(query: string, hits: SearchHit[]): string {
  if (hits.length === 0) {
    return `No notes match *${escapeInline(query)}*.`;
  }
  const lines = [`${hits.length} ${hits.length === 1 ? 'note matches' : 'notes match'} *${escapeInline(query)}*:`, ''];
  for (const hit of hits) {
    const snippet = hit.snippet ? ` — ${escapeInline(hit.snippet.replace(/\s+/g, ' ').trim())}` : '';
    lines.push(`- **${escapeInline(hit.title || hit.id)}** (${hit.kind || 'note'}, ${stateBadge(hit.state)}) \`${hit.path}\`${snippet}`);
  }
  return lines.join('\n') + '\n';
}

export function formatStale(notes: StaleNote[]): string {
  if (notes.length === 0) {
    return 'No stale notes: every anchored note still matches its code. ✓';
  }
  const lines = [`${notes.length} stale ${notes.length === 1 ? 'note' : 'notes'}:`, ''];
  for (const note of notes) {
    lines.push(`- **${escapeInline(note.title || note.id)}** \`${note.path}\``);
    for (const a of note.anchors ?? []) {
      const range = stalePlace(a);
      const detail = a.message ? escapeInline(a.message) : a.changed_in ? `changed in ${shortSha(a.changed_in)}` : 'changed';
      lines.push(`  - \`${range}\` — ${detail}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Where a stale anchor's code is now (the code that replaced it), else where it was recorded. */
export function stalePlace(a: StaleAnchor): string {
  const at = a.current ?? a;
  return Array.isArray(at.lines) && at.lines.length >= 2 ? `${at.path}:${at.lines[0]}-${at.lines[1]}` : at.path;
}

/** One line describing a stale note for a quick pick. */
export function staleDetail(note: StaleNote): string {
  return (note.anchors ?? [])
    .map((a) => {
      const range = stalePlace(a);
      return a.message ? `${range}: ${a.message}` : a.changed_in ? `${range}: changed in ${shortSha(a.changed_in)}` : range;
    })
    .join(' · ');
}

/** Title of the recall preview tab. */
export function recallTitle(file: string | null | undefined): string {
  const base = (file ?? 'workspace').split(/[\\/]/).pop() || 'workspace';
  return `Recall ${base}`;
}
