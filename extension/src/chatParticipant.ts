// The `@cairn` chat participant: `/recall` (through the `cairn_recall` tool when the chat allows tool
// calls, so the call shows like any agent's), `/search`, `/stale` and help. One participant, one module,
// registered from extension.ts with the tool it may call, as in VS Code's chat sample.
import * as vscode from 'vscode';
import { routeChatRequest, type ChatRoute } from './core/chatRoute';
import { emptyPackHint, formatSearchHits, formatStale, packSummary } from './core/pack';
import type { RecallResult } from './core/protocol';
import { hasChatParticipants, lmTools, toolResultText } from './newApi';
import { activeFileTarget, agentText, recall, resolveWorkspacePath, untrustedMarkdown, type RecallTarget } from './recall';
import { CHAT_HEADING_LEVEL, TOOL_NAME, type RecallTool } from './recallTool';
import type { CairnServer } from './server';

export const PARTICIPANT_ID = 'cairn.chat';

function targetLabel(target: RecallTarget): { path: string; line?: number } {
  return { path: vscode.workspace.asRelativePath(target.uri, false), line: target.line !== undefined ? target.line + 1 : undefined };
}

/** A file the user attached to the request (#file, drag and drop), if any. */
function referencedFile(request: vscode.ChatRequest): RecallTarget | undefined {
  for (const ref of request.references ?? []) {
    const v = ref.value;
    if (v instanceof vscode.Uri && v.scheme === 'file') {
      return { uri: v };
    }
    if (v instanceof vscode.Location && v.uri.scheme === 'file') {
      return { uri: v.uri, line: v.range.start.line, character: v.range.start.character };
    }
  }
  return undefined;
}

async function runRecall(
  server: CairnServer,
  tool: RecallTool | undefined,
  request: vscode.ChatRequest,
  route: Extract<ChatRoute, { kind: 'recall' }>,
  stream: vscode.ChatResponseStream,
  token: vscode.CancellationToken,
): Promise<void> {
  let target: RecallTarget | undefined;
  if (route.path) {
    const uri = resolveWorkspacePath(route.path);
    target = uri ? { uri, line: route.line !== undefined ? route.line - 1 : undefined } : undefined;
  }
  target ??= referencedFile(request) ?? activeFileTarget();
  if (!target) {
    stream.markdown('Open a file (or name one: `/recall src/app.py:42`) and ask again.');
    return;
  }
  target.query = route.query;
  const label = targetLabel(target);
  stream.progress(`Recalling notes for ${label.path}${label.line ? `:${label.line}` : ''}…`);

  let result: RecallResult | undefined;
  let viaTool = false;
  const lm = lmTools();
  const toolInvocationToken = (request as { toolInvocationToken?: unknown }).toolInvocationToken;
  if (lm && tool && toolInvocationToken !== undefined) {
    // go through the language-model tool, so the chat shows the tool call like any agent would make it
    const input = { path: label.path, line: label.line, query: route.query };
    try {
      const toolResult = await lm.invokeTool(TOOL_NAME, { input, toolInvocationToken }, token);
      result = tool.resultFor(input);
      viaTool = toolResultText(toolResult).length > 0;
    } catch (e) {
      server.log.warn(`invoking ${TOOL_NAME} from @cairn: ${String(e)}; asking the server directly`);
    }
  }
  result ??= await recall(server, target, token, CHAT_HEADING_LEVEL);

  const pack = result.pack;
  for (const note of pack.notes) {
    if (note.uri) {
      stream.reference(vscode.Uri.parse(note.uri));
    }
  }

  // a question with /recall: the chat's model answers it from the pack first (VS Code folds what a
  // participant streams before its last step into "Completed N steps"), then the pack follows as sources
  const model = route.query ? await chatModel(request) : undefined;
  if (route.query && model) {
    const messages = [
      vscode.LanguageModelChatMessage.User(
        'You answer questions about a code repository using the notes its developers and agents keep (decisions, ' +
          'patterns, gotchas). Notes marked stale describe code that changed since: say so when you rely on them.\n\n' +
          agentText(result),
      ),
      vscode.LanguageModelChatMessage.User(route.query),
    ];
    try {
      const response = await model.sendRequest(messages, {}, token);
      for await (const chunk of response.text) {
        stream.markdown(untrustedMarkdown(chunk));
      }
      stream.markdown('\n\n---\n\n');
    } catch (e) {
      server.log.warn(`@cairn: the language model did not answer: ${String(e)}`);
    }
  }

  // the server's markdown as it is (asked for at heading level 3, under the answer), then one summary line
  const text = `${agentText(result)}${emptyPackHint(pack)}\n*${packSummary(pack)}*${viaTool ? ` · via the \`${TOOL_NAME}\` tool` : ''}\n\n`;
  stream.markdown(untrustedMarkdown(text));
  for (const note of pack.notes) {
    if (note.uri) {
      stream.anchor(vscode.Uri.parse(note.uri), note.path);
      stream.markdown(' ');
    }
  }
  if (pack.notes.length > 0) {
    stream.button({ command: 'cairn.copyRecall', title: 'Copy for Agent Chat' });
  }
}

/** The model picked in the chat (VS Code 1.95+), else any available one. */
async function chatModel(request: vscode.ChatRequest): Promise<vscode.LanguageModelChat | undefined> {
  const picked = (request as { model?: vscode.LanguageModelChat }).model;
  if (picked && typeof picked.sendRequest === 'function') {
    return picked;
  }
  try {
    return (await vscode.lm.selectChatModels())[0];
  } catch {
    return undefined;
  }
}

/** Register `@cairn`; `tool` is the registered `cairn_recall` tool, which `/recall` calls when it can. */
export function registerChatParticipant(context: vscode.ExtensionContext, server: CairnServer, tool?: RecallTool): boolean {
  if (!hasChatParticipants()) {
    server.log.info('chat participants are not available in this VS Code: @cairn is not registered');
    return false;
  }
  const handler: vscode.ChatRequestHandler = async (request, _chatContext, stream, token) => {
    const route = routeChatRequest(request.command, request.prompt, activeFileTarget() !== undefined || referencedFile(request) !== undefined);
    try {
      switch (route.kind) {
        case 'recall':
          await runRecall(server, tool, request, route, stream, token);
          break;
        case 'search': {
          stream.progress(`Searching notes for "${route.query}"…`);
          const hits = (await server.search(route.query, 20, token))?.hits ?? [];
          for (const hit of hits) {
            if (hit.uri) {
              stream.reference(vscode.Uri.parse(hit.uri));
            }
          }
          stream.markdown(untrustedMarkdown(formatSearchHits(route.query, hits)));
          break;
        }
        case 'stale': {
          stream.progress('Checking notes against the code…');
          const notes = (await server.stale(token))?.notes ?? [];
          for (const note of notes) {
            if (note.uri) {
              stream.reference(vscode.Uri.parse(note.uri));
            }
          }
          stream.markdown(untrustedMarkdown(formatStale(notes)));
          if (notes.length > 0) {
            stream.button({ command: 'cairn.showStale', title: 'Show Stale Notes' });
          }
          break;
        }
        case 'help':
          stream.markdown(untrustedMarkdown(route.message));
          break;
      }
      return { metadata: { command: route.kind } };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      stream.markdown(untrustedMarkdown(`Cairn: ${message}`));
      return { errorDetails: { message }, metadata: { command: route.kind } };
    }
  };
  const participant = vscode.chat.createChatParticipant(PARTICIPANT_ID, handler);
  participant.iconPath = new vscode.ThemeIcon('book');
  context.subscriptions.push(participant);
  return true;
}
