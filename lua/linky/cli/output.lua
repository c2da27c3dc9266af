--- The `linky` command's output: standard output and stderr (one line per message), files
-- written atomically, the progress line, and the exit code of each error kind.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.output
local compat = require "linky.compat"
local core = require "linky.core"
local errors = require "linky.errors"
local i18n = require "linky.cli.i18n"

local M = {}

--- Exit codes per error kind (others: 1).
M.EXIT = {
  invalid_argument = 2,
  unauthorized = 3, forbidden = 3,
  not_found = 4,
  rate_limited = 5, budget_exhausted = 5, banned = 5, state_unavailable = 5,
  server_error = 6, timeout = 6, network = 6, tls = 6,
  bad_request = 7, method_not_allowed = 7, http_error = 7, invalid_response = 7,
  callback_error = 1, file_error = 8,
}
M.INTERNAL, M.USAGE, M.TOKEN, M.UNEXPECTED, M.FILE, M.INTERRUPTED = 1, 2, 3, 7, 8, 130

--- The mode of `--mode OCTAL`: 1 to 4 octal digits, at most 0777 (no set-id or sticky bit).
-- @tparam string s
-- @treturn integer|nil the mode
function M.parse_mode(s)
  if type(s) ~= "string" or not s:match("^[0-7][0-7]?[0-7]?[0-7]?$") then return nil end
  local mode = tonumber(s, 8)
  return mode <= 511 and mode or nil
end

--- A word of the command line as messages may quote it: never something that looks like a token.
-- @tparam string word
-- @treturn string
function M.shown(word)
  word = tostring(word)
  if word:find("[%w_-]+%.[%w_-]+%.") or #word > 40 then return "(" .. #word .. " characters, not shown)" end
  return word
end

--- A message as one line of text: line breaks become spaces, other control characters (a word
-- of the command line may hold escape sequences) and bytes that are not UTF-8 become "?".
-- @tparam string s
-- @treturn string
function M.one_line(s)
  return errors.valid_utf8((tostring(s):gsub("[\r\n]+", " "):gsub("%c", "?")))
end

--- Whether a raised message is Lua's standalone interpreter's SIGINT ("interrupted!").
-- @param message what was raised
-- @treturn boolean
function M.is_interrupt(message)
  return type(message) == "string" and message:find("interrupted!$") ~= nil
end

-- What a path names, in messages.
local TYPE_NAMES = { directory = "a folder", fifo = "a FIFO", device = "a device", other = "a special file" }

-- Whether the command may replace what is at `path`: true and the mode to keep (nil when
-- nothing is there), or nil and why not. Only a regular file, or a link to one, is replaced.
local function replaceable(path)
  local kind, mode, why = core.file_type(path)
  if kind == nil then
    if mode then return nil, why end
    return true
  end
  if kind == "link" then
    local target, target_mode = core.file_type(path, true)
    if target == "file" then return true, target_mode end
    return nil, ("it is a symbolic link to %s, not to a regular file"):format(TYPE_NAMES[target] or "nothing")
  end
  if kind ~= "file" then return nil, ("it is %s, not a regular file"):format(TYPE_NAMES[kind]) end
  return true, mode
end

