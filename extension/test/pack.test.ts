import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  demoteHeadings,
  formatPack,
  formatSearchHits,
  formatStale,
  neutralizeHtml,
  neutralizeRemote,
  PACK_PREAMBLE,
  recallTitle,
  staleDetail,
} from '../src/core/pack';
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

describe('pack → markdown', () => {
  const md = formatPack(pack, { linkNotes: true });

  it('has a heading with the file and line, and a summary', () => {
    assert.match(md, /^# Cairn recall: src/);
    assert.ok(md.includes('session.py:42'));
    assert.ok(md.includes('*2 notes · 812 / 2000 tokens · HEAD 3f2c1ab*'));
  });
  it('lists every note with a link, kind, badge, freshness and anchors', () => {
    assert.ok(md.includes('## [Why we chose JWT over server sessions](file:///ws/agent-context/decisions/jwt.md)'));
    assert.ok(md.includes('*decision · ✓ reviewed 3 days ago* — `agent-context/decisions/jwt.md`'));
    assert.ok(md.includes('Anchored at `src/auth/session.py:10-42`'));
    assert.ok(md.indexOf('Why we chose JWT') < md.indexOf('Clock skew'), 'keeps the server ranking');
  });
  it('warns about stale notes with the server freshness line, or a warning of its own', () => {
    assert.ok(md.includes('*gotcha · ⚠ anchored lines changed in 9a8b7c6*'));
    const bare = formatPack({ ...pack, notes: [{ ...pack.notes[1], freshness: '' }] });
    assert.ok(bare.includes('*gotcha · ⚠ stale*'));
    assert.match(bare, /> ⚠ The anchored code changed/);
  });
  it('opens with the untrusted-memory line and shows each note\'s provenance', () => {
    assert.ok(md.includes(`\n\n${PACK_PREAMBLE}\n\n`));
    assert.ok(md.includes('*provenance: uncommitted · agent-written (claude-code), not reviewed by a person*'));
    const clock = md.slice(md.indexOf('Clock skew'));
    assert.ok(!clock.includes('provenance:'), 'no line when the server sent none');
  });
  it('escapes markdown in titles', () => {
    assert.ok(md.includes('Clock skew breaks \\`exp\\` checks'));
  });
  it('nests body headings under the note and leaves code alone', () => {
    assert.ok(md.includes('\n### Context\n'));
    assert.ok(md.includes('# not a heading'));
    assert.ok(md.includes('x = "<b>"'), 'code is not escaped');
  });
  it('does not let note bodies inject raw HTML', () => {
    assert.ok(!md.includes('<script>'));
    assert.ok(md.includes('&lt;script>alert(1)&lt;/script>'));
  });
  it('without links, for chat', () => {
    const chat = formatPack(pack, { headingLevel: 3 });
    assert.match(chat, /^### Cairn recall/);
    assert.ok(chat.includes('#### Why we chose JWT over server sessions\n'));
  });
  it('says what to do when no note applies', () => {
    const empty = formatPack({ ...pack, notes: [], truncated: true });
    assert.match(empty, /No notes apply to src\/auth\/session\.py:42/);
    assert.match(empty, /New Note from Selection/);
    assert.match(empty, /0 notes · 812 \/ 2000 tokens · cut to the budget/);
  });
  it('names the preview after the file', () => {
    assert.equal(recallTitle('src/auth/session.py'), 'Recall session.py');
    assert.equal(recallTitle(null), 'Recall workspace');
  });
});

describe('markdown safety helpers', () => {
  it('neutralizeHtml escapes outside code only', () => {
    assert.equal(neutralizeHtml('a <img src=x> `<b>` & b'), 'a &lt;img src=x> `<b>` &amp; b');
    assert.equal(neutralizeHtml('~~~\n<div>\n~~~\n<div>'), '~~~\n<div>\n~~~\n&lt;div>');
    assert.equal(neutralizeHtml('&amp; stays'), '&amp; stays');
  });
  it('demoteHeadings caps at h6', () => {
    assert.equal(demoteHeadings('##### x\n#hashtag', 3), '###### x\n#hashtag');
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

describe('remote images and links in note bodies', () => {
  // The same table the engine's test reads (tests/security/test_preview.py): one rule in both renderers.
  const table = JSON.parse(readFileSync(join(process.cwd(), 'extension/test/fixtures/remote-markdown.json'), 'utf8')) as {
    cases: [string, string][];
  };
  it('neutralizeRemote gives what the engine gives', () => {
    assert.ok(table.cases.length > 10);
    for (const [input, expected] of table.cases) {
      assert.equal(neutralizeRemote(input), expected, input);
    }
  });
  it('the preview of a pack never keeps a remote image or link', () => {
    const body = 'Looks fine ![](https://tracker.example/p.png?who=me)\n[docs](https://evil.example)\n\n```\n![kept in code](https://x.example)\n```';
    const md = formatPack({ ...pack, notes: [{ ...pack.notes[0], body }] });
    assert.ok(md.includes('![] (https://tracker.example/p.png?who=me)'), md);
    assert.ok(md.includes('[docs] (https://evil.example)'), md);
    assert.ok(md.includes('![kept in code](https://x.example)'), md);
    assert.doesNotMatch(md.replace(/```[\s\S]*?```/g, ''), /\]\((https?:|\/\/)/);
  });
});
