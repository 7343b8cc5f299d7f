import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRecallToolInput, routeChatRequest } from '../src/core/chatRoute';

describe('@cairn command routing', () => {
  it('/recall uses the current file, with the rest of the prompt as the query', () => {
    assert.deepEqual(routeChatRequest('recall', '', true), { kind: 'recall', query: undefined });
    assert.deepEqual(routeChatRequest('recall', '  session expiry ', true), { kind: 'recall', query: 'session expiry' });
  });
  it('/recall accepts an explicit file:line', () => {
    assert.deepEqual(routeChatRequest('recall', 'src/auth/session.py:42 why jwt', false), {
      kind: 'recall',
      path: 'src/auth/session.py',
      line: 42,
      query: 'why jwt',
    });
    assert.deepEqual(routeChatRequest('recall', 'app.py', false), { kind: 'recall', path: 'app.py', line: undefined, query: undefined });
  });
  it('/recall without a file explains what to do', () => {
    assert.equal(routeChatRequest('recall', 'why', false).kind, 'help');
  });
  it('/search needs words', () => {
    assert.deepEqual(routeChatRequest('search', 'token refresh', true), { kind: 'search', query: 'token refresh' });
    const r = routeChatRequest('search', '  ', true);
    assert.equal(r.kind, 'help');
    assert.match(r.kind === 'help' ? r.message : '', /Usage/);
  });
  it('/stale', () => {
    assert.deepEqual(routeChatRequest('stale', 'anything', false), { kind: 'stale' });
  });
  it('plain text: recall with a query when a file is open, else search', () => {
    assert.deepEqual(routeChatRequest(undefined, 'why jwt?', true), { kind: 'recall', query: 'why jwt?' });
    assert.deepEqual(routeChatRequest(undefined, 'why jwt?', false), { kind: 'search', query: 'why jwt?' });
    assert.deepEqual(routeChatRequest(undefined, '', true), { kind: 'recall' });
    assert.equal(routeChatRequest(undefined, '', false).kind, 'help');
    assert.equal(routeChatRequest(undefined, 'help', true).kind, 'help');
  });
  it('unknown commands get help', () => {
    const r = routeChatRequest('frobnicate', 'x', true);
    assert.equal(r.kind, 'help');
    assert.match(r.kind === 'help' ? r.message : '', /Unknown command `\/frobnicate`/);
  });
});

describe('cairn_recall tool input', () => {
  it('accepts {path, line, query}', () => {
    assert.deepEqual(parseRecallToolInput({ path: 'src/a.py', line: 3, query: ' cache ' }), { path: 'src/a.py', line: 3, query: 'cache' });
  });
  it('reads path:line and string lines, clamps to 1', () => {
    assert.deepEqual(parseRecallToolInput({ path: 'src/a.py:17' }), { path: 'src/a.py', line: 17, query: undefined });
    assert.deepEqual(parseRecallToolInput({ path: 'a.py', line: '9' }), { path: 'a.py', line: 9, query: undefined });
    assert.deepEqual(parseRecallToolInput({ path: 'a.py', line: 0 }), { path: 'a.py', line: 1, query: undefined });
  });
  it('keeps Windows drive letters', () => {
    assert.deepEqual(parseRecallToolInput({ path: 'C:\\x\\a.py' }), { path: 'C:\\x\\a.py', line: undefined, query: undefined });
  });
  it('rejects unusable input with a message for the model', () => {
    assert.equal(typeof parseRecallToolInput(undefined), 'string');
    const err = parseRecallToolInput({ line: 3 });
    assert.equal(typeof err, 'string');
    assert.match(err as string, /needs "path"/);
  });
});
