// The palette commands: recall preview + copy, new note from selection, search, stale notes, restart, log.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { kindItems, titlePlaceholder, type KindItem } from './core/kinds';
import { emptyPackHint, recallTitle, stateBadge, staleDetail } from './core/pack';
import { ServerCommands, type NoteRef, type SearchHit, type StaleNote } from './core/protocol';
import { activeFileTarget, agentText, recall } from './recall';
import type { CairnServer } from './server';

export const RECALL_SCHEME = 'cairn-recall';

interface ShownRecall {
  preview: string;
  agent: string;
}

/** Virtual documents behind the recall preview (`cairn-recall:` URIs). */
class RecallDocuments implements vscode.TextDocumentContentProvider {
  private readonly docs = new Map<string, ShownRecall>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  last: vscode.Uri | undefined;

  set(uri: vscode.Uri, shown: ShownRecall): void {
    this.docs.set(uri.toString(), shown);
    this.last = uri;
    this.emitter.fire(uri);
  }

  get(uri: vscode.Uri | undefined): ShownRecall | undefined {
    return uri ? this.docs.get(uri.toString()) : undefined;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.toString())?.preview ?? '# Cairn recall\n\nThis recall is no longer available: run **Cairn: Recall for This File** again.\n';
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function withProgress<T>(title: string, task: (token: vscode.CancellationToken) => Promise<T>): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title, cancellable: false }, (_p, token) => task(token));
}

function relative(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}