--- Writes a file atomically: a new temporary file in the same folder (`core.create_temp`: an
-- unpredictable name, created exclusively), then a rename. Creates the missing parent folders:
-- 0700 with `private` (the config), else as the umask leaves them (an export another user
-- reads). Replaces only a regular file, or a symbolic link to one (the link itself: what it
-- points to is left as it was); refuses folders, FIFOs, devices. The file gets `mode` exactly
-- (the umask ignored), else the mode of the file it replaces, else 0600; with `private`, 0600
-- always.
-- @tparam string path the file
-- @tparam string data its new content
-- @tparam[opt] boolean private mode 0600, folders 0700
-- @tparam[opt] integer mode the file's mode (0 to 0777; `--mode`)
-- @treturn true|nil
-- @treturn string why it failed
function M.write_atomic(path, data, private, mode)
  local allowed, kept = replaceable(path)
  if not allowed then return nil, kept end
  local made, _, merr = core.mkdirs(path, not private and 511 or nil) -- 0777, less the umask
  if not made then return nil, merr end
  if private then mode = nil else mode = mode or (kept and kept % 512) end
  local f, tmp, terr = core.create_temp(path .. ".tmp-", mode)
  if not f then return nil, terr end
  -- a raise (SIGINT arrives as one) removes the temporary file too, then goes on
  local done, ok, err = pcall(function()
    local written, werr = f:write(data)
    local closed, cerr = f:close() -- flushes and syncs: a full disk shows here at the latest
    if not written or not closed then return nil, tostring(werr or cerr) end
    return os.rename(tmp, path)
  end)
  if done and ok then return true end
  if io.type(f) == "file" then f:close() end
  os.remove(tmp)
  if not done then error(ok, 0) end
  return nil, err
end

--- Reads a whole file.
-- With `max`, only a regular file is read (a folder, a FIFO or a device is refused before it is
-- opened, so nothing waits for a writer), its size is checked before reading and at most
-- `max` + 1 bytes are read (a file may grow meanwhile).
-- @tparam string path
-- @tparam[opt] integer max the largest size accepted, in bytes
-- @treturn string|nil its bytes
-- @treturn string why not
-- @treturn string|nil `"too_large"` when the file is larger than `max`
function M.read_file(path, max)
  if max then
    local kind = core.file_type(path, true)
    if kind and kind ~= "file" then return nil, ("%s: it is a %s, not a regular file"):format(path, kind) end
  end
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local data, rerr
  if max then
    local size = f:seek("end")
    if size and size > max then
      f:close()
      return nil, ("%s: larger than %d bytes"):format(path, max), "too_large"
    end
    f:seek("set")
    data, rerr = f:read(max + 1)
    if data == nil and rerr == nil then data = "" end -- read(n) at the end of an empty file
    if data and #data > max then
      f:close()
      return nil, ("%s: larger than %d bytes"):format(path, max), "too_large"
    end
  else
    data, rerr = f:read("*a")
  end
  f:close()
  if not data then return nil, rerr end
  return data
end

-- The methods below are the command context's (`self`): `self.stdout`, `self.stderr` are the
-- streams (io.stdout and io.stderr unless cli.main was given others).

-- Every message below is a format and its arguments, translated by linky.cli.i18n.

--- One line on stderr: "linky: message"; returns `code`.
function M.fail(self, code, message, ...)
  self.stderr:write("linky: ", M.one_line(i18n.t(message, ...)), "\n")
  return code
end

--- An error of the command itself that has a kind: "linky: kind: message" (in French, the
-- kind's label first, as for the library's errors); returns the kind's exit code.
function M.fail_kind(self, kind, message, ...)
  local label = i18n.kind_label(kind)
  self.stderr:write("linky: ", label and (label .. " : ") or "", kind, ": ", M.one_line(i18n.t(message, ...)),
    "\n")
  return M.EXIT[kind] or M.INTERNAL
end

--- A usage error: one line, exit 2.
function M.usage(self, message, ...)
  local text = i18n.t("usage: %s (see linky --help)", i18n.t(message, ...))
  self.stderr:write("linky: ", M.one_line(text), "\n")
  return M.USAGE
end

--- A warning: one line on stderr.
function M.warn(self, message, ...)
  self.stderr:write("linky: ", M.one_line(i18n.t("warning: %s", i18n.t(message, ...))), "\n")
end

--- A report on stderr that is neither a failure nor a warning: "linky: message".
function M.note(self, message, ...)
  self.stderr:write("linky: ", M.one_line(i18n.t(message, ...)), "\n")
end

--- A line on stderr that is not a message (a prompt, a report): translated, written as it is.
function M.say(self, message, ...)
  self.stderr:write(i18n.t(message, ...))
end

