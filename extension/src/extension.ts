// Cairn for VS Code: a thin client of the Cairn sidecar (`cairn serve`). Hovers, diagnostics and code
// actions come from the language server; this file wires commands, the status bar, chat and MCP.
import { registerNotesView } from './notesView';
import * as vscode from 'vscode';
import { registerChatParticipant } from './chatParticipant';
import { registerCommands } from './commands';
import { statusBarView } from './core/status';
import { registerMcpProvider } from './mcp';
import { trackActiveEditor } from './recall';
import { registerRecallTool, type RecallTool } from './recallTool';
import { CairnServer } from './server';

let server: CairnServer | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Cairn', { log: true });
  context.subscriptions.push(log);
  log.info(`Cairn ${String((context.extension.packageJSON as { version?: string }).version)} on VS Code ${vscode.version}`);

  server = new CairnServer(context, log);
  context.subscriptions.push(server);

  const item = vscode.window.createStatusBarItem('cairn.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Cairn';
  const render = (): void => {
    const view = statusBarView(server!.state, server!.status, server!.running);
    item.text = view.text;
    item.tooltip = view.tooltip;
    item.command = view.command;
    item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    item.show();
  };
  render();
  context.subscriptions.push(item, server.onDidChange(render));

  trackActiveEditor(context);
  registerCommands(context, server);
  registerNotesView(context, server);
  // the tool first: the participant is handed the tool it calls (no state shared through a module)
  let recallTool: RecallTool | undefined;
  const features = {
    recallTool: safely(log, 'cairn_recall tool', () => (recallTool = registerRecallTool(context, server!)) !== undefined),
    chatParticipant: safely(log, 'chat participant', () => registerChatParticipant(context, server!, recallTool)),
    mcp: safely(log, 'MCP provider', () => registerMcpProvider(context, server!)),
  };
  log.info(`features: ${JSON.stringify(features)}`);

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('cairn.server') || e.affectsConfiguration('cairn.notesRoot') || e.affectsConfiguration('cairn.recall.budget')) {
        log.info('settings changed: restarting the server');
        void server?.restart();
      }
    }),
    // Restricted Mode never runs the interpreter the workspace names; once trusted, start again so it can.
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      log.info('workspace trusted: restarting the server');
      void server?.restart();
    }),
  );

  void server.start();
}

function safely(log: vscode.LogOutputChannel, what: string, register: () => boolean): boolean {
  try {
    return register();
  } catch (e) {
    log.warn(`${what} not registered: ${String(e)}`);
    return false;
  }
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
