import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kindItems, titlePlaceholder } from '../src/core/kinds';

describe('kinds of note (the server says which exist)', () => {
  it('offers exactly the configured kinds, in the server order', () => {
    const items = kindItems(['gotcha', 'decision', 'runbook']);
    assert.deepEqual(items.map((i) => i.noteKind), ['gotcha', 'decision', 'runbook']);
    assert.equal(items[0].label, '$(warning) gotcha');
    assert.equal(items[2].label, '$(note) runbook');
    assert.match(items[2].description, /config\.toml/);
  });
  it('drops what is not a kind name, and repeats', () => {
    assert.deepEqual(kindItems(['pattern', '', 3, null, 'pattern']).map((i) => i.noteKind), ['pattern']);
    assert.deepEqual(kindItems([]), []);
  });
  it('suggests a title by kind', () => {
    assert.match(titlePlaceholder('gotcha'), /constant time/);
    assert.match(titlePlaceholder('runbook'), /^e\.g\./);
  });
});
