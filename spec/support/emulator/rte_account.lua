-- The RTE account the emulator accepts (client credentials for POST /token/oauth/): plain Lua
-- of every version, read by the emulator and by the spec helper alike.
return {
  client_id = "linky-spec-client",
  client_secret = "linky-spec-secret-5f1c0a7e93b2",
}
