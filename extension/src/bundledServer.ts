// Installs and finds the server the extension brings (see core/bundle.ts for the plan and its reasons).
// Used only when no Cairn was found by the user's own choices (setting, workspace .venv, PATH, python -m
// cairn): those keep priority.
import * as cp from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  envDirFor,
  envPython,
  interpreterCandidates,
  noInterpreterMessage,
  parsePythonVersion,
  pickInterpreter,
  planInstall,
  type BundleFiles,
  type Interpreter,
} from './core/bundle';
import type { ServerCommand, ServerMode } from './core/serverCommand';

const INSTALL_STEP_TIMEOUT_MS = 10 * 60_000;

function run(argv: string[], timeout: number): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    cp.execFile(argv[0], argv.slice(1), { timeout, maxBuffer: 8 * 1024 * 1024, env: { ...process.env, PIP_NO_INPUT: '1' } }, (err, stdout, stderr) => {
      resolve({ ok: !err, out: `${stdout}${stderr}`.trim() || (err ? String(err.message) : '') });
    });
  });
}

/** The wheel and wheelhouse shipped in this .vsix. */
export function bundleFiles(context: vscode.ExtensionContext): BundleFiles {
  const dir = context.asAbsolutePath('bundled');
  let wheel: string | undefined;
  try {
    wheel = fs
      .readdirSync(dir)
      .filter((f) => /^cairn_context-.*\.whl$/.test(f))
      .map((f) => path.join(dir, f))[0];
  } catch {
    wheel = undefined;
  }
  const house = path.join(dir, 'wheelhouse');
  return { wheel, wheelhouse: fs.existsSync(house) ? house : undefined };
}

function extensionVersion(context: vscode.ExtensionContext): string {
  return String((context.extension.packageJSON as { version?: string }).version ?? '0');
}

function commandFor(envDir: string, mode: ServerMode): ServerCommand {
  return { command: envPython(envDir, process.platform), args: ['-m', 'cairn', mode], source: 'bundled' };
}

/** The already installed bundled server, without installing anything (for the MCP provider). */
export function installedBundledServer(context: vscode.ExtensionContext, mode: ServerMode): ServerCommand | undefined {
  const envDir = envDirFor(context.globalStorageUri.fsPath, extensionVersion(context));
  return fs.existsSync(envPython(envDir, process.platform)) ? commandFor(envDir, mode) : undefined;
}

async function probe(candidates: { path: string; label: string }[]): Promise<Interpreter[]> {
  const out: Interpreter[] = [];
  for (const c of candidates) {
    const r = await run([c.path, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], 15_000);
    out.push({ ...c, version: r.ok ? parsePythonVersion(r.out) : undefined });
  }
  return out;
}

export type BundledResult = { found: ServerCommand } | { error: string };

/**
 * The bundled server for `mode`, installing it on first use with a progress notification.
 * Never throws: failures come back as one line for the user (details in the log).
 */
export async function ensureBundledServer(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  mode: ServerMode,
  pythonSetting: string | undefined,
  pythonFromExtension: () => Promise<string | undefined>,
): Promise<BundledResult> {
  const installed = installedBundledServer(context, mode);
  if (installed) {
    return { found: installed };
  }
  const files = bundleFiles(context);
  if (!files.wheel) {
    return { error: 'this build of the extension carries no Cairn server' };
  }
  const tried = await probe(interpreterCandidates(pythonSetting, await pythonFromExtension()));
  const python = pickInterpreter(tried, !!files.wheelhouse);
  if (!python) {
    return { error: noInterpreterMessage(tried) };
  }
  const storage = context.globalStorageUri.fsPath;
  const plan = planInstall(python, files, storage, extensionVersion(context), process.platform, crypto.randomBytes(4).toString('hex'));
  if (!plan) {
    return { error: 'this build of the extension carries no Cairn server' };
  }
  log.info(`installing the bundled Cairn server with ${python.path} (${python.version}, from ${python.label})${plan.offline ? ' from the wheels in the extension (offline)' : ' from your package index'}`);
  await fs.promises.mkdir(path.dirname(plan.buildDir), { recursive: true });
  const failure = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Cairn: installing its server (first start only)', cancellable: false },
    async (progress) => {
      const names = ['creating a private Python environment', 'installing Cairn and its dependencies', 'checking the installation'];
      for (const [i, step] of plan.steps.entries()) {
        progress.report({ message: names[i] ?? '', increment: 100 / plan.steps.length });
        log.info(`$ ${step.join(' ')}`);
        const r = await run(step, INSTALL_STEP_TIMEOUT_MS);
        if (r.out) {
          log.info(r.out);
        }
        if (!r.ok) {
          return `${names[i] ?? 'a step'} failed (see "Cairn: Show Server Log")`;
        }
      }
      return undefined;
    },
  );
  if (failure) {
    await fs.promises.rm(plan.buildDir, { recursive: true, force: true });
    return { error: `installing the bundled server: ${failure}` };
  }
  try {
    await fs.promises.rename(plan.buildDir, plan.envDir);
  } catch (e) {
    // Another window finished first: keep its environment, drop ours.
    await fs.promises.rm(plan.buildDir, { recursive: true, force: true });
    if (!fs.existsSync(envPython(plan.envDir, process.platform))) {
      return { error: `installing the bundled server: ${String(e)}` };
    }
  }
  log.info(`the bundled Cairn server is installed in ${plan.envDir}`);
  return { found: commandFor(plan.envDir, mode) };
}
