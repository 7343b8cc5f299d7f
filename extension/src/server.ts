// Starts, restarts and talks to the Cairn language server (`cairn serve`, stdio) with vscode-languageclient.
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import {
  Notifications,
  Requests,
  ServerCommands,
  asStatus,
  type KindsResult,
  type RecallParams,
  type RecallResult,
  type SearchResult,
  type StaleResult,
  type Status,
} from './core/protocol';
import { describeCommand, notFoundMessage } from './core/serverCommand';
import type { ServerState } from './core/status';
import { versionMismatch } from './core/bundle';
import { ensureBundledServer } from './bundledServer';
import { pythonFromExtension, resolveCommand } from './interpreter';

const REQUEST_TIMEOUT_MS = 60_000;

/** A LanguageClient that never pops notifications itself: Cairn shows one clear message instead of a storm. */
class QuietLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown, _showNotification?: boolean | 'force'): void {
    super.error(message, data, false);
  }
}

/** Which server runs, for the status item: where it was found and the version it reported. */
export interface RunningServer {
  source: string;
  command: string;
  version?: string;
}

export class CairnServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private _state: ServerState = 'stopped';
  private _status: Status | undefined;
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.stateEmitter.event;
  private starting: Promise<void> | undefined;
  private crashes: number[] = [];
  private generation = 0;
  private _running: RunningServer | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {}

  get state(): ServerState {
    return this._state;
  }

  get status(): Status | undefined {
    return this._status;
  }

  get running(): RunningServer | undefined {
    return this._running;
  }

  get languageClient(): LanguageClient | undefined {
    return this.client;
  }

  private setState(state: ServerState): void {
    this._state = state;
    if (state !== 'running') {
      this._status = undefined;
    }
    this.stateEmitter.fire();
  }

  /** Start (once); concurrent callers share the same attempt. */
  start(): Promise<void> {
    if (this.client && this._state === 'running') {
      return Promise.resolve();
    }
    this.starting ??= this.doStart().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  async restart(): Promise<void> {
    await this.starting?.catch(() => undefined);
    await this.stop();
    this.crashes = [];
    await this.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.generation++;
    if (client) {
      try {
        if (client.state !== State.Stopped) {
          await client.stop(5000);
        }
      } catch (e) {
        this.log.warn(`stopping the server: ${String(e)}`);
      }
      try {
        await client.dispose(2000);
      } catch {
        /* already gone */
      }
    }
    this.setState('stopped');
  }

  private async doStart(): Promise<void> {
    const generation = ++this.generation;
    this.setState('starting');
    const resolution = await resolveCommand('serve', this.context);
    if (generation !== this.generation) {
      return;
    }
    const config = vscode.workspace.getConfiguration('cairn');
    if (!resolution.found && !resolution.configuredFailed && config.get<boolean>('server.bundled') === false) {
      resolution.tried.push('the server bundled with the extension (turned off by cairn.server.bundled)');
    } else if (!resolution.found && !resolution.configuredFailed) {
      const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri;
      const bundled = await ensureBundledServer(this.context, this.log, 'serve', config.get<string>('server.python'), () =>
        // In Restricted Mode the interpreter the workspace chose is never run (see serverCommand.ts).
        vscode.workspace.isTrusted ? pythonFromExtension(folder) : Promise.resolve(undefined),
      );
      if (generation !== this.generation) {
        return;
      }
      if ('found' in bundled) {
        resolution.found = bundled.found;
      } else {
        resolution.tried.push(`the server bundled with the extension (${bundled.error})`);
      }
    }
    if (!resolution.found) {
      this.log.error(notFoundMessage(resolution));
      this.setState('failed');
      void this.reportFailure(notFoundMessage(resolution));
      return;
    }
    const found = resolution.found;
    for (const t of resolution.tried) {
      this.log.info(`tried: ${t}`);
    }
    this.log.info(`starting the Cairn server: ${describeCommand(found)} (from ${found.source})`);

    const notesRoot = (config.get<string>('notesRoot') ?? '').trim();
    const recallBudget = config.get<number>('recall.budget') ?? 2000;
    const cwd = found.cwd ?? vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;

    const serverOptions: ServerOptions = {
      command: found.command,
      args: found.args,
      options: { cwd, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      outputChannel: this.log,
      revealOutputChannelOn: 4 /* RevealOutputChannelOn.Never */,
      // opensDocuments: this client opens the uri/text that cairn.openNote, cairn.newNote and
      // cairn.draftUpdate return (afterServerCommand), so the server must not also send window/showDocument
      initializationOptions: { ...(notesRoot ? { notesRoot } : {}), recallBudget, opensDocuments: true },
      diagnosticCollectionName: 'cairn',
      markdown: { isTrusted: false, supportHtml: false },
      initializationFailedHandler: (error) => {
        this.log.error(`the server failed to initialize: ${String(error)}`);
        return false;
      },
      errorHandler: {
        error: (_error, _message, count) => ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true }),
        closed: () => {
          const now = Date.now();
          this.crashes = [...this.crashes.filter((t) => now - t < 3 * 60_000), now];
          if (this._state === 'running' && this.crashes.length <= 3) {
            this.log.warn(`the server exited; restarting (${this.crashes.length} of 3 within 3 minutes)`);
            return { action: CloseAction.Restart, handled: true };
          }
          this.setState('failed');
          void this.reportFailure(
            `Cairn: the server (${describeCommand(found)}) stopped${this.crashes.length > 1 ? ` ${this.crashes.length} times` : ''} and will not be restarted. See "Cairn: Show Server Log"; "Cairn: Restart Server" tries again.`,
          );
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      middleware: {
        executeCommand: async (command, args, next) => {
          const result: unknown = await next(command, args);
          await this.afterServerCommand(command, result);
          return result;
        },
      },
    };

    const client = new QuietLanguageClient('cairn', 'Cairn', serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (this.client !== client) {
        return;
      }
      if (e.newState === State.Running) {
        this.setState('running');
        void this.refreshStatus();
      } else if (e.newState === State.Starting) {
        this.setState('starting');
      }
    });
    try {
      await client.start();
      if (this.client !== client) {
        return;
      }
      client.onNotification(Notifications.statusChanged, (payload: unknown) => {
        const status = asStatus(payload);
        if (status) {
          this._status = status;
          this.stateEmitter.fire();
        }
      });
      const version = client.initializeResult?.serverInfo?.version;
      this._running = { source: found.source, command: describeCommand(found), version };
      const extVersion = String((this.context.extension.packageJSON as { version?: string }).version ?? '');
      const mismatch = versionMismatch(extVersion, version, found.source);
      if (mismatch) {
        this.log.warn(mismatch);
        void vscode.window.showWarningMessage(mismatch);
      }
      this.setState('running');
      await this.refreshStatus();
    } catch (e) {
      if (this.client !== client) {
        return;
      }
      this.log.error(`could not start ${describeCommand(found)}: ${String(e)}`);
      this.setState('failed');
      void this.reportFailure(
        `Cairn: the server (${describeCommand(found)}) did not start: ${e instanceof Error ? e.message : String(e)}. See "Cairn: Show Server Log". Install or upgrade it with "pip install cairn-context", or set "cairn.server.command".`,
      );
    }
  }

  private failureShown = false;

  /** One notification per failure (never a storm), with buttons to the log and the settings. */
  private async reportFailure(message: string): Promise<void> {
    if (this.failureShown) {
      return;
    }
    this.failureShown = true;
    try {
      const choice = await vscode.window.showErrorMessage(message, 'Show Log', 'Open Settings', 'Retry');
      if (choice === 'Show Log') {
        this.log.show(true);
      } else if (choice === 'Open Settings') {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'cairn.server');
      } else if (choice === 'Retry') {
        this.failureShown = false;
        await this.restart();
      }
    } finally {
      this.failureShown = false;
    }
  }

  async refreshStatus(): Promise<void> {
    try {
      const status = asStatus(await this.request<unknown>(Requests.status, {}, false));
      if (status) {
        this._status = status;
        this.stateEmitter.fire();
      }
    } catch (e) {
      this.log.warn(`cairn/status: ${String(e)}`);
    }
  }

  /** Send a request, starting the server first if needed. */
  async request<R>(method: string, params: unknown, startIfNeeded = true, token?: vscode.CancellationToken): Promise<R> {
    if (startIfNeeded && this._state !== 'running') {
      await this.start();
    }
    const client = this.client;
    if (!client || this._state !== 'running') {
      throw new ServerUnavailableError();
    }
    // never pass an undefined token: vscode-jsonrpc would count it as a second parameter and send the params
    // as an array ([params, null]), which the server rejects as invalid params
    if (token) {
      return client.sendRequest<R>(method, params, token);
    }
    // a request the server never answers must not hang a command forever
    const cts = new vscode.CancellationTokenSource();
    const timer = setTimeout(() => cts.cancel(), REQUEST_TIMEOUT_MS);
    try {
      return await client.sendRequest<R>(method, params, cts.token);
    } finally {
      clearTimeout(timer);
      cts.dispose();
    }
  }

  recall(params: RecallParams, token?: vscode.CancellationToken): Promise<RecallResult> {
    return this.request<RecallResult>(Requests.recall, params, true, token);
  }

  search(query: string, limit = 20, token?: vscode.CancellationToken): Promise<SearchResult> {
    return this.request<SearchResult>(Requests.search, { query, limit }, true, token);
  }

  stale(token?: vscode.CancellationToken): Promise<StaleResult> {
    return this.request<StaleResult>(Requests.stale, {}, true, token);
  }

  /** The kinds of note the workspace of `uri` configures (config.toml), as the server reads them. */
  kinds(uri?: string, token?: vscode.CancellationToken): Promise<KindsResult> {
    return this.request<KindsResult>(Requests.kinds, uri ? { uri } : {}, true, token);
  }

  /** `workspace/executeCommand` on the server (bypasses the middleware's post-processing). */
  executeCommand<R>(command: string, args: unknown[]): Promise<R> {
    return this.request<R>(ExecuteCommandRequest.method, { command, arguments: args });
  }

  /** What the client does with the results of server commands run from code actions or hovers. */
  private async afterServerCommand(command: string, result: unknown): Promise<void> {
    const r = (result ?? {}) as { uri?: unknown; text?: unknown };
    if ((command === ServerCommands.openNote || command === ServerCommands.newNote) && typeof r.uri === 'string') {
      await vscode.window.showTextDocument(vscode.Uri.parse(r.uri), { preview: false });
    } else if (command === ServerCommands.draftUpdate && typeof r.text === 'string') {
      await vscode.env.clipboard.writeText(r.text);
      const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: r.text });
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
      vscode.window.setStatusBarMessage('$(copy) Cairn: update draft copied, paste it into your agent chat', 5000);
    } else if (command === ServerCommands.reanchor || command === ServerCommands.markReviewed) {
      vscode.window.setStatusBarMessage('$(check) Cairn: note marked reviewed', 4000);
    }
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }

  get extensionContext(): vscode.ExtensionContext {
    return this.context;
  }
}

export class ServerUnavailableError extends Error {
  constructor() {
    super('The Cairn server is not running. See "Cairn: Show Server Log", or run "Cairn: Restart Server".');
  }
}
