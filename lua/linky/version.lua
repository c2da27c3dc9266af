--- The version of linky: the one place it is written. `linky._VERSION` and the modules' are this
-- string; the Makefile reads it into the C core (`-DLINKY_VERSION`, `linky.core._VERSION`), the
-- release (`make dist`: linky-VERSION.tar.gz, rockspec/linky-VERSION-1.rockspec) and the man page.
-- A release changes this line and adds its section to CHANGELOG.md (see docs/contributing.md).
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.version
return "0.1.0"
