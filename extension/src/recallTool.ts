// The `cairn_recall` language-model tool: Copilot (agent mode, or any chat that may call tools) asks
// for the notes that apply to a file and gets the server's recall pack as markdown. One tool, one module,
// registered from extension.ts, as in VS Code's chat sample.
import * as vscode from 'vscode';
import { parseRecallToolInput } from './core/chatRoute';
import type { RecallResult } from './core/protocol';
import { lmTools, textToolResult, type LanguageModelToolLike, type PreparedToolInvocation, type ToolInvocationOptions } from './newApi';
import { agentText, recall, resolveWorkspacePath } from './recall';
import type { CairnServer } from './server';

export const TOOL_NAME = 'cairn_recall';
/** Packs in chat sit under the chat's own answer: the pack's title an h3, each note an h4. */
export const CHAT_HEADING_LEVEL = 3;
const REMEMBERED = 20;

export interface RecallToolInput {
  path: string;
  line?: number;
  query?: string;
}

function key(input: RecallToolInput): string {
  return JSON.stringify([input.path, input.line ?? null, input.query ?? null]);
}

export class RecallTool implements LanguageModelToolLike<unknown> {
  /** The last few results by input, so `@cairn` can show the pack (with its note links) it had the tool fetch. */
  private readonly recent = new Map<string, RecallResult>();

  constructor(private readonly server: CairnServer) {}

  prepareInvocation({ input }: { input: unknown }): PreparedToolInvocation {
    const p = parseRecallToolInput(input);
    const where = typeof p === 'string' ? 'a file' : `${p.path}${p.line ? `:${p.line}` : ''}`;
    return {
      invocationMessage: `Recalling Cairn notes for ${where}`,
      pastTenseMessage: `Recalled Cairn notes for ${where}`,
    };
  }

  async invoke({ input }: ToolInvocationOptions<unknown>, token: vscode.CancellationToken): Promise<unknown> {
    const p = parseRecallToolInput(input);
    if (typeof p === 'string') {
      throw new Error(p);
    }
    const uri = resolveWorkspacePath(p.path);
    if (!uri) {
      throw new Error(`${TOOL_NAME}: no workspace folder to resolve ${p.path} against`);
    }
    this.server.log.info(`${TOOL_NAME} invoked for ${p.path}${p.line ? `:${p.line}` : ''}${p.query ? ` (query: ${p.query})` : ''}`);
    const target = { uri, line: p.line !== undefined ? p.line - 1 : undefined, query: p.query };
    const result = await recall(this.server, target, token, CHAT_HEADING_LEVEL);
    this.recent.set(key(p), result);
    if (this.recent.size > REMEMBERED) {
      this.recent.delete(this.recent.keys().next().value as string);
    }
    return textToolResult(agentText(result));
  }

  /** The full result of the latest invocation with this input, if it is still remembered. */
  resultFor(input: RecallToolInput): RecallResult | undefined {
    return this.recent.get(key(input));
  }
}

/** Register the tool; undefined when this VS Code has no language-model tools (before 1.95). */
export function registerRecallTool(context: vscode.ExtensionContext, server: CairnServer): RecallTool | undefined {
  const lm = lmTools();
  if (!lm) {
    server.log.info(`language-model tools are not available in this VS Code: ${TOOL_NAME} is not registered`);
    return undefined;
  }
  const tool = new RecallTool(server);
  context.subscriptions.push(lm.registerTool<unknown>(TOOL_NAME, tool));
  return tool;
}
