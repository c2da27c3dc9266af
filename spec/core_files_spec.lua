-- core.create_temp and core.file_type: the temporary file of an atomic write (new, never a link
-- followed, an unpredictable name, a private mode) and what a path is before it gets replaced.
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"

local quote, read = emu.quote, emu.read_file
-- Child processes run the interpreter of this suite (the module under test is built for it).
local versions = require "spec.support.versions"
local LUA = versions.LUA

local function write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

-- Output of a shell command (stdout and stderr) and its exit status.
local function sh(command)
  local p = assert(io.popen(command .. " 2>&1; echo \"=$?\""))
  local out = p:read("*a")
  p:close()
  local text, code = out:match("^(.-)=(%d+)\n$")
  return text, tonumber(code)
end

-- Runs a Lua chunk in a child with the suite's module paths: its output and exit status.
local function child(code, prelude)
  return sh(("%sLUA_PATH=%s LUA_CPATH=%s %s -e %s"):format(prelude or "", quote(package.path),
    quote(package.cpath), LUA, quote(code)))
end

local function mode_of(path)
  return (sh("stat -c %a " .. quote(path)):match("^(%d+)\n$"))
end

local function names_in(folder)
  local out = {}
  local p = assert(io.popen("ls -A " .. quote(folder)))
  for name in p:lines() do out[#out + 1] = name end
  p:close()
  return out
end

describe("linky.core", function()
  local dir

  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. quote(dir)))
  end)
  after_each(function() os.execute("rm -rf " .. quote(dir)) end)

  describe("create_temp", function()
    it("creates a new empty file of mode 0600 and returns it open for writing, with its name", function()
      local prefix = dir .. "/out.csv.tmp-"
      local f, name = core.create_temp(prefix)
      assert.equal("file", io.type(f), tostring(name))
      assert.equal(prefix, name:sub(1, #prefix))
      assert.truthy(name:sub(#prefix + 1):match("^%x+$"), name)
      assert.is_true(#name - #prefix >= 16)
      assert.equal("600", mode_of(name))
      assert.equal("", read(name))
      -- file:write returns the file from Lua 5.2, true in 5.1 and LuaJIT
      assert.equal(versions.VERSION >= "5.2" and f or true, f:write("date,value\n", 12))
      assert.is_true(f:close())
      assert.equal("closed file", io.type(f))
      assert.equal("date,value\n12", read(name))
    end)

    it("gives the file the mode asked for, whatever the umask", function()
      local out = child(("local f, name = require('linky.core').create_temp(%q, tonumber('644', 8))"
        .. " assert(f:close()) print(name)"):format(dir .. "/x-"), "umask 077; ")
      local name = out:match("^(.-)\n$")
      assert.truthy(name, out)
      assert.equal("644", mode_of(name))
    end)

    it("picks a new name at every call and in every process, from the system's random source", function()
      local seen = {}
      for _ = 1, 20 do
        local f, name = assert(core.create_temp(dir .. "/t-"))
        f:close()
        assert.is_nil(seen[name])
        seen[name] = true
      end
      -- math.random unseeded (Lua 5.3) gives every process the same sequence: not this
      local code = ("local f, name = require('linky.core').create_temp(%q) f:close() print(name)")
        :format(dir .. "/p-")
      local a, b = child(code), child(code)
      assert.truthy(a:match("^.*/p%-%x+\n$"), a)
      assert.are_not.equal(a, b)
      assert.equal(22, #names_in(dir))
    end)

    it("leaves an existing file and a link's target alone", function()
      write(dir .. "/kept", "kept")
      assert(os.execute("ln -s kept " .. quote(dir .. "/link")))
      for _ = 1, 5 do
        local f = assert(core.create_temp(dir .. "/"))
        assert(f:write("new"))
        f:close()
      end
      assert.equal("kept", read(dir .. "/kept"))
      assert.equal("kept", read(dir .. "/link"))
    end)

    it("returns nil, a kind and a message when the folder is missing or the prefix has a zero byte", function()
      local f, kind, msg = core.create_temp(dir .. "/missing/t-")
      assert.is_nil(f)
      assert.equal("system", kind)
      assert.truthy(msg:find("cannot create", 1, true), msg)
      f, kind, msg = core.create_temp(dir .. "/a\0b")
      assert.is_nil(f)
      assert.equal("invalid_argument", kind)
      assert.is_string(msg)
      assert.same({}, names_in(dir))
      assert.has_error(function() core.create_temp({}) end)
    end)

    it("reports a write the system refuses, on write or on close, never silently", function()
      -- a file size limit (with SIGXFSZ ignored) makes the system refuse the bytes: EFBIG
      local out = child(("local f = assert(require('linky.core').create_temp(%q))"
        .. " local w, werr = f:write(('x'):rep(100000)) local c, cerr = f:close()"
        .. " print(w and 'written' or werr, c and 'closed' or cerr)"):format(dir .. "/big-"),
        "trap '' XFSZ; ulimit -f 4; ")
      assert.is_nil(out:find("written\tclosed", 1, true), out)
      assert.truthy(out:find("too large", 1, true), out)
    end)

    it("closes the file when it is collected", function()
      local f, name = assert(core.create_temp(dir .. "/gc-"))
      f:write("data")
      f = nil -- luacheck: ignore 311
      collectgarbage()
      collectgarbage()
      assert.equal("data", read(name))
    end)
  end)

  describe("file_type", function()
    it("names files, folders, FIFOs, devices and links, with their permission bits", function()
      write(dir .. "/file", "x")
      assert(os.execute(("chmod 0640 %s && mkdir -m 0750 %s && mkfifo -m 0600 %s && ln -s file %s")
        :format(quote(dir .. "/file"), quote(dir .. "/folder"), quote(dir .. "/fifo"), quote(dir .. "/link"))))
      assert.same({ "file", tonumber("640", 8) }, { core.file_type(dir .. "/file") })
      assert.same({ "directory", tonumber("750", 8) }, { core.file_type(dir .. "/folder") })
      assert.same({ "fifo", tonumber("600", 8) }, { core.file_type(dir .. "/fifo") })
      assert.equal("device", (core.file_type("/dev/null")))
      assert.equal("link", (core.file_type(dir .. "/link")))
    end)

    it("follows links when asked: the type and mode of what a link points to", function()
      write(dir .. "/file", "x")
      assert(os.execute(("chmod 0604 %s && ln -s file %s && ln -s /dev/null %s && ln -s nowhere %s")
        :format(quote(dir .. "/file"), quote(dir .. "/link"), quote(dir .. "/null"), quote(dir .. "/dangling"))))
      assert.same({ "file", tonumber("604", 8) }, { core.file_type(dir .. "/link", true) })
      assert.equal("device", (core.file_type(dir .. "/null", true)))
      assert.equal("link", (core.file_type(dir .. "/dangling")))
      assert.same({}, { core.file_type(dir .. "/dangling", true) })
    end)

    it("returns nothing for a missing path, and nil and a message for a path it cannot examine", function()
      assert.same({}, { core.file_type(dir .. "/missing") })
      assert.same({}, { core.file_type(dir .. "/missing/below") })
      local kind, msg = core.file_type(dir .. "/a\0b")
      assert.is_nil(kind)
      assert.is_string(msg)
      assert.has_error(function() core.file_type() end)
    end)
  end)
end)
