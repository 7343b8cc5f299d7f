-- Headless Neovim (0.7+) driving `cairn serve` as a user of that editor would, through Neovim's own LSP
-- client: open a file of the repository, see the stale diagnostic, hover the anchored line, list the
-- code actions and execute the re-anchor quick fix, run "Open note". Every wait is vim.wait with a
-- deadline on an observable condition. The results go to $CAIRN_OUT as JSON for pytest to check; any
-- failed expectation here exits non-zero with its message in that file.
--
-- Only APIs Neovim 0.7.2 (Debian bookworm) has: vim.lsp.start_client, buf_attach_client,
-- client.request_sync, vim.diagnostic.get, vim.wait.
local env = vim.env
local root, file, out = env.CAIRN_ROOT, env.CAIRN_FILE, env.CAIRN_OUT
local line = tonumber(env.CAIRN_LINE)        -- 1-based line of the stale anchor
local timeout = tonumber(env.CAIRN_TIMEOUT or "30000")
local results = { steps = {} }

local function save()
  vim.fn.writefile({ vim.fn.json_encode(results) }, out)
end

local function step(name, value)
  results[name] = value
  table.insert(results.steps, name)
  save()
end

local function fail(message)
  results.error = message
  save()
  vim.cmd("cquit 1")
end

local function wait(what, predicate)
  if not vim.wait(timeout, predicate, 50) then
    fail("timed out after " .. timeout .. " ms waiting for " .. what)
  end
end

local function request(client, method, params)
  local response, err = client.request_sync(method, params, timeout, vim.api.nvim_get_current_buf())
  if not response then
    fail(method .. ": no answer (" .. tostring(err) .. ")")
  end
  if response.err then
    fail(method .. ": " .. vim.inspect(response.err))
  end
  return response.result
end

local function run()
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local initialized = false
  local client_id = vim.lsp.start_client({
    name = "cairn",
    cmd = vim.fn.json_decode(env.CAIRN_SERVER),
    root_dir = root,
    on_init = function() initialized = true end,
  })
  if not client_id then
    fail("vim.lsp.start_client failed")
  end
  wait("initialize", function() return initialized end)
  local client = vim.lsp.get_client_by_id(client_id)
  vim.lsp.buf_attach_client(bufnr, client_id)
  step("server", client.server_capabilities and client.server_capabilities.positionEncoding or "utf-16")

  -- Lua's {} is sent as [] on the wire: a request without arguments must still be answered.
  local status = request(client, "cairn/status", {})
  step("status", status)

  -- The stale diagnostic on the anchored lines.
  wait("the stale diagnostic", function() return #vim.diagnostic.get(bufnr) > 0 end)
  local diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local original = d.user_data and d.user_data.lsp or {}
    table.insert(diagnostics, { lnum = d.lnum, message = d.message, source = d.source,
                                code = d.code or original.code })
  end
  step("diagnostics", diagnostics)
  -- The diagnostics at the line in LSP shape, as vim.lsp.buf.code_action() sends them as context.
  local lsp_diagnostics = vim.lsp.diagnostic.get_line_diagnostics(bufnr, line - 1)

  -- Hover the anchored line.
  vim.api.nvim_win_set_cursor(0, { line, 0 })
  local hover = request(client, "textDocument/hover", vim.lsp.util.make_position_params())
  step("hover", hover and hover.contents and (hover.contents.value or hover.contents) or vim.NIL)

  -- The code actions there, with the diagnostics as context, as Neovim's vim.lsp.buf.code_action() sends.
  local pos = { line = line - 1, character = 0 }
  local actions = request(client, "textDocument/codeAction", {
    textDocument = vim.lsp.util.make_text_document_params(),
    range = { start = pos, ["end"] = pos },
    context = { diagnostics = lsp_diagnostics },
  }) or {}
  local titles = {}
  for _, a in ipairs(actions) do table.insert(titles, a.title) end
  step("actions", titles)

  local function action(prefix)
    for _, a in ipairs(actions) do
      if a.title:sub(1, #prefix) == prefix then return a end
    end
    fail("no code action starting with " .. prefix .. " among " .. vim.inspect(titles))
  end

  -- "Open note": Neovim 0.7 has no window/showDocument, so the command answers with the note's uri.
  local open = action("Open note").command
  local opened = request(client, "workspace/executeCommand", { command = open.command, arguments = open.arguments })
  step("opened", opened)

  -- Execute the quick fix (re-anchor and mark reviewed): the diagnostic goes away.
  local fix = action("Re-anchor").command
  local fixed = request(client, "workspace/executeCommand", { command = fix.command, arguments = fix.arguments })
  step("fixed", fixed)
  wait("the diagnostic to clear", function() return #vim.diagnostic.get(bufnr) == 0 end)
  step("cleared", true)
  step("status_after", request(client, "cairn/status", vim.NIL))

  vim.lsp.stop_client(client_id)
  wait("the server to stop", function() return vim.lsp.client_is_stopped(client_id) end)
  step("done", true)
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  fail(tostring(err))
end
vim.cmd("qall!")
