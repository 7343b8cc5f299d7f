// The kinds of note offered by "New Note from Selection". Which kinds exist is the server's answer
// (`cairn/kinds`, from config.toml); this only dresses each one for the quick pick.

export interface KindItem {
  noteKind: string;
  label: string;
  description: string;
}

const KNOWN: Record<string, { icon: string; description: string }> = {
  decision: { icon: 'law', description: 'why the code is the way it is; what was rejected' },
  pattern: { icon: 'symbol-structure', description: 'how things are done here; follow it' },
  gotcha: { icon: 'warning', description: 'a trap the next person (or agent) will fall into' },
  session: { icon: 'history', description: 'what a work session changed and why; fades fast' },
};

/** Quick-pick items for the configured kinds, in the server's order; kinds without a known look get a plain one. */
export function kindItems(kinds: readonly unknown[]): KindItem[] {
  const names = [...new Set(kinds.filter((k): k is string => typeof k === 'string' && k.trim() !== ''))];
  return names.map((name) => {
    const known = KNOWN[name];
    return known
      ? { noteKind: name, label: `$(${known.icon}) ${name}`, description: known.description }
      : { noteKind: name, label: `$(note) ${name}`, description: 'a kind configured in config.toml' };
  });
}

/** An example title for the input box, by kind. */
export function titlePlaceholder(kind: string): string {
  return kind === 'gotcha' ? 'e.g. Tokens are compared in constant time' : 'e.g. Why we chose JWT over server sessions';
}
