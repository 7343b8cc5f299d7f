// The "Cairn Notes" view in the Explorer: every note grouped by kind or by anchored file, stale and expired
// first with their badges, each opening the note, each anchor jumping to its code. Refreshed whenever the
// server reports new counts (`cairn/statusChanged`) or restarts. Grouping and labels: core/notesTree.ts.
import * as cp from 'node:child_process';
import * as vscode from 'vscode';
import {
  anchorLabel,
  asNotesList,
  attentionCount,
  groupDescription,
  groupNotes,
  noteDescription,
  type AnchorEntry,
  type Group,
  type GroupBy,
  type InvalidEntry,
  type NoteEntry,
  type NotesList,
} from './core/notesTree';
import { Requests } from './core/protocol';
import { describeCommand } from './core/serverCommand';
import { resolveCommand } from './interpreter';
import type { CairnServer } from './server';

export const NOTES_VIEW_ID = 'cairn.notes';
const GROUP_KEY = 'cairn.notesView.groupBy';

type Node =
  | { type: 'group'; group: Group }
  | { type: 'invalid-group'; entries: InvalidEntry[] }
  | { type: 'note'; note: NoteEntry }
  | { type: 'anchor'; anchor: AnchorEntry }
  | { type: 'invalid'; entry: InvalidEntry };

function openAt(uri: string, lines: [number, number]): vscode.Command {
  const range = new vscode.Range(lines[0] - 1, 0, lines[1] - 1, 0); // 1-based lines from the server
  return { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.parse(uri), { selection: range, preview: true }] };
}

const STATE_ICON: Record<string, vscode.ThemeIcon> = {
  stale: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  expired: new vscode.ThemeIcon('history', new vscode.ThemeColor('list.warningForeground')),
};

class NotesTree implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  list: NotesList | undefined;

  constructor(
    private readonly server: CairnServer,
    private groupBy: GroupBy,
  ) {}

  setGroupBy(by: GroupBy): void {
    this.groupBy = by;
    this.emitter.fire(undefined);
  }

  async load(): Promise<void> {
    if (this.server.state !== 'running') {
      this.list = undefined;
    } else {
      try {
        this.list = asNotesList(await this.server.request<unknown>(Requests.notes, {}, false));
      } catch (e) {
        this.server.log.warn(`cairn/notes: ${String(e)}`);
      }
    }
    this.emitter.fire(undefined);
  }

  getChildren(node?: Node): Node[] {
    const list = this.list;
    if (!list) {
      return [];
    }
    if (!node) {
      if (list.notes.length === 0 && list.invalid.length === 0) {
        return []; // the welcome content (New Note from Selection, Initialize) shows instead
      }
      const top: Node[] = list.invalid.length ? [{ type: 'invalid-group', entries: list.invalid }] : [];
      return [...top, ...groupNotes(list, this.groupBy).map((group): Node => ({ type: 'group', group }))];
    }
    switch (node.type) {
      case 'group':
        return node.group.notes.map((note): Node => ({ type: 'note', note }));
      case 'invalid-group':
        return node.entries.map((entry): Node => ({ type: 'invalid', entry }));
      case 'note':
        return node.note.anchors.map((anchor): Node => ({ type: 'anchor', anchor }));
      default:
        return [];
    }
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (node.type) {
      case 'group': {
        const item = new vscode.TreeItem(node.group.label, C.Expanded);
        item.description = groupDescription(node.group);
        item.iconPath = this.groupBy === 'kind' ? new vscode.ThemeIcon('symbol-folder') : vscode.ThemeIcon.File;
        if (this.groupBy === 'file' && node.group.notes[0]?.anchors.length) {
          item.resourceUri = vscode.Uri.parse(node.group.notes[0].anchors.find((a) => a.path === node.group.key)?.uri ?? '');
        }
        item.contextValue = 'cairn.group';
        return item;
      }
      case 'invalid-group': {
        const item = new vscode.TreeItem('invalid notes', C.Expanded);
        item.description = String(node.entries.length);
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
        return item;
      }
      case 'note': {
        const n = node.note;
        const item = new vscode.TreeItem(n.title, n.anchors.length ? C.Collapsed : C.None);
        item.description = noteDescription(n);
        item.iconPath = STATE_ICON[n.state] ?? new vscode.ThemeIcon('note');
        // plain text only: titles are untrusted note content
        item.tooltip = `${n.title}\n${n.kind} · ${n.badge || n.state}\n${n.path}`;
        item.command = { command: 'vscode.open', title: 'Open Note', arguments: [vscode.Uri.parse(n.uri)] };
        item.contextValue = `cairn.note.${n.state}`;
        return item;
      }
      case 'anchor': {
        const a = node.anchor;
        const item = new vscode.TreeItem(anchorLabel(a), C.None);
        item.description = a.status === 'intact' ? '' : a.status;
        item.iconPath = new vscode.ThemeIcon('code');
        item.command = openAt(a.uri, a.lines);
        return item;
      }
      case 'invalid': {
        const e = node.entry;
        const item = new vscode.TreeItem(e.path, C.None);
        item.description = e.message;
        item.tooltip = `${e.path}:${e.line}: ${e.message}`;
        item.iconPath = new vscode.ThemeIcon('error');
        item.command = openAt(e.uri, [e.line, e.line]);
        return item;
      }
    }
  }
}

