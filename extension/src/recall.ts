// Recall for a file: shared by the preview command, the copy command, the chat participant and the LM tool.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { packSummary } from './core/pack';
import type { RecallResult } from './core/protocol';
import type { CairnServer } from './server';

export interface RecallTarget {
  uri: vscode.Uri;
  /** 0-based line of the cursor, when known. */
  line?: number;
  character?: number;
  query?: string;
}

export function recallBudget(): number {
  return vscode.workspace.getConfiguration('cairn').get<number>('recall.budget') ?? 2000;
}

/** The server's recall pack for `target`; its markdown with the title at `headingLevel` (1 for files, 3 in chat). */
export async function recall(server: CairnServer, target: RecallTarget, token?: vscode.CancellationToken, headingLevel = 1): Promise<RecallResult> {
  const uri = server.languageClient?.code2ProtocolConverter.asUri(target.uri) ?? target.uri.toString();
  const result = await server.recall(
    {
      uri,
      position: target.line !== undefined ? { line: target.line, character: target.character ?? 0 } : undefined,
      query: target.query,
      budget: recallBudget(),
      headingLevel,
    },
    token,
  );
  if (!result || typeof result !== 'object' || !result.pack || !Array.isArray(result.pack.notes)) {
    throw new Error('the server answered cairn/recall without a pack');
  }
  return result;
}

/** The text an agent (and the preview) gets: the server's markdown, the same pack `cairn recall` and MCP give. */
export function agentText(result: RecallResult): string {
  return typeof result.markdown === 'string' && result.markdown.trim() ? result.markdown : `*${packSummary(result.pack)}*\n`;
}

let lastFileEditor: vscode.TextEditor | undefined;

/** Remember the last file editor, so commands run from a preview or the chat view still know the file. */
export function trackActiveEditor(context: vscode.ExtensionContext): void {
  const note = (e: vscode.TextEditor | undefined): void => {
    if (e && e.document.uri.scheme === 'file') {
      lastFileEditor = e;
    }
  };
  note(vscode.window.activeTextEditor);
  context.subscriptions.push(vscode.window.onDidChangeActiveTextEditor(note));
}

/** The file (and cursor) recall is for: the active file editor, else a visible one, else the last one. */
export function activeFileTarget(): RecallTarget | undefined {
  const isFile = (e: vscode.TextEditor | undefined): e is vscode.TextEditor => !!e && e.document.uri.scheme === 'file' && !e.document.isClosed;
  const editor = [vscode.window.activeTextEditor, ...vscode.window.visibleTextEditors, lastFileEditor].find(isFile);
  if (!editor) {
    return undefined;
  }
  const pos = editor.selection.active;
  return { uri: editor.document.uri, line: pos.line, character: pos.character };
}

/** A workspace-relative or absolute path (as a model or a user writes it) to a file URI. */
export function resolveWorkspacePath(p: string): vscode.Uri | undefined {
  if (/^[a-z][\w+.-]+:\/\//i.test(p)) {
    try {
      return vscode.Uri.parse(p, true);
    } catch {
      return undefined;
    }
  }
  if (path.isAbsolute(p)) {
    return vscode.Uri.file(p);
  }
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  const rel = p.replace(/^\.[\\/]/, '');
  for (const f of folders) {
    const candidate = path.join(f.uri.fsPath, rel);
    if (fs.existsSync(candidate)) {
      return vscode.Uri.file(candidate);
    }
  }
  // `folderName/rest` in a multi-root workspace
  for (const f of folders) {
    const prefix = f.name + '/';
    if (rel.startsWith(prefix)) {
      return vscode.Uri.file(path.join(f.uri.fsPath, rel.slice(prefix.length)));
    }
  }
  return folders[0] ? vscode.Uri.file(path.join(folders[0].uri.fsPath, rel)) : undefined;
}

export function untrustedMarkdown(text: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(text);
  md.isTrusted = false;
  md.supportHtml = false;
  return md;
}
