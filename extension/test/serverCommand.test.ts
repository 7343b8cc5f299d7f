import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  configuredArgv,
  notFoundMessage,
  resolveServerCommand,
  splitCommandLine,
  toMode,
  type ResolveEnv,
} from '../src/core/serverCommand';

/** An environment where only the listed files are executables and PATH holds `onPath`. */
function env(opts: {
  files?: string[];
  onPath?: Record<string, string>;
  configured?: unknown;
  folders?: string[];
  pythonSetting?: string;
  pythonFromExtension?: string;
  withCairn?: string[];
  platform?: string;
  trusted?: boolean;
}): ResolveEnv & { extensionAsked: () => boolean } {
  const files = new Set(opts.files ?? []);
  let asked = false;
  return {
    configured: opts.configured,
    workspaceFolders: opts.folders ?? ['/ws'],
    platform: opts.platform ?? 'linux',
    pythonSetting: opts.pythonSetting,
    pythonFromExtension: () => {
      asked = true;
      return opts.pythonFromExtension;
    },
    isExecutable: (p) => files.has(p),
    which: (name) => opts.onPath?.[name],
    canImportCairn: (py) => (opts.withCairn ?? []).includes(py),
    extensionAsked: () => asked,
    trusted: opts.trusted,
  };
}

describe('server command resolution order', () => {
  it('uses cairn.server.command (array) first, even when a .venv exists', async () => {
    const res = await resolveServerCommand(
      env({ configured: ['/opt/cairn/bin/cairn', 'serve', '--log', 'debug'], files: ['/opt/cairn/bin/cairn', '/ws/.venv/bin/cairn'] }),
    );
    assert.deepEqual(res.found, { command: '/opt/cairn/bin/cairn', args: ['serve', '--log', 'debug'], source: 'setting' });
  });

  it('accepts cairn.server.command as one string with quotes, resolving a bare name on PATH', async () => {
    const res = await resolveServerCommand(env({ configured: 'cairn serve --notes "my notes"', onPath: { cairn: '/usr/bin/cairn' } }));
    assert.deepEqual(res.found, { command: '/usr/bin/cairn', args: ['serve', '--notes', 'my notes'], source: 'setting' });
  });

  it('reports a configured command that does not exist instead of silently falling back', async () => {
    const res = await resolveServerCommand(env({ configured: ['/nope/cairn', 'serve'], files: ['/ws/.venv/bin/cairn'] }));
    assert.equal(res.found, undefined);
    assert.equal(res.configuredFailed, true);
    assert.match(notFoundMessage(res), /cairn\.server\.command/);
    assert.match(notFoundMessage(res), /pip install cairn-context/);
  });

  it('treats an empty setting as unset', async () => {
    for (const configured of [null, undefined, '', '   ', [], ['']]) {
      const res = await resolveServerCommand(env({ configured, files: ['/ws/.venv/bin/cairn'] }));
      assert.equal(res.found?.source, 'venv', JSON.stringify(configured));
    }
  });

  it("then the workspace's .venv/bin/cairn, run in that folder", async () => {
    const res = await resolveServerCommand(
      env({ folders: ['/a', '/b'], files: ['/b/.venv/bin/cairn'], onPath: { cairn: '/usr/bin/cairn' } }),
    );
    assert.deepEqual(res.found, { command: '/b/.venv/bin/cairn', args: ['serve'], source: 'venv', cwd: '/b' });
    assert.deepEqual(res.tried, ['/a/.venv/bin/cairn (not found)']);
  });

  it('uses .venv\\Scripts\\cairn.exe on Windows', async () => {
    const res = await resolveServerCommand(env({ platform: 'win32', folders: ['C:\\ws'], files: ['C:\\ws\\.venv\\Scripts\\cairn.exe'] }));
    assert.equal(res.found?.command, 'C:\\ws\\.venv\\Scripts\\cairn.exe');
  });

  it('then cairn on PATH', async () => {
    const res = await resolveServerCommand(env({ onPath: { cairn: '/home/u/.local/bin/cairn' } }));
    assert.deepEqual(res.found, { command: '/home/u/.local/bin/cairn', args: ['serve'], source: 'path' });
  });

  it('then python -m cairn serve with cairn.server.python, before the Python extension', async () => {
    const res = await resolveServerCommand(
      env({ pythonSetting: '/py/set/python', pythonFromExtension: '/py/ext/python', files: ['/py/set/python', '/py/ext/python'], withCairn: ['/py/set/python', '/py/ext/python'] }),
    );
    assert.deepEqual(res.found, { command: '/py/set/python', args: ['-m', 'cairn', 'serve'], source: 'python-setting' });
  });

  it("falls to the Python extension's interpreter when the configured one lacks cairn", async () => {
    const e = env({ pythonSetting: '/py/set/python', pythonFromExtension: '/py/ext/python', files: ['/py/set/python', '/py/ext/python'], withCairn: ['/py/ext/python'] });
    const res = await resolveServerCommand(e);
    assert.deepEqual(res.found, { command: '/py/ext/python', args: ['-m', 'cairn', 'serve'], source: 'python-extension' });
    assert.ok(res.tried.some((t) => t.includes('/py/set/python') && t.includes('not installed')));
  });

  it('does not ask the Python extension when an earlier candidate works', async () => {
    const e = env({ files: ['/ws/.venv/bin/cairn'], pythonFromExtension: '/py/ext/python' });
    await resolveServerCommand(e);
    assert.equal(e.extensionAsked(), false);
  });

  it('says everything it tried, in order, when nothing works', async () => {
    const res = await resolveServerCommand(env({ pythonFromExtension: '/usr/bin/python3', files: ['/usr/bin/python3'] }));
    assert.equal(res.found, undefined);
    assert.deepEqual(res.tried, [
      '/ws/.venv/bin/cairn (not found)',
      'cairn on PATH (not found)',
      'python -m cairn with /usr/bin/python3 from the Python extension (cairn is not installed there)',
    ]);
    const msg = notFoundMessage(res);
    assert.match(msg, /could not find the Cairn server/);
    assert.match(msg, /pip install cairn-context/);
  });

  it('resolves the MCP command the same way, with mcp instead of serve', async () => {
    assert.deepEqual((await resolveServerCommand(env({ files: ['/ws/.venv/bin/cairn'] }), 'mcp')).found?.args, ['mcp']);
    assert.deepEqual(
      (await resolveServerCommand(env({ configured: ['/x/cairn', 'serve'], files: ['/x/cairn'] }), 'mcp')).found?.args,
      ['mcp'],
    );
    assert.deepEqual(
      (await resolveServerCommand(env({ pythonSetting: '/p/python', files: ['/p/python'], withCairn: ['/p/python'] }), 'mcp')).found?.args,
      ['-m', 'cairn', 'mcp'],
    );
    // a configured wrapper without "serve" cannot be turned into mcp: fall back to discovery
    const res = await resolveServerCommand(env({ configured: ['/x/wrapper'], files: ['/x/wrapper', '/ws/.venv/bin/cairn'] }), 'mcp');
    assert.equal(res.found?.source, 'venv');
  });

  it('runs nothing an untrusted workspace provides: no .venv, no interpreter the Python extension picked for it', async () => {
    // A cloned repository can commit `.venv/bin/cairn`; in Restricted Mode it is never run.
    const e = env({ trusted: false, files: ['/ws/.venv/bin/cairn', '/ws/.venv/bin/python'], pythonFromExtension: '/ws/.venv/bin/python', withCairn: ['/ws/.venv/bin/python'], onPath: { cairn: '/usr/bin/cairn' } });
    const res = await resolveServerCommand(e);
    assert.deepEqual(res.found, { command: '/usr/bin/cairn', args: ['serve'], source: 'path' });
    assert.match(res.tried.join('; '), /not trusted/);
    const none = await resolveServerCommand(env({ trusted: false, files: ['/ws/.venv/bin/cairn', '/ws/.venv/bin/python'], pythonFromExtension: '/ws/.venv/bin/python', withCairn: ['/ws/.venv/bin/python'] }));
    assert.equal(none.found, undefined);
    assert.equal(e.extensionAsked(), false);
  });
});

describe('command-line helpers', () => {
  it('splits with quotes and escapes', () => {
    assert.deepEqual(splitCommandLine(`a "b c" 'd e' f\\ g ""`), ['a', 'b c', 'd e', 'f g', '']);
    assert.deepEqual(splitCommandLine('  '), []);
  });
  it('reads array and string settings', () => {
    assert.deepEqual(configuredArgv(['x', 1, 'y']), ['x', 'y']);
    assert.deepEqual(configuredArgv('x y'), ['x', 'y']);
    assert.equal(configuredArgv(42), undefined);
  });
  it('turns serve into mcp', () => {
    assert.deepEqual(toMode(['python', '-m', 'cairn', 'serve'], 'mcp'), ['python', '-m', 'cairn', 'mcp']);
    assert.equal(toMode(['serve'], 'mcp'), undefined);
    assert.deepEqual(toMode(['c', 'serve'], 'serve'), ['c', 'serve']);
  });
});
