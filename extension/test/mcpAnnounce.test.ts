import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mcpDefinitionsChanged } from '../src/core/mcpAnnounce';

describe('MCP definitions re-announced', () => {
  it('when the bundled server starts running after none was found', () => {
    assert.equal(mcpDefinitionsChanged({ serverSource: undefined, trusted: true }, { serverSource: 'bundled', trusted: true }), true);
  });
  it('when the server now runs from another place', () => {
    assert.equal(mcpDefinitionsChanged({ serverSource: 'bundled', trusted: true }, { serverSource: 'venv', trusted: true }), true);
  });
  it('when workspace trust is granted', () => {
    assert.equal(mcpDefinitionsChanged({ serverSource: 'bundled', trusted: false }, { serverSource: 'bundled', trusted: true }), true);
  });
  it('not when the same server restarts or merely stops', () => {
    assert.equal(mcpDefinitionsChanged({ serverSource: 'venv', trusted: true }, { serverSource: 'venv', trusted: true }), false);
    assert.equal(mcpDefinitionsChanged({ serverSource: 'venv', trusted: true }, { serverSource: undefined, trusted: true }), false);
  });
});
