-- The emulator's command line (init.lua documents routes and answers):
-- lua5.4 spec/support/emulator/main.lua [--port 0] [--port-file F] [--tls-cert C --tls-key K] ...
local HERE = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local emulator = dofile(HERE .. "/init.lua")
local server = require "spec.support.emulator.server"

local USAGE = [[
usage: lua5.4 spec/support/emulator/main.lua [--host 127.0.0.1] [--port 0] [--port-file FILE]
                                             [--tls-cert CERT --tls-key KEY] [--fixtures DIR] [--quiet]
]]

local function parse_args(argv)
  local opts = { host = "127.0.0.1", port = 0, fixtures = emulator.DEFAULT_FIXTURES }
  local with_value = { ["--host"] = "host", ["--port"] = "port", ["--port-file"] = "port_file",
    ["--tls-cert"] = "tls_cert", ["--tls-key"] = "tls_key", ["--fixtures"] = "fixtures" }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--quiet" then
      opts.quiet = true
    elseif a == "--help" or a == "-h" then
      io.stdout:write(USAGE)
      os.exit(0)
    elseif with_value[a] and argv[i + 1] then
      opts[with_value[a]] = argv[i + 1]
      i = i + 1
    else
      io.stderr:write("emulator: bad argument ", tostring(a), "\n", USAGE)
      os.exit(2)
    end
    i = i + 1
  end
  opts.port = tonumber(opts.port)
  if not opts.port or (opts.tls_cert == nil) ~= (opts.tls_key == nil) then
    io.stderr:write(USAGE)
    os.exit(2)
  end
  return opts
end

os.exit(server.run(parse_args(arg)))
