rockspec_format = "3.0"
package = "linky-mqtt"
version = "0.1.0-1"
-- The release archive (`make dist`): the Makefile writes RELEASE_URL, set by whoever publishes,
-- in place of the placeholder below; the same archive as linky's.
source = {
  url = "@RELEASE_URL@",
}
description = {
  summary = "linky.mqtt: MQTT over libmosquitto for linky's Home Assistant target",
  detailed = [[
linky.mqtt is the C module `linky publish mqtt://...` and `mqtts://...` use to give Home
Assistant its devices and sensors through MQTT discovery. A rock of its own, so that the linky
rock never needs libmosquitto: install this one (and libmosquitto's headers, Debian's
libmosquitto-dev) only to publish to an MQTT broker.
]],
  license = "MIT",
  labels = { "energy", "linky", "mqtt", "home-assistant" },
}
dependencies = {
  "lua >= 5.1, < 5.5",
  "linky == 0.1.0",
}
external_dependencies = {
  MOSQUITTO = { header = "mosquitto.h", library = "mosquitto" },
}
build = {
  type = "builtin",
  modules = {
    ["linky.mqtt"] = {
      sources = { "csrc/mqtt.c" },
      defines = { "_POSIX_C_SOURCE=200809L" },
      libraries = { "mosquitto" },
      incdirs = { "$(MOSQUITTO_INCDIR)" },
      libdirs = { "$(MOSQUITTO_LIBDIR)" },
    },
  },
}