export function registerCommands(context: vscode.ExtensionContext, server: CairnServer): void {
  const docs = new RecallDocuments();
  const sub = context.subscriptions;
  sub.push(vscode.workspace.registerTextDocumentContentProvider(RECALL_SCHEME, docs));

  // the recall preview is a webview (the markdown preview): tell the editor/title menu when one of ours is active
  const previewLabels = new Map<string, vscode.Uri>();
  const activeRecallPreview = (): vscode.Uri | undefined => {
    const tab = vscode.window.tabGroups?.activeTabGroup?.activeTab;
    return tab && tab.input instanceof vscode.TabInputWebview ? previewLabels.get(tab.label) : undefined;
  };
  const updateContext = (): void => {
    void vscode.commands.executeCommand('setContext', 'cairn.recallPreviewActive', activeRecallPreview() !== undefined);
  };
  if (vscode.window.tabGroups) {
    sub.push(vscode.window.tabGroups.onDidChangeTabs(updateContext), vscode.window.tabGroups.onDidChangeTabGroups(updateContext));
  }

  const copy = async (text: string, what: string): Promise<void> => {
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage(`$(copy) Cairn: ${what} copied — paste it into your agent chat`, 6000);
  };

  sub.push(
    vscode.commands.registerCommand('cairn.recallForFile', async () => {
      const target = activeFileTarget();
      if (!target) {
        void vscode.window.showInformationMessage('Cairn: open a file of the workspace to recall its notes.');
        return;
      }
      try {
        const result = await withProgress('Cairn: recalling notes…', (token) => recall(server, target, token));
        const file = result.pack.file ?? relative(target.uri);
        const uri = vscode.Uri.from({
          scheme: RECALL_SCHEME,
          path: `/${recallTitle(file)}.md`,
          query: new URLSearchParams({ file: target.uri.toString(), line: String((target.line ?? 0) + 1) }).toString(),
        });
        // the server's markdown as it is (the pack `cairn recall` prints); it has no links to the notes, which
        // the markdown preview would refuse anyway (file: links fail its link validation)
        docs.set(uri, { preview: agentText(result) + emptyPackHint(result.pack), agent: agentText(result) });
        previewLabels.set(`Preview ${path.posix.basename(uri.path)}`, uri);
        try {
          await vscode.commands.executeCommand('markdown.showPreviewToSide', uri);
        } catch {
          // no built-in markdown preview (disabled): show the markdown source beside the editor
          const doc = await vscode.workspace.openTextDocument(uri);
          await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
          await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
        }
        const n = result.pack.notes.length;
        void vscode.window
          .showInformationMessage(`Cairn: ${n} ${n === 1 ? 'note' : 'notes'} for ${path.basename(file)}.`, 'Copy for Agent Chat')
          .then(async (choice) => {
            if (choice) {
              await copy(agentText(result), `recall for ${path.basename(file)}`);
            }
          });
      } catch (e) {
        void vscode.window.showErrorMessage(`Cairn: recall failed: ${errorText(e)}`);
      }
    }),

    vscode.commands.registerCommand('cairn.copyRecall', async () => {
      const target = activeFileTarget();
      if (!target) {
        void vscode.window.showInformationMessage('Cairn: open a file of the workspace to copy its recall.');
        return;
      }
      try {
        const result = await withProgress('Cairn: recalling notes…', (token) => recall(server, target, token));
        const n = result.pack.notes.length;
        await copy(agentText(result), `recall for ${path.basename(target.uri.fsPath)} (${n} ${n === 1 ? 'note' : 'notes'})`);
      } catch (e) {
        void vscode.window.showErrorMessage(`Cairn: recall failed: ${errorText(e)}`);
      }
    }),

    vscode.commands.registerCommand('cairn.copyShownRecall', async (uri?: vscode.Uri) => {
      const shown = docs.get(uri instanceof vscode.Uri && uri.scheme === RECALL_SCHEME ? uri : undefined) ?? docs.get(activeRecallPreview()) ?? docs.get(docs.last);
      if (!shown) {
        void vscode.window.showInformationMessage('Cairn: run "Cairn: Recall for This File" first.');
        return;
      }
      await copy(shown.agent, 'recall');
    }),

    vscode.commands.registerCommand('cairn.newNoteFromSelection', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.uri.scheme !== 'file') {
        void vscode.window.showInformationMessage('Cairn: select code in a file of the workspace first.');
        return;
      }
      const sel = editor.selection;
      const range = sel.isEmpty ? editor.document.lineAt(sel.active.line).range : sel;
      const c2p = server.languageClient?.code2ProtocolConverter;
      const docUri = c2p ? c2p.asUri(editor.document.uri) : editor.document.uri.toString();
      let kinds: KindItem[];
      try {
        kinds = kindItems((await server.kinds(docUri)).kinds ?? []);
      } catch (e) {
        void vscode.window.showErrorMessage(`Cairn: cannot read the kinds of note: ${errorText(e)}`);
        return;
      }
      const kind = await vscode.window.showQuickPick(kinds, {
        title: `Cairn: new note on ${relative(editor.document.uri)}:${range.start.line + 1}-${range.end.line + 1}`,
        placeHolder: 'Kind of note',
      });
      if (!kind) {
        return;
      }
      const title = await vscode.window.showInputBox({
        title: `Cairn: new ${kind.noteKind}`,
        prompt: 'Title of the note (one line: what the next person must know)',
        placeHolder: titlePlaceholder(kind.noteKind),
        validateInput: (v) => (v.trim() ? undefined : 'A title is required'),
      });
      if (!title) {
        return;
      }
      try {
        const args = {
          uri: docUri,
          range: {
            start: { line: range.start.line, character: range.start.character },
            end: { line: range.end.line, character: range.end.character },
          },
          kind: kind.noteKind,
          title: title.trim(),
        };
        const note = await server.executeCommand<NoteRef>(ServerCommands.newNote, [args]);
        if (!note || typeof note.uri !== 'string') {
          throw new Error('the server did not return the new note');
        }
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(note.uri));
        await vscode.window.showTextDocument(doc, { preview: false });
        vscode.window.setStatusBarMessage(`$(note) Cairn: created ${note.path}`, 5000);
      } catch (e) {
        void vscode.window.showErrorMessage(`Cairn: could not create the note: ${errorText(e)}`);
      }
    }),

    vscode.commands.registerCommand('cairn.searchNotes', () => searchNotes(server)),

    vscode.commands.registerCommand('cairn.showStale', () => showStale(server)),

    vscode.commands.registerCommand('cairn.restartServer', async () => {
      server.log.info('restart requested');
      await server.restart();
      if (server.state === 'running') {
        vscode.window.setStatusBarMessage('$(check) Cairn: server restarted', 4000);
      }
    }),

    vscode.commands.registerCommand('cairn.showServerLog', () => server.log.show(true)),
  );
}

type HitItem = vscode.QuickPickItem & { hit?: SearchHit };

