import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyPackHint, formatSearchHits, formatStale, packSummary, recallTitle, staleDetail } from '../src/core/pack';
import type { Pack } from '../src/core/protocol';

const pack: Pack = {
  repository: '/ws',
  head: '3f2c1ab9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f',
  file: 'src/auth/session.py',
  line: 42,
  budget: 2000,
  tokens: 812,
  truncated: false,
  notes: [
    {
      id: 'decisions/jwt',
      path: 'agent-context/decisions/jwt.md',
      uri: 'file:///ws/agent-context/decisions/jwt.md',
      title: 'Why we chose JWT over server sessions',
      kind: 'decision',
      state: 'fresh',
      freshness: 'reviewed 3 days ago',
      anchors: ['src/auth/session.py:10-42'],
      body: '# Context\nStateless tokens.\n\n```python\n# not a heading\nx = "<b>"\n```\n<script>alert(1)</script>',
      score: 0.9,
      provenance: 'provenance: uncommitted · agent-written (claude-code), not reviewed by a person',
    },
    {
      id: 'gotchas/clock',
      path: 'agent-context/gotchas/clock.md',
      uri: 'file:///ws/agent-context/gotchas/clock.md',
      title: 'Clock skew breaks `exp` checks',
      kind: 'gotcha',
      state: 'stale',
      freshness: 'anchored lines changed in 9a8b7c6',
      anchors: ['src/auth/session.py:50-55'],
      body: 'Allow 30 s of leeway.',
    },
  ],
};

describe('pack display glue (the server renders the pack itself)', () => {
  it('sums a pack up in one line', () => {
    assert.equal(packSummary(pack), '2 notes · 812 / 2000 tokens · HEAD 3f2c1ab');
    assert.equal(packSummary({ ...pack, notes: [], truncated: true }), '0 notes · 812 / 2000 tokens · cut to the budget · HEAD 3f2c1ab');
    assert.equal(packSummary({ notes: [pack.notes[0]] }), '1 note');
  });
  it('says what to do when no note applies, and nothing otherwise', () => {
    assert.match(emptyPackHint({ ...pack, notes: [] }), /New Note from Selection/);
    assert.equal(emptyPackHint(pack), '');
  });
  it('names the preview after the file', () => {
    assert.equal(recallTitle('src/auth/session.py'), 'Recall session.py');
    assert.equal(recallTitle(null), 'Recall workspace');
  });
});

describe('search and stale lists', () => {
  it('formats search hits', () => {
    const md = formatSearchHits('jwt', [
      { id: 'd/j', path: 'agent-context/d/j.md', uri: 'file:///x', title: 'JWT', kind: 'decision', state: 'fresh', snippet: 'why\n <b>tokens</b>' },
    ]);
    assert.ok(md.startsWith('1 note matches *jwt*:'));
    assert.ok(md.includes('- **JWT** (decision, ✓ fresh) `agent-context/d/j.md` — why \\<b\\>tokens\\</b\\>'));
    assert.equal(formatSearchHits('zzz', []), 'No notes match *zzz*.');
  });
  it('formats stale notes with the commit that changed them', () => {
    const note = {
      id: 'g/c',
      path: 'agent-context/gotchas/clock.md',
      uri: 'file:///x',
      title: 'Clock skew',
      anchors: [{ path: 'src/a.py', lines: [10, 12], message: '', changed_in: '9a8b7c6d5e4f' }],
    };
    const md = formatStale([note]);
    assert.ok(md.includes('1 stale note:'));
    assert.ok(md.includes('`src/a.py:10-12` — changed in 9a8b7c6'));
    assert.equal(staleDetail(note), 'src/a.py:10-12: changed in 9a8b7c6');
    assert.match(formatStale([]), /No stale notes/);
  });
  it('shows a stale anchor where its code is now, not where it was recorded', () => {
    const note = {
      id: 'g/c',
      path: 'agent-context/gotchas/clock.md',
      uri: 'file:///x',
      title: 'Clock skew',
      anchors: [{ path: 'src/a.py', lines: [10, 12], current: { path: 'src/a.py', lines: [14, 17] },
        message: 'anchored lines changed in 9a8b7c6 (Fix): now src/a.py:14-17 (recorded 10-12)', changed_in: '9a8b7c6d5e4f', merged_in: null }],
    };
    assert.equal(staleDetail(note), 'src/a.py:14-17: anchored lines changed in 9a8b7c6 (Fix): now src/a.py:14-17 (recorded 10-12)');
    assert.ok(formatStale([note]).includes('`src/a.py:14-17` — anchored lines changed in 9a8b7c6'));
  });
});