--- What a budget refusal adds under LINKY_TODAY, which moves the dates only: "" without it.
function M.budget_note(self)
  if not self.forced_today then return "" end
  return i18n.t("; the budget keeps real time, whatever date LINKY_TODAY simulates")
end

--- An error object of the library: one line on stderr, and its exit code.
function M.error(self, err)
  -- a SIGINT raised inside a state transaction comes back as the reason of a failed call
  if M.is_interrupt(err.message) then return self:interrupted() end
  local code = M.EXIT[err.kind] or M.INTERNAL
  local reason = err.reason
  if err.kind == "invalid_argument" and (reason == "token_expired" or reason == "token_malformed") then
    code = M.TOKEN
  end
  -- a ban lasts until cleared: its line never names a time to retry at
  local retry = err.kind ~= "banned" and (compat.tointeger(err.retry_at)
    or (type(err.retry_at) == "number" and err.retry_at == err.retry_at and math.floor(err.retry_at)))
  local note = err.kind == "budget_exhausted" and M.budget_note(self) or ""
  -- in French: the kind's label, then the library's English text
  local label = i18n.kind_label(err.kind)
  local text = M.one_line(tostring(err))
  if label then text = "linky: " .. label .. " : " .. text:gsub("^linky: ", "") end
  local at = retry and i18n.t(" (retry after %s UTC)", os.date("!%Y-%m-%d %H:%M:%S", retry)) or ""
  self.stderr:write(text, at, note, "\n")
  return code
end

function M.interrupted(self)
  self.stderr:write("linky: ", i18n.t("interrupted"), "\n")
  return M.INTERRUPTED
end

--- Writes to standard output, flushed: true, or nil and exit code 8 after one line on stderr.
function M.out(self, text)
  local ok, err = self.stdout:write(text)
  if ok then ok, err = self.stdout:flush() end
  if not ok then return nil, self:fail(M.FILE, "cannot write to standard output: %s", tostring(err)) end
  return true
end

--- Writes the output of a command (standard output, or `--output FILE`, of mode `self.mode`
-- when --mode gave one; `-` is standard output): true, or nil and exit code 8.
function M.write(self, text)
  local path = self.args.output
  if not path or path == "-" then return self:out(text) end
  local ok, err = M.write_atomic(path, text, nil, self.mode)
  if not ok then return nil, self:fail(M.FILE, "cannot write %s: %s", path, tostring(err)) end
  return true
end

--- The progress callback of the library's fetch loop, on a terminal (stderr) unless --quiet:
-- "request i of n" when a call needs several requests, and a retry's reason and wait.
-- @treturn function|nil
function M.progress(self)
  if self.args.quiet or self.stderr ~= io.stderr or not core.isatty(2) then return nil end
  return function(i, n, retry)
    if n < 2 and not retry then return end
    local note = ""
    if retry and retry.budget then
      self.stderr:write("\rlinky: ", i18n.t("waiting %d s for budget slots that free now",
        compat.tointeger(math.ceil(tonumber(retry.wait) or 0)) or 0), " \27[K")
      self.progress_shown = true
      return
    end
    if retry then
      local why = type(retry.error) == "table" and retry.error.kind
      note = i18n.t(", %sretry in %d s", why and (tostring(why) .. ", ") or "",
        compat.tointeger(math.ceil(tonumber(retry.wait) or 0)) or 0)
    end
    self.stderr:write("\rlinky: ", i18n.t("request %d of %d%s", i, n, note), " \27[K")
    self.progress_shown = true
  end
end

--- Puts the terminal back as the command found it: echo, the token prompt's line ended, and no
-- progress line left.
function M.restore_terminal(self)
  if self.echo_was ~= nil then
    core.set_echo(0, self.echo_was)
    self.echo_was = nil
  end
  if self.prompt_open then
    self.prompt_open = nil
    self.stderr:write("\n")
  end
  if self.progress_shown then
    self.stderr:write("\r\27[K")
    self.progress_shown = nil
  end
end

return M
