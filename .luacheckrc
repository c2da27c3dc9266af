-- The code runs on Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT: "max" knows every version's globals.
std = "max"
max_line_length = 110
-- The library and the command's launcher use only what every version has ("min"); linky.compat
-- holds the rest behind one name each.
files["lua/linky"] = { std = "min" }
files["lua/linky/compat.lua"] = { std = "max" }
files["bin"] = { std = "min" }
-- Specs embed whole JSON bodies on one line, as the API sends them.
files["spec"] = { std = "max+busted", max_line_length = false }
exclude_files = { "build", "bench/node_modules" }
