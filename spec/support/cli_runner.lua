-- Runs the linky command (bin/linky) as a child process for the command's specs: in a private
-- folder (working folder, config, state, HOME), so that relative paths a command line names land
-- there; with no token unless given; optionally on a pseudo-terminal.
local emu = require "spec.support.emulator_spec_helper"
local versions = require "spec.support.versions"

local quote, read = emu.quote, emu.read_file

local M = {}

local pwd = assert(io.popen("pwd"))
--- The repository (the specs run from it).
M.ROOT = pwd:read("*l")
pwd:close()

-- A search path with its relative entries made absolute.
local function absolute(path)
  return (path:gsub("%f[^;%z]%./", M.ROOT .. "/"))
end

--- Module paths for children running elsewhere than the repository: the Makefile's (busted puts
-- ./csrc/ first in its own package.cpath, where a stray build would shadow the module under test).
M.LUA_PATH = absolute(os.getenv("LUA_PATH") or package.path)
M.LUA_CPATH = absolute(os.getenv("LUA_CPATH") or package.cpath)

--- The command as a shell word list: it runs on the interpreter running the specs.
M.LINKY = versions.LUA .. " " .. quote(M.ROOT .. "/bin/linky")

--- A stream that keeps what is written (`b.text`), for `cli.main`'s injected stdout and stderr
-- when the command runs in process.
-- @treturn table with `write`, `flush` and `text`
function M.buffer()
  local b = { text = "" }
  function b.write(self, ...)
    for _, s in ipairs { ... } do self.text = self.text .. s end
    return self
  end
  function b.flush() return true end
  return b
end

local Runner = {}
Runner.__index = Runner

--- A runner working in a new temporary folder (removed by `remove`).
-- @treturn table with `dir`, `token_file` (TOKEN1) and the methods below
function M.new()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. quote(dir .. "/config")))
  local self = setmetatable({ dir = dir, token_file = dir .. "/token" }, Runner)
  self:write("token", emu.TOKEN1 .. "\n")
  return self
end

function Runner:remove()
  os.execute("rm -rf " .. quote(self.dir))
end

--- Writes a file of the runner's folder.
-- @treturn string its path
function Runner:write(name, data)
  local path = self.dir .. "/" .. name
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
  return path
end

--- The environment assignments of a run (`env` adds or, with false, removes variables).
function Runner:env(env)
  local vars = { LUA_PATH = M.LUA_PATH, LUA_CPATH = M.LUA_CPATH,
    XDG_CONFIG_HOME = self.dir .. "/config", HOME = self.dir, LINKY_TOKEN = "", NO_COLOR = "",
    LINKY_TODAY = "2026-04-04", XDG_STATE_HOME = self.dir .. "/state", LUA_INIT = false, LUA_INIT_5_4 = false,
    LUA_INIT_5_3 = false, LUA_INIT_5_2 = false }
  for k, v in pairs(env or {}) do vars[k] = v end
  local unset, set = {}, {}
  for k, v in pairs(vars) do
    if v == false then unset[#unset + 1] = "-u " .. k else set[#set + 1] = k .. "=" .. quote(v) end
  end
  table.sort(unset)
  table.sort(set)
  return "env " .. table.concat(unset, " ") .. " " .. table.concat(set, " ")
end

--- The shell command running linky with `args` (each word quoted), in the runner's folder;
-- with `exec`, the shell becomes linky (the same pid, to signal it); `program` is the path the
-- interpreter runs instead of bin/linky (a link to it elsewhere).
function Runner:command(args, env, exec, program)
  local parts = { "cd", quote(self.dir), "&&", exec and "exec" or "", self:env(env),
    program and (versions.LUA .. " " .. quote(program)) or M.LINKY }
  for _, a in ipairs(args) do parts[#parts + 1] = quote(a) end
  return table.concat(parts, " ")
end

--- Runs linky. `opts.env` adds variables, `opts.stdin` feeds standard input, `opts.stdout` names
-- where standard output goes (default: a file, returned as `out`), `opts.before` is shell code
-- run first in the same shell (ulimit, trap), `opts.program` the path run instead of bin/linky.
-- @treturn table `{ code =, out =, err = }`
function Runner:run(args, opts)
  opts = opts or {}
  local out, err, stdin = self.dir .. "/stdout", self.dir .. "/stderr", "/dev/null"
  os.remove(out)
  if opts.stdin then stdin = self:write("stdin", opts.stdin) end
  local redirect = opts.stdout or (">" .. quote(out))
  local command = self:command(args, opts.env, false, opts.program)
  local p = assert(io.popen(("%s %s <%s %s 2>%s; echo $?"):format(opts.before or "", command,
    quote(stdin), redirect, quote(err))))
  local code = tonumber(p:read("*a"))
  p:close()
  local r = { code = code, out = read(out) or "", err = read(err) or "" }
  for name, text in pairs { stdout = r.out, stderr = r.err } do
    if text:find(emu.TOKEN1, 1, true) then error("token printed on " .. name, 2) end
  end
  return r
end

--- Runs a shell command on a pseudo-terminal (script(1)) and returns what the terminal showed.
-- `keys` (optional) are typed once `prompt` appears (within 10 s): any bytes, "\3" is Ctrl-C.
function Runner:in_terminal(command, prompt, keys)
  local typescript = self.dir .. "/typescript"
  os.remove(typescript)
  local feed = "true"
  if keys then
    local octal = keys:gsub(".", function(c) return ("\\%03o"):format(c:byte()) end)
    feed = ("i=0; while ! grep -qF %s %s 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done;"
      .. " sleep 0.2; printf %s"):format(quote(prompt), quote(typescript), quote(octal))
  end
  os.execute(("(%s) | script -qfec %s %s >/dev/null 2>&1"):format(feed, quote(command), quote(typescript)))
  return ((read(typescript) or ""):gsub("\r\n", "\n"))
end

--- A describe block's context: an emulator, a fresh runner per spec, and `data(args, opts)`
-- running linky against that emulator with the runner's token file.
--
--   local h = cli_runner.harness()
--   setup(h.start) teardown(h.stop) before_each(h.fresh) after_each(h.clean)
-- @treturn table with `server`, `runner`, `dir` (set by the hooks) and the hooks
function M.harness()
  local h = {}
  function h.start() h.server = emu.start() end
  function h.stop() h.server:stop() end
  function h.fresh()
    h.server:reset()
    h.runner = M.new()
    h.dir = h.runner.dir
  end
  function h.clean() h.runner:remove() end
  function h.data(args, opts)
    local full = { "--base-url", h.server.url, "--token-file", h.runner.token_file }
    for _, a in ipairs(args) do full[#full + 1] = a end
    return h.runner:run(full, opts)
  end
  return h
end

return M
