// Which command starts the Cairn server (`serve`, the language server) or its MCP server (`mcp`).
// Pure: the environment (files, PATH, Python interpreters) is described by the caller.
//
// Order: `cairn.server.command` when set (no fallback: an explicit setting that does not work is reported);
// otherwise `<folder>/.venv/bin/cairn` for each workspace folder, `cairn` on PATH, then
// `python -m cairn <mode>` with `cairn.server.python`, then with the Python extension's interpreter.
// In an untrusted workspace (VS Code's Restricted Mode) nothing the workspace provides is run: its
// `.venv` and the interpreter the Python extension picked for it are skipped (the settings themselves
// are machine-scoped and listed in `restrictedConfigurations`, so a committed `.vscode/settings.json`
// cannot name the command).
// When none is found, the caller falls back to the server bundled in the .vsix (bundledServer.ts).

/** What to run: the language server, the MCP server, or `cairn init` (from the notes view). */
export type ServerMode = 'serve' | 'mcp' | 'init';

export type ServerSource = 'setting' | 'venv' | 'path' | 'python-setting' | 'python-extension' | 'bundled';

export interface ServerCommand {
  command: string;
  args: string[];
  source: ServerSource;
  /** Folder to run in (the workspace folder whose .venv was used), when it matters. */
  cwd?: string;
}

export interface ResolveEnv {
  /** Value of `cairn.server.command` (array, string, null/undefined when unset). */
  configured?: unknown;
  /** File-system paths of the workspace folders, in order. */
  workspaceFolders: readonly string[];
  platform: string;
  /** `cairn.server.python`. */
  pythonSetting?: string;
  /** Interpreter selected in the Python extension, when it is installed (resolved lazily: only asked when needed). */
  pythonFromExtension?: () => Promise<string | undefined> | string | undefined;
  /** Is there an executable file at this absolute path? */
  isExecutable(path: string): Promise<boolean> | boolean;
  /** Absolute path of an executable name looked up on PATH, or undefined. */
  which(name: string): Promise<string | undefined> | string | undefined;
  /** Can this interpreter `import cairn`? Optional: when absent, any existing interpreter is accepted. */
  canImportCairn?(python: string): Promise<boolean> | boolean;
  /** `vscode.workspace.isTrusted`; false skips everything the workspace provides (default true). */
  trusted?: boolean;
}

export interface Resolution {
  found?: ServerCommand;
  /** Human-readable list of what was tried, in order (for the one notification and the log). */
  tried: string[];
  /** True when `cairn.server.command` was set and is the reason nothing was found. */
  configuredFailed?: boolean;
}

/** Split a command line on whitespace, honouring "double" and 'single' quotes and backslash escapes. */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) {
        quote = undefined;
      } else if (c === '\\' && quote === '"' && i + 1 < line.length && (line[i + 1] === '"' || line[i + 1] === '\\')) {
        cur += line[++i];
      } else {
        cur += c;
      }
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) {
        out.push(cur);
        cur = '';
        inWord = false;
      }
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) {
    out.push(cur);
  }
  return out;
}

/** The configured command as argv, or undefined when unset/empty. */
export function configuredArgv(configured: unknown): string[] | undefined {
  if (typeof configured === 'string') {
    const argv = splitCommandLine(configured);
    return argv.length > 0 ? argv : undefined;
  }
  if (Array.isArray(configured)) {
    const argv = configured.filter((a): a is string => typeof a === 'string');
    return argv.length > 0 && argv[0].trim() !== '' ? argv : undefined;
  }
  return undefined;
}

/** Turn a configured `serve` command into another mode's: the last `serve` argument becomes `mcp` / `init`. */
export function toMode(argv: string[], mode: ServerMode): string[] | undefined {
  if (mode === 'serve') {
    return argv;
  }
  const i = argv.lastIndexOf('serve');
  if (i <= 0) {
    return undefined;
  }
  return [...argv.slice(0, i), mode, ...argv.slice(i + 1)];
}

function isAbsoluteOrRelativePath(p: string): boolean {
  return p.includes('/') || p.includes('\\');
}

