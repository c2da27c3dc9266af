-- Child process of spec/nonblocking_fds_spec.lua, started with a raised RLIMIT_NOFILE: opens
-- 1,100 files so that libcurl's sockets get numbers of 1024 and more, then fetches `count`
-- times in a row through linky.luv or linky.cqueues from the stamp server. Writes to stdout the
-- number a new socket gets once the files are open ("nextfd N"), the highest descriptor a step
-- asked to watch ("maxfd N", -1 for none), then per request the time it ended
-- ("done T", socket.gettime(), the server's clock) or its error ("fail KIND"). Exits 77 when it
-- cannot open the files (RLIMIT_NOFILE too low).
--   LUA fds_child.lua luv|cqueues URL COUNT
local socket = require "socket"
local async = require "linky.async"
local emu = require "spec.support.emulator_spec_helper"
local clients = require "spec.support.client"

local adapter, url, count = arg[1], arg[2], tonumber(arg[3])

local files = {}
for i = 1, 1100 do
  files[i] = io.open("/dev/null")
  if not files[i] then
    io.write("nofile\n")
    os.exit(77)
  end
end

local probe = assert(socket.bind("127.0.0.1", 0))
local nextfd = probe:getfd()
probe:close()

-- the descriptors the adapters are asked to watch (they call async.step)
local maxfd, step = -1, async.step
async.step = function(req, ...)
  local done, a, b = step(req, ...)
  if not done then
    for fd in pairs(a) do maxfd = math.max(maxfd, fd) end
  end
  return done, a, b
end

local c = assert(clients.new { token = emu.TOKEN1, base_url = url, timeout = 10 })
local lines = {}
local function ended(res, err)
  lines[#lines + 1] = res and ("done %.6f"):format(socket.gettime()) or ("fail " .. tostring(err and err.kind))
end

if adapter == "luv" then
  local uv, lk = require "luv", require "linky.luv"
  local function fetch(left)
    if left == 0 then return end
    lk.fetch(c, "daily_consumption", "2026-04-01", "2026-04-04", nil, function(res, err)
      ended(res, err)
      fetch(left - 1)
    end)
  end
  fetch(count)
  uv.run()
else
  local cq, lc = require("cqueues").new(), require "linky.cqueues"
  cq:wrap(function()
    for _ = 1, count do ended(lc.fetch(c, "daily_consumption", "2026-04-01", "2026-04-04")) end
  end)
  assert(cq:loop())
end
c:close()
io.write(("nextfd %d\nmaxfd %d\n"):format(nextfd, maxfd), table.concat(lines, "\n"), "\n")
