import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anchorLabel, asNotesList, attentionCount, groupDescription, groupNotes, noteDescription, UNANCHORED } from '../src/core/notesTree';

const anchor = (path: string, lines: [number, number], recorded?: [number, number]) => ({
  path,
  lines,
  uri: `file:///r/${path}`,
  recorded: { path, lines: recorded ?? lines },
  status: recorded ? 'moved' : 'intact',
});

const raw = {
  notes: [
    { id: 'decisions/a', path: 'agent-context/decisions/a.md', uri: 'file:///r/a.md', title: 'Alpha', kind: 'decision', state: 'fresh', badge: 'fresh', anchors: [anchor('src/x.py', [1, 2])] },
    { id: 'gotchas/b', path: 'agent-context/gotchas/b.md', uri: 'file:///r/b.md', title: 'Beta', kind: 'gotcha', state: 'stale', badge: 'stale since 3f2c1ab', anchors: [anchor('src/x.py', [5, 9]), anchor('src/y.py', [1, 1])] },
    { id: 'decisions/c', path: 'agent-context/decisions/c.md', uri: 'file:///r/c.md', title: 'Gamma', kind: 'decision', state: 'expired', badge: 'expired', anchors: [] },
    { id: 'broken', title: 7 },
  ],
  invalid: [{ path: 'agent-context/bad.md', uri: 'file:///r/bad.md', line: 3, message: 'title must be a string' }],
};

describe('notes view', () => {
  const list = asNotesList(raw)!;
  it('keeps well-formed notes and invalid entries, drops the rest', () => {
    assert.deepEqual(list.notes.map((n) => n.id), ['decisions/a', 'gotchas/b', 'decisions/c']);
    assert.equal(list.invalid.length, 1);
    assert.equal(asNotesList({ hits: [] }), undefined);
  });
  it('groups by kind with stale and expired first, inside and across groups', () => {
    const groups = groupNotes(list, 'kind');
    assert.deepEqual(groups.map((g) => g.key), ['gotcha', 'decision']);
    assert.deepEqual(groups[1].notes.map((n) => n.title), ['Gamma', 'Alpha']);
    assert.equal(groupDescription(groups[1]), '2 · 1 expired');
    assert.equal(groupDescription(groups[0]), '1 · 1 stale');
  });
  it('groups by file: a note under each file it is anchored to, unanchored notes last', () => {
    const groups = groupNotes(list, 'file');
    assert.deepEqual(groups.map((g) => g.key), ['src/x.py', 'src/y.py', UNANCHORED]);
    assert.deepEqual(groups[0].notes.map((n) => n.title), ['Beta', 'Alpha']);
  });
  it('labels: badges only when a note needs a person; anchors say where the code is now first', () => {
    assert.equal(noteDescription(list.notes[0]), '');
    assert.equal(noteDescription(list.notes[1]), 'stale since 3f2c1ab');
    assert.equal(anchorLabel(anchor('src/x.py', [15, 16], [13, 14])), 'src/x.py:15-16 (recorded 13-14)');
    assert.equal(anchorLabel(anchor('src/x.py', [1, 2])), 'src/x.py:1-2');
    assert.deepEqual(attentionCount(list), { value: 3, tooltip: 'Cairn: 1 stale, 1 expired, 1 invalid' });
  });
});