async function searchNotes(server: CairnServer): Promise<void> {
  const qp = vscode.window.createQuickPick<HitItem>();
  qp.title = 'Cairn: Search Notes';
  qp.placeholder = 'Words to search the notes for (titles, bodies, tags)';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  let timer: NodeJS.Timeout | undefined;
  let cts: vscode.CancellationTokenSource | undefined;
  let seq = 0;
  const run = async (query: string): Promise<void> => {
    cts?.cancel();
    cts = new vscode.CancellationTokenSource();
    const mine = ++seq;
    if (!query.trim()) {
      qp.items = [];
      qp.busy = false;
      return;
    }
    qp.busy = true;
    try {
      const result = await server.search(query, 30, cts.token);
      if (mine !== seq) {
        return;
      }
      const hits = result?.hits ?? [];
      qp.items = hits.length
        ? hits.map((hit) => ({
            label: `${hit.state === 'stale' ? '$(warning) ' : ''}${hit.title || hit.id}`,
            description: `${hit.kind} · ${stateBadge(hit.state)} · ${hit.path}`,
            detail: hit.snippet?.replace(/\s+/g, ' ').trim(),
            alwaysShow: true, // the server ranks; don't let the quick pick filter its results away
            hit,
          }))
        : [{ label: '$(circle-slash) No matching notes', alwaysShow: true }];
    } catch (e) {
      if (mine === seq) {
        qp.items = [{ label: `$(error) ${errorText(e)}`, alwaysShow: true }];
      }
    } finally {
      if (mine === seq) {
        qp.busy = false;
      }
    }
  };
  qp.onDidChangeValue((value) => {
    if (timer) {
      clearTimeout(timer);
    }
    timer = setTimeout(() => void run(value), 200);
  });
  qp.onDidAccept(async () => {
    const hit = qp.selectedItems[0]?.hit;
    if (!hit) {
      return;
    }
    qp.hide();
    await vscode.window.showTextDocument(vscode.Uri.parse(hit.uri), { preview: false });
  });
  qp.onDidHide(() => {
    if (timer) {
      clearTimeout(timer);
    }
    cts?.cancel();
    qp.dispose();
  });
  qp.show();
}

type StaleItem = vscode.QuickPickItem & { note?: StaleNote; file?: vscode.Uri; lines?: [number, number] };

async function showStale(server: CairnServer): Promise<void> {
  // the Problems panel holds the stale-note diagnostics (source "cairn") at the code they describe
  await vscode.commands.executeCommand('workbench.actions.view.problems').then(undefined, () => undefined);
  let notes: StaleNote[];
  try {
    notes = (await server.stale())?.notes ?? [];
  } catch (e) {
    void vscode.window.showErrorMessage(`Cairn: could not list stale notes: ${errorText(e)}`);
    return;
  }
  if (notes.length === 0) {
    vscode.window.setStatusBarMessage('$(check) Cairn: no stale notes', 5000);
    return;
  }
  const root = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri;
  const openNote = { iconPath: new vscode.ThemeIcon('go-to-file'), tooltip: 'Open the note' };
  const items: StaleItem[] = notes.map((note) => {
    const anchor = note.anchors?.[0];
    const first = anchor ? (anchor.current ?? anchor) : undefined; // where the code is now, else as recorded
    const lines = first && Array.isArray(first.lines) && first.lines.length >= 2 ? ([first.lines[0], first.lines[1]] as [number, number]) : undefined;
    return {
      label: `$(warning) ${note.title || note.id}`,
      description: note.path,
      detail: staleDetail(note),
      note,
      file: first && root ? vscode.Uri.joinPath(root, first.path) : undefined,
      lines,
      buttons: [openNote],
    };
  });
  const qp = vscode.window.createQuickPick<StaleItem>();
  qp.title = `Cairn: ${notes.length} stale ${notes.length === 1 ? 'note' : 'notes'} (also in the Problems panel)`;
  qp.placeholder = 'Pick one to see the code it describes; the button opens the note';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.items = items;
  qp.onDidTriggerItemButton(async (e) => {
    qp.hide();
    if (e.item.note) {
      await vscode.window.showTextDocument(vscode.Uri.parse(e.item.note.uri), { preview: false });
    }
  });
  qp.onDidAccept(async () => {
    const item = qp.selectedItems[0];
    qp.hide();
    if (item?.file) {
      const sel = item.lines ? new vscode.Range(item.lines[0] - 1, 0, item.lines[1] - 1, 0) : undefined;
      await vscode.window.showTextDocument(item.file, { selection: sel, preview: true });
    } else if (item?.note) {
      await vscode.window.showTextDocument(vscode.Uri.parse(item.note.uri));
    }
  });
  qp.onDidHide(() => qp.dispose());
  qp.show();
}
