// When the MCP provider must tell VS Code that its server definitions changed.
//
// Why: `provideMcpServerDefinitions` resolves the command once; if nothing was found then (no cairn on PATH,
// no venv) and the language server later installs the bundled server, or the user grants workspace trust
// (so the workspace's own interpreter may now be used), VS Code keeps the empty answer until told to ask again.

/** The parts of the language server's state that decide what `cairn mcp` resolves to. */
export interface McpInputs {
  /** Where the running language server was found ('bundled', 'venv', …), undefined while none runs. */
  serverSource: string | undefined;
  /** `vscode.workspace.isTrusted`. */
  trusted: boolean;
}

/**
 * True when the answer given for `before` may be out of date for `after`: a language server now runs from a
 * different place (e.g. the bundled server finished installing), or trust was granted. A server that merely
 * stopped changes nothing: the last definition still names a command that exists.
 */
export function mcpDefinitionsChanged(before: McpInputs, after: McpInputs): boolean {
  if (after.trusted !== before.trusted) {
    return true;
  }
  return after.serverSource !== undefined && after.serverSource !== before.serverSource;
}
