-- Run by examples/embed/host: prints readings through the linky compiled into the host.
-- LINKY_BASE_URL and LINKY_TOKEN say where to fetch (the emulator, in `make embed`).
local linky = require "linky"

-- Proof that the modules come from the host, not from files on the search paths.
assert(package.searchpath("linky", package.path) == nil, "linky found on disk")
assert(package.searchpath("linky.core", package.cpath) == nil, "linky.core found on disk")

local client = assert(linky.new {
  token = assert(os.getenv("LINKY_TOKEN"), "LINKY_TOKEN is not set"),
  base_url = os.getenv("LINKY_BASE_URL"), user_agent = "linky-embed-example",
})
local res = assert(client:daily_consumption("2026-04-01", "2026-04-04"))
local total = 0
for _, p in ipairs(res.points) do
  print(p.date, p.value, res.unit)
  total = total + p.value
end
print("total", total, res.unit)
client:close()
