std = "lua54"
max_line_length = 110
-- Specs embed whole JSON bodies on one line, as the API sends them.
files["spec"] = { std = "+busted", max_line_length = false }
exclude_files = { "build", "bench/node_modules" }
