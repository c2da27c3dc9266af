-- Non-blocking mode with descriptors numbered 1024 and more (a process with many files open):
-- the luv and cqueues adapters end each request within milliseconds of the server's answer.
-- libcurl's fd_set interface cannot name those descriptors (the driver then fell back to waking
-- every 100 ms); its socket interface can. The client runs in a child process whose
-- RLIMIT_NOFILE the shell raises (spec/support/fds_child.lua); the server
-- (spec/support/stamp_server.lua) logs the time it wrote each answer on the clock the child reads.
local async = require "linky.async"
local emu = require "spec.support.emulator_spec_helper"
local clients = require "spec.support.client"
local tools = require "spec.support.tools"
local versions = require "spec.support.versions"

local quote, read = emu.quote, emu.read_file

-- Requests per adapter, and how long the server waits before each answer (so that the client
-- is idle in its loop when the answer comes: the wake-up is what is measured).
local COUNT, DELAY = 5, 0.03
-- The most a request may end after its answer was written, in seconds. A driver that wakes on
-- the socket takes a few ms (the loop's wake-up, decoding); the old one woke every 100 ms, so
-- here about 70 ms late. 20 ms leaves room for a loaded machine (make test runs a spec process
-- per core and one more) while staying far under 100 ms; valgrind and ASan runs scale it.
local LATE = 0.02 * clients.SLOWDOWN

local function it_async(name, f)
  it(name, function()
    if not async.available then pending("needs yields across pcall (running Lua " .. versions.NAME .. ")") end
    f()
  end)
end

local function lines(text)
  local t = {}
  for l in (text or ""):gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

describe("linky non-blocking mode with descriptors of 1024 and more", function()
  local dir, pid, url

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. quote(dir)))
    -- the answer: what the emulator gives for the request the child makes
    local server = emu.start()
    local res = assert(emu.request(server, {
      path = "/api/consommation_quotidienne?pointId=" .. emu.PRM1 .. "&dateDebut=2026-04-01&dateFin=2026-04-04",
      headers = { Authorization = "Bearer " .. emu.TOKEN1 } }))
    server:stop()
    assert.equal(200, res.status)
    local f = assert(io.open(dir .. "/body", "wb"))
    f:write(res.body)
    f:close()
  end)

  teardown(function() os.execute("rm -rf " .. quote(dir)) end)

  before_each(function()
    os.remove(dir .. "/port")
    os.remove(dir .. "/log")
    local p = io.popen(("lua5.4 spec/support/stamp_server.lua %s %s %s %s >/dev/null 2>&1 & echo $!")
      :format(quote(dir .. "/port"), quote(dir .. "/log"), quote(dir .. "/body"), DELAY))
    pid = tonumber(p:read("*l"))
    p:close()
    local port
    for _ = 1, 500 do -- at most 5 s
      port = read(dir .. "/port")
      if port then break end
      os.execute("sleep 0.01")
    end
    assert(port, "the stamp server did not start")
    url = "http://127.0.0.1:" .. port:match("%d+") .. "/api"
  end)

  after_each(function()
    if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
    pid = nil
  end)

  -- Runs the child with `adapter`: its lines, or nil when the machine cannot give it the files.
  local function run(adapter)
    local cmd = ("ulimit -n 4096 2>/dev/null || ulimit -n \"$(ulimit -Hn)\"; exec %s spec/support/fds_child.lua %s %s %d")
      :format(versions.LUA, adapter, quote(url), COUNT)
    local p = io.popen("sh -c " .. quote(cmd) .. " 2>&1; echo \"exit $?\"")
    local out = lines(p:read("*a"))
    p:close()
    if not tools.need(out[#out] ~= "exit 77", "RLIMIT_NOFILE of at least 1,200 (ulimit -n)", pending) then
      return nil
    end
    assert.equal("exit 0", out[#out], table.concat(out, "\n"))
    return out
  end

  -- Each request ended within LATE of the server's answer, on descriptors of 1024 and more.
  local function check(out)
    assert.is_true(tonumber(out[1]:match("^nextfd (%d+)")) >= 1024, out[1])
    local sent = lines(read(dir .. "/log"))
    assert.equal(COUNT, #sent)
    for i = 1, COUNT do
      local done = tonumber(out[i + 2]:match("^done (%S+)"))
      assert(done, out[i + 2])
      local late = done - tonumber(sent[i])
      assert.is_true(late >= 0 and late <= LATE,
        ("request %d ended %.1f ms after its answer"):format(i, late * 1000))
    end
    -- and the steps named those descriptors
    assert.is_true(tonumber(out[2]:match("^maxfd (%-?%d+)")) >= 1024, out[2])
  end

  it_async("ends each request of linky.luv within milliseconds of its answer", function()
    local out = run("luv")
    if out then check(out) end
  end)

  it_async("ends each request of linky.cqueues within milliseconds of its answer", function()
    local out = run("cqueues")
    if out then check(out) end
  end)
end)
