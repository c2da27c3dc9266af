-- The module of this checkout for the examples, run from its root once `make` (or
-- `make LUA_VERSION=...`) has built the C core: `lua5.4 examples/luv.lua` needs no install and no
-- LUA_PATH. An installed linky is found after these paths, as usual.
local version = rawget(_G, "jit") and "jit" or _VERSION:match("%d+%.%d+")
local build = version == "5.4" and "build" or "build/" .. version
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "./" .. build .. "/?.so;" .. package.cpath
