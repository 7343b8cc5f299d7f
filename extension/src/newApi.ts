// Feature-checked access to VS Code APIs newer than the `engines.vscode` floor (1.90):
// language-model tools (1.95), the MCP server definition provider (1.101). Each accessor returns
// undefined when the running VS Code does not have the API, so the extension still works there.
import * as vscode from 'vscode';

export interface ToolInvocationOptions<T> {
  input: T;
  toolInvocationToken?: unknown;
}

export interface PreparedToolInvocation {
  invocationMessage?: string | vscode.MarkdownString;
  pastTenseMessage?: string | vscode.MarkdownString;
}

export interface LanguageModelToolLike<T> {
  invoke(options: ToolInvocationOptions<T>, token: vscode.CancellationToken): vscode.ProviderResult<unknown>;
  prepareInvocation?(options: { input: T }, token: vscode.CancellationToken): vscode.ProviderResult<PreparedToolInvocation>;
}

export interface LmToolsApi {
  registerTool<T>(name: string, tool: LanguageModelToolLike<T>): vscode.Disposable;
  invokeTool(name: string, options: ToolInvocationOptions<object>, token?: vscode.CancellationToken): Thenable<unknown>;
}

interface TextPartCtor {
  new (value: string): { value: string };
}
interface ToolResultCtor {
  new (content: unknown[]): { content: unknown[] };
}

type VscodeWithNewer = typeof vscode & {
  lm?: Partial<LmToolsApi> & Partial<McpApi>;
  LanguageModelTextPart?: TextPartCtor;
  LanguageModelToolResult?: ToolResultCtor;
  McpStdioServerDefinition?: McpStdioCtor;
  chat?: { createChatParticipant?: unknown };
};

const api = vscode as VscodeWithNewer;

export function lmTools(): LmToolsApi | undefined {
  const lm = api.lm;
  if (lm && typeof lm.registerTool === 'function' && typeof lm.invokeTool === 'function' &&
      api.LanguageModelToolResult && api.LanguageModelTextPart) {
    return lm as LmToolsApi;
  }
  return undefined;
}

export function textToolResult(text: string): unknown {
  const Result = api.LanguageModelToolResult;
  const Text = api.LanguageModelTextPart;
  if (!Result || !Text) {
    throw new Error('language-model tools are not available in this VS Code');
  }
  return new Result([new Text(text)]);
}

/** The text parts of a LanguageModelToolResult. */
export function toolResultText(result: unknown): string {
  const content = (result as { content?: unknown[] } | undefined)?.content ?? [];
  return content
    .map((p) => (p && typeof p === 'object' && typeof (p as { value?: unknown }).value === 'string' ? (p as { value: string }).value : ''))
    .join('');
}

export function hasChatParticipants(): boolean {
  return typeof api.chat?.createChatParticipant === 'function';
}

// --- MCP (VS Code 1.101+) ---
export interface McpServerDefinitionProviderLike {
  onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): vscode.ProviderResult<unknown[]>;
  resolveMcpServerDefinition?(server: unknown, token: vscode.CancellationToken): vscode.ProviderResult<unknown>;
}

export interface McpApi {
  registerMcpServerDefinitionProvider(id: string, provider: McpServerDefinitionProviderLike): vscode.Disposable;
}

interface McpStdioCtor {
  new (label: string, command: string, args?: string[], env?: Record<string, string | number | null>, version?: string): {
    cwd?: vscode.Uri;
  };
}

export function mcpApi(): McpApi | undefined {
  const lm = api.lm;
  if (lm && typeof lm.registerMcpServerDefinitionProvider === 'function' && api.McpStdioServerDefinition) {
    return lm as McpApi;
  }
  return undefined;
}

export function mcpStdioDefinition(label: string, command: string, args: string[], cwd: vscode.Uri | undefined, version: string): unknown {
  const Ctor = api.McpStdioServerDefinition;
  if (!Ctor) {
    throw new Error('MCP server definitions are not available in this VS Code');
  }
  const def = new Ctor(label, command, args, {}, version);
  if (cwd) {
    def.cwd = cwd;
  }
  return def;
}