/** `cairn init` in the first workspace folder with the same server lookup as the language server. */
async function initWorkspace(context: vscode.ExtensionContext, server: CairnServer): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
  if (!folder) {
    void vscode.window.showErrorMessage('Cairn: open a folder first.');
    return;
  }
  const res = await resolveCommand('init', context);
  if (!res.found) {
    void vscode.window.showErrorMessage('Cairn: no Cairn server was found to run "cairn init" (see "Cairn: Show Server Log").');
    return;
  }
  const found = res.found;
  server.log.info(`$ ${describeCommand(found)} (in ${folder.uri.fsPath})`);
  const result = await new Promise<{ ok: boolean; out: string }>((resolve) => {
    cp.execFile(found.command, found.args, { cwd: folder.uri.fsPath, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ ok: !err, out: `${stdout}${stderr}`.trim() }),
    );
  });
  server.log.info(result.out);
  if (!result.ok) {
    void vscode.window.showErrorMessage(`Cairn: init failed: ${result.out.split('\n').pop() ?? ''}`);
    return;
  }
  void vscode.window.showInformationMessage(`Cairn: initialized ${folder.name} (notes go under agent-context/).`);
  await server.restart();
}

export function registerNotesView(context: vscode.ExtensionContext, server: CairnServer): void {
  const initial = context.workspaceState.get<GroupBy>(GROUP_KEY) === 'file' ? 'file' : 'kind';
  const tree = new NotesTree(server, initial);
  const view = vscode.window.createTreeView(NOTES_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  const setGroup = async (by: GroupBy): Promise<void> => {
    await context.workspaceState.update(GROUP_KEY, by);
    await vscode.commands.executeCommand('setContext', GROUP_KEY, by);
    tree.setGroupBy(by);
  };
  void vscode.commands.executeCommand('setContext', GROUP_KEY, initial);
  let lastKey = '';
  const reload = async (): Promise<void> => {
    await tree.load();
    view.badge = tree.list && attentionCount(tree.list).value > 0 ? attentionCount(tree.list) : undefined;
  };
  context.subscriptions.push(
    view,
    vscode.commands.registerCommand('cairn.notesView.refresh', reload),
    vscode.commands.registerCommand('cairn.notesView.groupByKind', () => setGroup('kind')),
    vscode.commands.registerCommand('cairn.notesView.groupByFile', () => setGroup('file')),
    vscode.commands.registerCommand('cairn.initWorkspace', () => initWorkspace(context, server)),
    // the server fires onDidChange on state changes and on every cairn/statusChanged
    server.onDidChange(() => {
      const key = `${server.state}:${JSON.stringify(server.status ?? null)}`;
      if (key !== lastKey) {
        lastKey = key;
        void reload();
      }
    }),
  );
  void reload();
}
