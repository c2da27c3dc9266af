-- make embed: runs the embedded host against the emulator and checks what it prints.
-- Usage: lua5.4 examples/embed/check.lua HOST (or luajit: make embed LUA_VERSION=jit)
local emu = require "spec.support.emulator_spec_helper"

local host = assert(arg[1], "usage: check.lua HOST")
local server = emu.start()
local empty = os.tmpname()
-- Search paths point at nothing, so the host can only use its compiled-in copy.
local cmd = ("env LUA_PATH='%s/?.lua' LUA_CPATH='%s/?.so' LINKY_BASE_URL='%s' LINKY_TOKEN='%s' %s %s")
  :format(empty, empty, server.url, emu.TOKEN1, host, "examples/embed/readings.lua")
local pipe = assert(io.popen(cmd))
local out = pipe:read("*a")
local ok = pipe:close()
server:stop()
os.remove(empty)
io.write(out)
assert(ok, "host failed")
-- The recorded 2026 daily consumption: 9271 + 12724 + 14054 Wh.
assert(out:find("2026-04-01\t9271\tWh", 1, true), "missing the first reading")
assert(out:find("total\t36049\tWh", 1, true), "wrong total")
print("embed: the host printed the recorded readings through its compiled-in linky")
