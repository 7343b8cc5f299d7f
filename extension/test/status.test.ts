import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asStatus } from '../src/core/protocol';
import { statusBarView } from '../src/core/status';

describe('status bar text', () => {
  it('shows notes and stale counts, and opens the stale notes on click', () => {
    const v = statusBarView('running', { notes: 12, stale: 2, expired: 1, invalid: 0 });
    assert.equal(v.text, '$(note) 12 · $(warning) 2 stale');
    assert.equal(v.command, 'cairn.showStale');
    assert.equal(v.warning, true);
    assert.match(v.tooltip, /12 notes, 2 stale, 1 expired, 0 invalid/);
  });
  it('shows only the count when nothing is stale', () => {
    const v = statusBarView('running', { notes: 1, stale: 0, expired: 0, invalid: 0 });
    assert.equal(v.text, '$(note) 1');
    assert.equal(v.warning, false);
    assert.match(v.tooltip, /1 note,/);
  });
  it('shows invalid notes', () => {
    assert.equal(statusBarView('running', { notes: 3, stale: 0, expired: 0, invalid: 1 }).text, '$(note) 3 · $(error) 1 invalid');
  });
  it('shows starting, failed and stopped states', () => {
    assert.match(statusBarView('starting', undefined).text, /sync~spin/);
    assert.match(statusBarView('running', undefined).text, /sync~spin/);
    const failed = statusBarView('failed', undefined);
    assert.equal(failed.command, 'cairn.showServerLog');
    assert.equal(failed.warning, true);
    assert.equal(statusBarView('stopped', undefined).command, 'cairn.restartServer');
  });
  it('reads status payloads tolerantly', () => {
    assert.deepEqual(asStatus({ notes: 4, stale: 1 }), { notes: 4, stale: 1, expired: 0, invalid: 0 });
    assert.equal(asStatus({ stale: 1 }), undefined);
    assert.equal(asStatus(null), undefined);
  });
});
