-- core.isatty and core.set_echo: what the command asks of the terminal, without a shell command.
-- Terminal cases run on a pseudo-terminal made by script(1).
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"

local quote, read = emu.quote, emu.read_file
local LUA = require("spec.support.versions").LUA

describe("linky.core", function()
  local dir

  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. quote(dir)))
  end)
  after_each(function() os.execute("rm -rf " .. quote(dir)) end)

  -- Runs a Lua chunk with the suite's module paths, on a pseudo-terminal when `tty`, else with
  -- standard input from /dev/null: what it printed.
  local function child(code, tty)
    local chunk = dir .. "/chunk.lua"
    local f = assert(io.open(chunk, "wb"))
    f:write(code)
    f:close()
    local command = ("LUA_PATH=%s LUA_CPATH=%s %s %s"):format(quote(package.path), quote(package.cpath), LUA,
      quote(chunk))
    if not tty then
      local p = assert(io.popen(command .. " </dev/null 2>&1"))
      local out = p:read("*a")
      p:close()
      return out
    end
    local typescript = dir .. "/typescript"
    os.execute(("script -qfec %s %s </dev/null >/dev/null 2>&1"):format(quote(command), quote(typescript)))
    return (read(typescript) or ""):gsub("\r", "")
  end

  describe("isatty", function()
    it("tells a terminal from a file, a pipe or a closed descriptor", function()
      assert.equal("false\tfalse\tfalse\n",
        child("local core = require 'linky.core' print(core.isatty(0), core.isatty(-1), core.isatty(99))"))
      assert.truthy(child("print(require('linky.core').isatty(0))", true):find("true", 1, true))
      assert.has_error(function() core.isatty("x") end)
    end)
  end)

  describe("set_echo", function()
    it("turns echo off and on, returning what it was before", function()
      local out = child([[
        local core = require "linky.core"
        print("off", core.set_echo(0, false))
        io.stdout:flush()
        os.execute("stty -a | grep -o -- ' -*echo ' | head -1")
        print("on", core.set_echo(0, true))
        io.stdout:flush()
        os.execute("stty -a | grep -o -- ' -*echo ' | head -1")
      ]], true)
      assert.truthy(out:find("off\ttrue\n %-echo \non\tfalse\n echo \n"), out)
    end)

    it("returns nil and a message off a terminal", function()
      local out = child("print(require('linky.core').set_echo(0, false))")
      assert.truthy(out:match("^nil\t.+\n$"), out)
      assert.has_error(function() core.set_echo("x", true) end)
    end)
  end)
end)
