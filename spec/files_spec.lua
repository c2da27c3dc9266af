-- The files linky writes are private: the state file (and SQLite's -wal and -shm beside it),
-- the command's config file, and every folder created for them. Each case runs in a child
-- process started under `umask 022`, the common default that would leave them readable.
local emu = require "spec.support.emulator_spec_helper"

local quote, read = emu.quote, emu.read_file
-- Child processes run the interpreter of this suite (the module under test is built for it).
local LUA = require("spec.support.versions").LUA

local function write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

-- Runs a shell command under umask 022 with the suite's module paths and `env`;
-- returns its exit status and its output (stdout and stderr).
local function sh(command, env)
  local vars = { "LUA_PATH=" .. quote(package.path), "LUA_CPATH=" .. quote(package.cpath) }
  for k, v in pairs(env or {}) do vars[#vars + 1] = k .. "=" .. quote(v) end
  local p = assert(io.popen("umask 022; env " .. table.concat(vars, " ") .. " " .. command .. " 2>&1; echo \"=$?\""))
  local out = p:read("*a")
  p:close()
  local text, code = out:match("^(.-)=(%d+)\n$")
  return tonumber(code), text
end

-- Permission bits of each path ("700"), or nil when it does not exist.
local function modes(...)
  local out = {}
  for i = 1, select("#", ...) do
    local path = select(i, ...)
    local p = assert(io.popen("stat -c %a " .. quote(path) .. " 2>/dev/null"))
    out[i] = p:read("*l")
    p:close()
  end
  return out
end

-- One client, one request, then the modes of the given paths while the client still holds
-- the state open (SQLite removes -wal and -shm when the last connection closes).
local CHILD = [[
  local linky = require "linky"
  local url, state = ...
  local opts = { token = os.getenv("LINKY_TOKEN"), base_url = url, retry = false, min_interval = 0 }
  if state ~= "" then opts.state = state end
  local c = assert(linky.new(opts))
  local r, err = c:daily_consumption("2026-04-01", "2026-04-02")
  if not r then print("error " .. err.kind) end
  io.stdout:flush()
  os.execute(os.getenv("LINKY_SPEC_STAT"))
  c:close()
]]

describe("linky files", function()
  local dir

  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. quote(dir)))
  end)
  after_each(function() os.execute("rm -rf " .. quote(dir)) end)

  -- Runs `print(core[name](path))` in a child.
  local function call(name, path)
    write(dir .. "/call.lua", "local core = require 'linky.core'; print(core[arg[1]](arg[2]))")
    return sh(LUA .. " " .. quote(dir .. "/call.lua") .. " " .. name .. " " .. quote(path))
  end

  describe("core.mkdirs", function()
    local function mkdirs(path) return call("mkdirs", path) end

    it("creates every missing folder of the path's parent, each 0700", function()
      local code, out = mkdirs(dir .. "/a/b/c/file")
      assert.equal(0, code, out)
      assert.equal("true\n", out)
      assert.same({ "700", "700", "700" }, modes(dir .. "/a", dir .. "/a/b", dir .. "/a/b/c"))
      assert.same({}, modes(dir .. "/a/b/c/file"))
    end)

    it("leaves existing folders as they are", function()
      assert(os.execute("mkdir -m 0755 " .. quote(dir .. "/a")))
      assert.equal(0, (mkdirs(dir .. "/a/b/file")))
      assert.same({ "755", "700" }, modes(dir .. "/a", dir .. "/a/b"))
    end)

    it("with a mode, creates each folder of that mode as the umask leaves it; a mode out of range raises", function()
      write(dir .. "/mode.lua", "local core = require 'linky.core'; print(core.mkdirs(arg[1], tonumber(arg[2], 8)))")
      local code, out = sh(LUA .. " " .. quote(dir .. "/mode.lua") .. " " .. quote(dir .. "/a/b/file") .. " 777")
      assert.equal(0, code, out)
      assert.same({ "755", "755" }, modes(dir .. "/a", dir .. "/a/b")) -- umask 022
      for _, bad in ipairs { "-1", "1000", "7777" } do
        code = sh(LUA .. " " .. quote(dir .. "/mode.lua") .. " " .. quote(dir .. "/c/file") .. " " .. bad)
        assert.not_equal(0, code, bad)
      end
      assert.same({}, modes(dir .. "/c"))
    end)

    it("returns nil, system and a message when a folder cannot be made", function()
      write(dir .. "/plain", "x")
      local code, out = mkdirs(dir .. "/plain/a/file")
      assert.equal(0, code, out)
      assert.truthy(out:match("^nil\tsystem\tcannot create .+"), out)
    end)
  end)

  describe("core.create_private", function()
    local function create(path) return call("create_private", path) end

    it("creates a missing file empty with mode 0600", function()
      local code, out = create(dir .. "/f")
      assert.equal(0, code, out)
      assert.equal("true\n", out)
      assert.same({ "600" }, modes(dir .. "/f"))
      assert.equal("", read(dir .. "/f"))
    end)

    it("keeps an existing file's bytes and mode", function()
      write(dir .. "/f", "kept")
      assert(os.execute("chmod 0640 " .. quote(dir .. "/f")))
      local code, out = create(dir .. "/f")
      assert.equal(0, code, out)
      assert.equal("true\n", out)
      assert.equal("kept", read(dir .. "/f"))
      assert.same({ "640" }, modes(dir .. "/f"))
    end)

    it("refuses a symbolic link, dangling or not", function()
      write(dir .. "/target", "kept")
      assert(os.execute("ln -s target " .. quote(dir .. "/link") .. " && ln -s nowhere " .. quote(dir .. "/dangling")))
      for _, name in ipairs { "link", "dangling" } do
        local code, out = create(dir .. "/" .. name)
        assert.equal(0, code, out)
        assert.truthy(out:match("^nil\tsystem\t.+"), out)
      end
      assert.equal("kept", read(dir .. "/target"))
      assert.is_nil(read(dir .. "/nowhere"))
    end)
  end)

  it("returns nil, invalid_argument and a message for a path with a zero byte, creating nothing", function()
    local core = require "linky.core"
    for _, name in ipairs { "mkdirs", "create_private" } do
      local ok, kind, msg = core[name](dir .. "/a\0/b")
      assert.is_nil(ok, name)
      assert.equal("invalid_argument", kind, name)
      assert.is_string(msg, name)
    end
    assert.same({}, modes(dir .. "/a"))
  end)

  describe("state file", function()
    local server

    setup(function() server = emu.start() end)
    teardown(function() server:stop() end)
    before_each(function() server:reset() end)

    -- Runs CHILD with `state` ("" for the default path) and `env`; returns its output.
    local function child(state, stat_paths, env)
      write(dir .. "/child.lua", CHILD)
      local stat = {}
      for i, p in ipairs(stat_paths) do stat[i] = quote(p) end
      env = env or {}
      env.LINKY_TOKEN = emu.TOKEN1
      env.LINKY_SPEC_STAT = #stat > 0 and "stat -c '%a %n' " .. table.concat(stat, " ") or "true"
      local code, out = sh(LUA .. " " .. quote(dir .. "/child.lua") .. " " .. quote(server.url) .. " " .. quote(state),
        env)
      assert.equal(0, code, out)
      return out
    end

    local function expect(out, want)
      local lines = {}
      for _, w in ipairs(want) do lines[#lines + 1] = w[2] .. " " .. w[1] end
      assert.equal(table.concat(lines, "\n") .. "\n", out)
    end

    it("creates an explicit path's folders 0700 and the file, -wal and -shm 0600", function()
      local file = dir .. "/a/b/state.sqlite3"
      local out = child(file, { dir .. "/a", dir .. "/a/b", file, file .. "-wal", file .. "-shm" })
      expect(out, { { dir .. "/a", "700" }, { dir .. "/a/b", "700" }, { file, "600" },
                    { file .. "-wal", "600" }, { file .. "-shm", "600" } })
      assert.equal(1, #server:api_requests())
    end)

    it("creates the default path under XDG_STATE_HOME the same way", function()
      local base = dir .. "/xdg"
      local file = base .. "/linky/state.sqlite3"
      local out = child("", { base, base .. "/linky", file, file .. "-wal", file .. "-shm" },
        { XDG_STATE_HOME = base })
      expect(out, { { base, "700" }, { base .. "/linky", "700" }, { file, "600" },
                    { file .. "-wal", "600" }, { file .. "-shm", "600" } })
    end)

    it("keeps an existing state file 0600 across runs", function()
      local file = dir .. "/state.sqlite3"
      child(file, {})
      local out = child(file, { file })
      expect(out, { { file, "600" } })
    end)

    it("refuses a state file that is a symbolic link, and sends nothing", function()
      local target = dir .. "/elsewhere.sqlite3"
      write(target, "")
      assert(os.execute("ln -s elsewhere.sqlite3 " .. quote(dir .. "/link.sqlite3")
        .. " && ln -s nowhere.sqlite3 " .. quote(dir .. "/dangling.sqlite3")))
      for _, name in ipairs { "link.sqlite3", "dangling.sqlite3" } do
        assert.equal("error state_unavailable\n", child(dir .. "/" .. name, {}))
      end
      assert.equal("", read(target))
      assert.is_nil(read(dir .. "/nowhere.sqlite3"))
      assert.equal(0, #server:api_requests())
    end)
  end)

  describe("linky auth", function()
    it("creates the config folder 0700 and the config file 0600", function()
      local base = dir .. "/config"
      local env = { XDG_CONFIG_HOME = base, HOME = dir, XDG_STATE_HOME = dir .. "/state", LINKY_TOKEN = "" }
      write(dir .. "/stdin", emu.TOKEN1 .. "\n")
      for _ = 1, 2 do -- a first token, then a new one over it
        local code, out = sh(LUA .. " bin/linky auth <" .. quote(dir .. "/stdin"), env)
        assert.equal(0, code, out)
        assert.same({ "700", "700", "600" }, modes(base, base .. "/linky", base .. "/linky/config"))
        local p = assert(io.popen("ls -A " .. quote(base .. "/linky")))
        assert.equal("config\n", p:read("*a"))
        p:close()
      end
    end)
  end)
end)