function joinPath(platform: string, ...parts: string[]): string {
  const sep = platform === 'win32' ? '\\' : '/';
  return parts.map((p, i) => (i === 0 ? p.replace(/[\\/]+$/, '') : p.replace(/^[\\/]+|[\\/]+$/g, ''))).join(sep);
}

export function venvCairnPath(folder: string, platform: string): string {
  return platform === 'win32'
    ? joinPath(platform, folder, '.venv', 'Scripts', 'cairn.exe')
    : joinPath(platform, folder, '.venv', 'bin', 'cairn');
}

export function quoteArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export async function resolveServerCommand(env: ResolveEnv, mode: ServerMode = 'serve'): Promise<Resolution> {
  const tried: string[] = [];

  const configured = configuredArgv(env.configured);
  if (configured) {
    const argv = toMode(configured, mode);
    if (!argv) {
      tried.push(`cairn.server.command (${quoteArgv(configured)}) has no "serve" argument to turn into "mcp"`);
    } else {
      const [exe, ...args] = argv;
      const resolved = isAbsoluteOrRelativePath(exe)
        ? ((await env.isExecutable(exe)) ? exe : undefined)
        : await env.which(exe);
      if (resolved) {
        return { found: { command: resolved, args, source: 'setting' }, tried };
      }
      tried.push(`cairn.server.command: ${quoteArgv(argv)} (${exe} not found or not executable)`);
      return { tried, configuredFailed: true };
    }
  }

  const trusted = env.trusted ?? true;
  if (!trusted && env.workspaceFolders.length > 0) {
    tried.push('the workspace .venv (skipped: the workspace is not trusted)');
  }
  for (const folder of trusted ? env.workspaceFolders : []) {
    const exe = venvCairnPath(folder, env.platform);
    if (await env.isExecutable(exe)) {
      return { found: { command: exe, args: [mode], source: 'venv', cwd: folder }, tried };
    }
    tried.push(`${exe} (not found)`);
  }
  if (env.workspaceFolders.length === 0 && trusted) {
    tried.push('the workspace .venv (no folder is open)');
  }

  const onPath = await env.which(env.platform === 'win32' ? 'cairn.exe' : 'cairn');
  if (onPath) {
    return { found: { command: onPath, args: [mode], source: 'path' }, tried };
  }
  tried.push('cairn on PATH (not found)');

  const pythons: { python: string; source: ServerSource; label: string }[] = [];
  const fromSetting = env.pythonSetting?.trim();
  if (fromSetting) {
    pythons.push({ python: fromSetting, source: 'python-setting', label: 'cairn.server.python' });
  }
  const fromExtension = env.pythonFromExtension && trusted ? await env.pythonFromExtension() : undefined;
  if (fromExtension && fromExtension !== fromSetting) {
    pythons.push({ python: fromExtension, source: 'python-extension', label: 'the Python extension' });
  }
  if (pythons.length === 0) {
    tried.push('python -m cairn (no interpreter in cairn.server.python or from the Python extension)');
  }
  for (const { python, source, label } of pythons) {
    const exe = isAbsoluteOrRelativePath(python) ? ((await env.isExecutable(python)) ? python : undefined) : await env.which(python);
    if (!exe) {
      tried.push(`python -m cairn with ${python} from ${label} (interpreter not found)`);
      continue;
    }
    if (env.canImportCairn && !(await env.canImportCairn(exe))) {
      tried.push(`python -m cairn with ${exe} from ${label} (cairn is not installed there)`);
      continue;
    }
    return { found: { command: exe, args: ['-m', 'cairn', mode], source }, tried };
  }
  return { tried };
}

/** The single notification shown when no server could be found. */
export function notFoundMessage(res: Resolution): string {
  const what = res.configuredFailed
    ? 'Cairn: the server command in the "cairn.server.command" setting was not found.'
    : 'Cairn: could not find the Cairn server.';
  return `${what} Tried: ${res.tried.join('; ')}. Install it with "pip install cairn-context" (into the workspace's .venv or on PATH), or set "cairn.server.command".`;
}

export function describeCommand(cmd: ServerCommand): string {
  return quoteArgv([cmd.command, ...cmd.args]);
}
