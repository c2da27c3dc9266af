-- make demo: the `linky` command against the bundled Conso API emulator.
-- Stores the emulator's test token with `linky auth` in a temporary config folder, then shows
-- the last 14 days of daily consumption as a table, and yesterday's load curve as a chart with
-- its peak/off-peak split, then the same 14 days again (served by the local store, no request)
-- and `linky status` (the request budget). No real token or network is needed; the state folder
-- is temporary, so the demo never spends the budget of the machine's user.
local emu = require "spec.support.emulator_spec_helper"

local quote = emu.quote

local home = os.tmpname()
os.remove(home)
assert(os.execute("mkdir -p " .. quote(home .. "/config") .. " " .. quote(home .. "/state")))
local server = emu.start()

local env = ("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s LINKY_TOKEN= "):format(quote(home .. "/config"),
  quote(home .. "/state"))
local program = "lua" .. _VERSION:match("%d+%.%d+") .. " bin/linky" -- the interpreter running the demo

-- Shows a command as a user would type it, then runs it against the emulator.
local function run(shown, args, stdin)
  print("$ linky " .. shown)
  local cmd = env .. program .. " " .. args .. " --base-url " .. quote(server.url) .. " 2>&1"
  if stdin then
    cmd = "printf '%s\\n' " .. quote(stdin) .. " | " .. env .. program .. " " .. args .. " 2>&1"
  end
  local ok = os.execute(cmd)
  print()
  return ok
end

print(("The linky command, against the Conso API emulator at %s (--base-url).\n"):format(server.base))
local ok = run("auth < token.txt", "auth", emu.TOKEN1)
  and run("daily --last 14d", "daily --last 14d")
  and run("loadcurve --last 1d --format chart --offpeak 22:00-06:00",
    "loadcurve --last 1d --format chart --offpeak 22:00-06:00")
  and run("daily --last 14d --format csv   # again: from the local store, no request",
    "daily --last 14d --format csv")
  and run("status", "status")
server:stop()
os.execute("rm -rf " .. quote(home))
if not ok then
  io.stderr:write("demo failed\n")
  os.exit(1)
end
