// Finding the command that starts Cairn (`cairn serve`, `cairn mcp`) on this machine: the settings, the
// workspace's virtual environment, PATH, the Python extension's selected interpreter, then a server
// bundled with the extension that is already installed (bundledServer.ts installs one). The order is
// decided (and documented) in the pure `core/serverCommand.ts`; this module answers its questions about
// the real environment (is this file executable, what is on PATH, can this interpreter import cairn), as
// the Python tools extension template keeps interpreter discovery in its own `python.ts`.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { installedBundledServer } from './bundledServer';
import { resolveServerCommand, type Resolution, type ServerMode } from './core/serverCommand';

export async function isExecutable(p: string): Promise<boolean> {
  try {
    const st = await fs.promises.stat(p);
    if (!st.isFile()) {
      return false;
    }
    if (process.platform !== 'win32') {
      await fs.promises.access(p, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

export async function which(name: string): Promise<string | undefined> {
  const exts = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) {
      continue;
    }
    for (const ext of exts) {
      const candidate = path.join(dir, name.endsWith(ext) ? name : name + ext);
      if (await isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

function canImportCairn(python: string): Promise<boolean> {
  return new Promise((resolve) => {
    cp.execFile(python, ['-c', 'import cairn'], { timeout: 15000 }, (err) => resolve(!err));
  });
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment?(env: { path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: { getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] } | undefined };
}

/** The interpreter selected in the Python extension (ms-python.python), when it is installed. */
export async function pythonFromExtension(resource: vscode.Uri | undefined): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) {
    return undefined;
  }
  try {
    const apiObj = ext.isActive ? ext.exports : await ext.activate();
    const envPath = apiObj?.environments?.getActiveEnvironmentPath?.(resource);
    if (envPath && apiObj.environments?.resolveEnvironment) {
      const env = await apiObj.environments.resolveEnvironment(envPath);
      const exe = env?.executable?.uri?.fsPath;
      if (exe) {
        return exe;
      }
    }
    return apiObj?.settings?.getExecutionDetails?.(resource)?.execCommand?.[0];
  } catch {
    return undefined;
  }
}

/** Resolve the command for `cairn serve` or `cairn mcp` from the settings and the workspace. */
export async function resolveCommand(mode: ServerMode, context?: vscode.ExtensionContext): Promise<Resolution> {
  const config = vscode.workspace.getConfiguration('cairn');
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  const res = await resolveServerCommand(
    {
      configured: config.get<unknown>('server.command'),
      workspaceFolders: folders.map((f) => f.uri.fsPath),
      trusted: vscode.workspace.isTrusted,
      platform: process.platform,
      pythonSetting: config.get<string>('server.python') ?? '',
      pythonFromExtension: () => pythonFromExtension(folders[0]?.uri),
      isExecutable,
      which,
      canImportCairn,
    },
    mode,
  );
  // The user's own choices keep priority; an already installed bundled server comes last.
  const allowed = config.get<boolean>('server.bundled') !== false;
  const bundled = !res.found && !res.configuredFailed && allowed && context ? installedBundledServer(context, mode) : undefined;
  return bundled ? { found: bundled, tried: res.tried } : res;
}
