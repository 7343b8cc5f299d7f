// The server the extension brings: the Cairn wheel shipped inside the .vsix (`bundled/`), installed into a
// private virtualenv in the extension's global storage when no Cairn is found anywhere else.
// Pure: which interpreter, which folders, which pip arguments. The I/O is in ../bundledServer.ts.
//
// Layout of an installed server: <globalStorage>/server/<version>/ is a virtualenv whose python runs
// `python -m cairn serve|mcp`. It is built in a sibling temporary folder and renamed into place when
// complete, so a half-finished install (window closed, pip failed) is never used, and two windows
// installing at once both end with one complete environment.

/** The oldest Python Cairn runs on. */
export const MIN_PYTHON: readonly [number, number] = [3, 11];

/** CPython minor versions the platform .vsix's wheelhouse holds binary wheels for. */
export const WHEELHOUSE_PYTHONS: readonly string[] = ['3.11', '3.12', '3.13'];

export interface Interpreter {
  /** What was asked for (a path or a name on PATH) and where it came from, for the log. */
  path: string;
  label: string;
  /** `major.minor` reported by the interpreter, or undefined when it did not run. */
  version?: string;
}

export interface BundleFiles {
  /** Absolute path of the shipped wheel (`bundled/cairn_context-<version>-py3-none-any.whl`), if present. */
  wheel?: string;
  /** Folder of dependency wheels (platform .vsix only), if present. */
  wheelhouse?: string;
}

export interface InstallPlan {
  python: string;
  /** Final folder of the environment and the temporary one it is built in. */
  envDir: string;
  buildDir: string;
  /** argv lists, run in order; the first creates the venv in buildDir. */
  steps: string[][];
  /** True when everything comes from the wheelhouse (works offline). */
  offline: boolean;
}

export function parsePythonVersion(output: string): string | undefined {
  const m = /(\d+)\.(\d+)/.exec(output.trim());
  return m ? `${m[1]}.${m[2]}` : undefined;
}

export function isSupported(version: string | undefined): boolean {
  if (!version) {
    return false;
  }
  const [major, minor] = version.split('.').map(Number);
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

/**
 * The interpreters to try, in order: `cairn.server.python`, the Python extension's, then `python3.13` …
 * `python3.11`, `python3` and `python` on PATH. Duplicates are dropped.
 */
export function interpreterCandidates(setting: string | undefined, fromExtension: string | undefined): { path: string; label: string }[] {
  const out: { path: string; label: string }[] = [];
  const add = (path: string | undefined, label: string): void => {
    const p = path?.trim();
    if (p && !out.some((c) => c.path === p)) {
      out.push({ path: p, label });
    }
  };
  add(setting, 'cairn.server.python');
  add(fromExtension, 'the Python extension');
  for (const v of [...WHEELHOUSE_PYTHONS].reverse()) {
    add(`python${v}`, 'PATH');
  }
  add('python3', 'PATH');
  add('python', 'PATH');
  return out;
}

/** The first interpreter that ran and is new enough; prefers one the wheelhouse has wheels for. */
export function pickInterpreter(found: readonly Interpreter[], hasWheelhouse: boolean): Interpreter | undefined {
  const usable = found.filter((i) => isSupported(i.version));
  if (hasWheelhouse) {
    const covered = usable.find((i) => i.version && WHEELHOUSE_PYTHONS.includes(i.version));
    if (covered) {
      return covered;
    }
  }
  return usable[0];
}

export function joinPath(...parts: string[]): string {
  return parts.map((p, i) => (i === 0 ? p.replace(/\/+$/, '') : p.replace(/^\/+|\/+$/g, ''))).join('/');
}

export function envDirFor(storage: string, version: string): string {
  return joinPath(storage, 'server', version);
}

/** The python of an installed environment. */
export function envPython(envDir: string, platform: string): string {
  return platform === 'win32' ? `${envDir}\\Scripts\\python.exe` : joinPath(envDir, 'bin', 'python');
}

export function planInstall(
  interpreter: Interpreter,
  files: BundleFiles,
  storage: string,
  version: string,
  platform: string,
  nonce: string,
): InstallPlan | undefined {
  if (!files.wheel) {
    return undefined;
  }
  const envDir = envDirFor(storage, version);
  const buildDir = joinPath(storage, 'server', `.building-${version}-${nonce}`);
  const py = envPython(buildDir, platform);
  const offline = !!files.wheelhouse && !!interpreter.version && WHEELHOUSE_PYTHONS.includes(interpreter.version);
  const pip = [py, '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet'];
  const install = offline ? [...pip, '--no-index', '--find-links', files.wheelhouse as string, files.wheel] : [...pip, files.wheel];
  return {
    python: interpreter.path,
    envDir,
    buildDir,
    steps: [[interpreter.path, '-m', 'venv', buildDir], install, [py, '-m', 'cairn', '--version']],
    offline,
  };
}

/** One line for the user when no interpreter can host the bundled server. */
export function noInterpreterMessage(tried: readonly Interpreter[]): string {
  const seen = tried.map((i) => `${i.path} (${i.version ?? 'not found'})`).join(', ');
  return `Cairn needs Python ${MIN_PYTHON.join('.')} or newer to run its bundled server; found: ${seen || 'none'}. Install Python 3.11+ or set "cairn.server.python".`;
}

/** One line when the server that runs is not the extension's version (none when they agree or it is unknown). */
export function versionMismatch(extensionVersion: string, serverVersion: string | undefined, source: string): string | undefined {
  if (!serverVersion || serverVersion === extensionVersion) {
    return undefined;
  }
  return `Cairn: the server found (${source}) is version ${serverVersion}, this extension is ${extensionVersion}; some features may not match. Upgrade one of them (pip install -U cairn-context).`;
}
