import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  interpreterCandidates,
  isSupported,
  noInterpreterMessage,
  parsePythonVersion,
  pickInterpreter,
  planInstall,
  versionMismatch,
} from '../src/core/bundle';
import { statusBarView } from '../src/core/status';

describe('bundled server: interpreter choice', () => {
  it('reads versions and accepts 3.11 and newer only', () => {
    assert.equal(parsePythonVersion('3.12\n'), '3.12');
    assert.equal(parsePythonVersion('Python 3.11.2'), '3.11');
    assert.equal(parsePythonVersion('garbage'), undefined);
    assert.equal(isSupported('3.10'), false);
    assert.equal(isSupported('3.11'), true);
    assert.equal(isSupported('3.14'), true);
    assert.equal(isSupported('4.0'), true);
    assert.equal(isSupported(undefined), false);
  });
  it('tries the setting, then the Python extension, then PATH names, without duplicates', () => {
    const c = interpreterCandidates(' /opt/py/bin/python3 ', '/opt/py/bin/python3');
    assert.deepEqual(
      c.map((x) => x.path),
      ['/opt/py/bin/python3', 'python3.13', 'python3.12', 'python3.11', 'python3', 'python'],
    );
    assert.equal(c[0].label, 'cairn.server.python');
  });
  it('prefers an interpreter the wheelhouse covers, else the first supported one', () => {
    const found = [
      { path: 'a', label: 'x', version: '3.10' },
      { path: 'b', label: 'x', version: '3.14' },
      { path: 'c', label: 'x', version: '3.12' },
      { path: 'd', label: 'x', version: undefined },
    ];
    assert.equal(pickInterpreter(found, true)?.path, 'c');
    assert.equal(pickInterpreter(found, false)?.path, 'b');
    assert.equal(pickInterpreter([found[0], found[3]], true), undefined);
    assert.match(noInterpreterMessage([found[0], found[3]]), /^Cairn needs Python 3\.11 or newer .*a \(3\.10\), d \(not found\)\./);
  });
});

describe('bundled server: install plan', () => {
  const files = { wheel: '/ext/bundled/cairn_context-0.1.0-py3-none-any.whl', wheelhouse: '/ext/bundled/wheelhouse' };
  it('installs offline from the wheelhouse into a temporary folder renamed into place', () => {
    const plan = planInstall({ path: '/usr/bin/python3', label: 'PATH', version: '3.11' }, files, '/store/', '0.1.0', 'linux', 'ab12');
    assert.ok(plan);
    assert.equal(plan.envDir, '/store/server/0.1.0');
    assert.equal(plan.buildDir, '/store/server/.building-0.1.0-ab12');
    assert.equal(plan.offline, true);
    assert.deepEqual(plan.steps[0], ['/usr/bin/python3', '-m', 'venv', '/store/server/.building-0.1.0-ab12']);
    assert.deepEqual(plan.steps[1].slice(0, 1), ['/store/server/.building-0.1.0-ab12/bin/python']);
    assert.ok(plan.steps[1].includes('--no-index'));
    assert.deepEqual(plan.steps[1].slice(-3), ['--find-links', '/ext/bundled/wheelhouse', files.wheel]);
    assert.deepEqual(plan.steps[2], ['/store/server/.building-0.1.0-ab12/bin/python', '-m', 'cairn', '--version']);
  });
  it('uses the package index for a Python the wheelhouse lacks, or without a wheelhouse', () => {
    const newer = planInstall({ path: 'python3', label: 'PATH', version: '3.14' }, files, '/s', '0.1.0', 'linux', 'n');
    assert.equal(newer?.offline, false);
    assert.ok(!newer?.steps[1].includes('--no-index'));
    const universal = planInstall({ path: 'python3', label: 'PATH', version: '3.11' }, { wheel: files.wheel }, '/s', '0.1.0', 'linux', 'n');
    assert.equal(universal?.offline, false);
    assert.equal(universal?.steps[1].at(-1), files.wheel);
  });
  it('has nothing to install without a shipped wheel', () => {
    assert.equal(planInstall({ path: 'python3', label: 'PATH', version: '3.11' }, {}, '/s', '0.1.0', 'linux', 'n'), undefined);
  });
});

describe('which server runs', () => {
  it('names the source and version in the status tooltip once running', () => {
    const status = { notes: 2, stale: 0, expired: 0, invalid: 0 };
    const v = statusBarView('running', status, { source: 'bundled', version: '0.1.0' });
    assert.match(v.tooltip, /\nServer: Cairn 0\.1\.0 \(bundled with the extension\)\.$/);
    assert.doesNotMatch(statusBarView('starting', undefined, { source: 'path' }).tooltip, /Server:/);
  });
  it('reports a version mismatch in one line, nothing when they agree', () => {
    assert.equal(versionMismatch('0.1.0', '0.1.0', 'path'), undefined);
    assert.equal(versionMismatch('0.1.0', undefined, 'path'), undefined);
    const line = versionMismatch('0.2.0', '0.1.0', 'path');
    assert.ok(line && !line.includes('\n'));
    assert.match(line, /version 0\.1\.0, this extension is 0\.2\.0/);
  });
});
