// Offers `cairn mcp` to VS Code's MCP support (agent mode, Claude and other MCP clients inside VS Code),
// where the running VS Code has the MCP server definition provider API (1.101+).
import * as vscode from 'vscode';
import { mcpDefinitionsChanged, type McpInputs } from './core/mcpAnnounce';
import { describeCommand, notFoundMessage } from './core/serverCommand';
import { mcpApi, mcpStdioDefinition } from './newApi';
import { resolveCommand } from './interpreter';
import type { CairnServer } from './server';

export const MCP_PROVIDER_ID = 'cairn.mcp';

export function registerMcpProvider(context: vscode.ExtensionContext, server: CairnServer): boolean {
  const mcp = mcpApi();
  if (!mcp) {
    server.log.info('MCP server definition providers are not available in this VS Code: cairn mcp is not offered');
    return false;
  }
  const changed = new vscode.EventEmitter<void>();
  const pkgVersion = (context.extension?.packageJSON as { version?: unknown } | undefined)?.version;
  const version = typeof pkgVersion === 'string' ? pkgVersion : '0';
  context.subscriptions.push(
    changed,
    mcp.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, {
      onDidChangeMcpServerDefinitions: changed.event,
      async provideMcpServerDefinitions() {
        const res = await resolveCommand('mcp', context);
        if (!res.found) {
          server.log.warn(`MCP: ${notFoundMessage(res)}`);
          return [];
        }
        const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri;
        const cwd = res.found.cwd ? vscode.Uri.file(res.found.cwd) : folder;
        server.log.info(`MCP: offering ${describeCommand(res.found)}${cwd ? ` in ${cwd.fsPath}` : ''}`);
        return [mcpStdioDefinition('Cairn', res.found.command, res.found.args, cwd, version)];
      },
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('cairn.server')) {
        changed.fire();
      }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => changed.fire()),
  );
  // Ask VS Code to re-read the definitions when what they resolve to may have changed (see core/mcpAnnounce.ts).
  let last: McpInputs = { serverSource: server.running?.source, trusted: vscode.workspace.isTrusted };
  const recheck = (): void => {
    const now: McpInputs = { serverSource: server.running?.source, trusted: vscode.workspace.isTrusted };
    if (mcpDefinitionsChanged(last, now)) {
      server.log.info('MCP: the server command may have changed; asking VS Code to re-read it');
      changed.fire();
    }
    last = now.serverSource === undefined ? { ...now, serverSource: last.serverSource } : now;
  };
  context.subscriptions.push(server.onDidChange(recheck), vscode.workspace.onDidGrantWorkspaceTrust(recheck));
  return true;
}
