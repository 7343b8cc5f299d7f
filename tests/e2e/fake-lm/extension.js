// Test-only language-model provider (VS Code >= 1.104 API): the Chat view refuses to send any request,
// even to a participant that never calls a model, unless a model exists. This one answers offline:
// "FAKE-LM-REPLY to: <last user message>" plus how much context it was given, so a test can tell
// that @cairn passed the recall pack to the model.
const vscode = require('vscode');

function textOf(message) {
  return (message?.content || []).map((p) => (typeof p?.value === 'string' ? p.value : '')).join('');
}

exports.activate = function activate(context) {
  const model = {
    id: 'fake-1', name: 'Fake Model', family: 'fake', version: '1',
    maxInputTokens: 100000, maxOutputTokens: 4096,
    capabilities: { toolCalling: true, imageInput: false }, tooltip: 'Cairn e2e fake model',
  };
  context.subscriptions.push(vscode.lm.registerLanguageModelChatProvider('cairne2e', {
    provideLanguageModelChatInformation() { return [model]; },
    async provideLanguageModelChatResponse(_model, messages, _options, progress) {
      const last = textOf(messages[messages.length - 1]).replace(/\s+/g, ' ').trim();
      const context = messages.slice(0, -1).map(textOf).join('\n');
      const sawPack = /Cairn recall|agent-context\//.test(context) ? 'with the recall pack' : 'without a recall pack';
      progress.report(new vscode.LanguageModelTextPart(`FAKE-LM-REPLY to: ${last.slice(0, 80)} (${sawPack}, ${context.length} chars)`));
    },
    async provideTokenCount(_model, text) { return typeof text === 'string' ? Math.ceil(text.length / 4) : 10; },
  }));
  // The workbench resolves a vendor's models lazily (on the first request or when the model picker opens), and a
  // request sent before that fails with "Language model unavailable" (only Copilot's models are a default). Ask for
  // ours now: the Chat view's model picker then shows "Fake Model", which the e2e driver waits for before sending.
  Promise.resolve(vscode.lm.selectChatModels({ vendor: 'cairne2e' })).catch(() => undefined);
};
exports.deactivate = function deactivate() {};
