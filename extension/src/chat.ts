// Copilot chat: the `@cairn` participant and the `cairn_recall` language-model tool.
import * as vscode from 'vscode';
import { parseRecallToolInput, routeChatRequest, type ChatRoute } from './core/chatRoute';
import { formatPack, formatPackNote, formatSearchHits, formatStale, PACK_PREAMBLE, packSummary } from './core/pack';
import type { RecallResult } from './core/protocol';
import { hasChatParticipants, lmTools, textToolResult, toolResultText } from './newApi';
import { activeFileTarget, agentText, recall, resolveWorkspacePath, untrustedMarkdown, type RecallTarget } from './recall';
import type { CairnServer } from './server';

export const TOOL_NAME = 'cairn_recall';
export const PARTICIPANT_ID = 'cairn.chat';

/** Results of recent tool invocations, so the participant can show the full pack after invoking the tool. */
const recentToolResults = new Map<string, RecallResult>();

function toolKey(input: { path: string; line?: number; query?: string }): string {
  return JSON.stringify([input.path, input.line ?? null, input.query ?? null]);
}

export function registerRecallTool(context: vscode.ExtensionContext, server: CairnServer): boolean {
  const lm = lmTools();
  if (!lm) {
    server.log.info('language-model tools are not available in this VS Code: cairn_recall is not registered');
    return false;
  }
  context.subscriptions.push(
    lm.registerTool<unknown>(TOOL_NAME, {
      prepareInvocation({ input }) {
        const p = parseRecallToolInput(input);
        const where = typeof p === 'string' ? 'a file' : `${p.path}${p.line ? `:${p.line}` : ''}`;
        return {
          invocationMessage: `Recalling Cairn notes for ${where}`,
          pastTenseMessage: `Recalled Cairn notes for ${where}`,
        };
      },
      async invoke({ input }, token) {
        const p = parseRecallToolInput(input);
        if (typeof p === 'string') {
          throw new Error(p);
        }
        const uri = resolveWorkspacePath(p.path);
        if (!uri) {
          throw new Error(`cairn_recall: no workspace folder to resolve ${p.path} against`);
        }
        server.log.info(`${TOOL_NAME} invoked for ${p.path}${p.line ? `:${p.line}` : ''}${p.query ? ` (query: ${p.query})` : ''}`);
        const result = await recall(server, { uri, line: p.line !== undefined ? p.line - 1 : undefined, query: p.query }, token);
        recentToolResults.set(toolKey(p), result);
        if (recentToolResults.size > 20) {
          recentToolResults.delete(recentToolResults.keys().next().value as string);
        }
        return textToolResult(agentText(result));
      },
    }),
  );
  return true;
}

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
  if (lm && toolInvocationToken !== undefined) {
    // go through the language-model tool, so the chat shows the tool call like any agent would make it
    const input = { path: label.path, line: label.line, query: route.query };
    try {
      const toolResult = await lm.invokeTool(TOOL_NAME, { input, toolInvocationToken }, token);
      result = recentToolResults.get(toolKey(input));
      viaTool = toolResultText(toolResult).length > 0;
    } catch (e) {
      server.log.warn(`invoking ${TOOL_NAME} from @cairn: ${String(e)}; asking the server directly`);
    }
  }
  result ??= await recall(server, target, token);

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

  const file = pack.file ?? label.path;
  let text = `### Cairn recall: ${file}${pack.line ? `:${pack.line}` : ''}\n\n*${packSummary(pack)}*${viaTool ? ` · via the \`${TOOL_NAME}\` tool` : ''}\n\n${PACK_PREAMBLE}\n\n`;
  if (pack.notes.length === 0) {
    text += formatPack(pack, { headingLevel: 3 }).split('\n').slice(5).join('\n');
  }
  for (const note of pack.notes) {
    text += formatPackNote(note, { headingLevel: 3 }) + '\n\n';
  }
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

export function registerChatParticipant(context: vscode.ExtensionContext, server: CairnServer): boolean {
  if (!hasChatParticipants()) {
    server.log.info('chat participants are not available in this VS Code: @cairn is not registered');
    return false;
  }
  const handler: vscode.ChatRequestHandler = async (request, _chatContext, stream, token) => {
    const route = routeChatRequest(request.command, request.prompt, activeFileTarget() !== undefined || referencedFile(request) !== undefined);
    try {
      switch (route.kind) {
        case 'recall':
          await runRecall(server, request, route, stream, token);
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
