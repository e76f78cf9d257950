#!/bin/sh
# Regenerates the fixtures with the reference interpreter: for each NAME.lua,
# NAME.luac (string.dump of PUC-Rio Lua 5.4), NAME.s.luac (stripped) and
# NAME.expected and NAME.s.expected (what lua5.4 prints running them).
set -e
cd "$(dirname "$0")"
for f in *.lua; do
  n=${f%.lua}
  lua5.4 -e "local f = assert(loadfile('$f'))
    io.open('$n.luac', 'wb'):write(string.dump(f)):close()
    io.open('$n.s.luac', 'wb'):write(string.dump(f, true)):close()"
  lua5.4 "$n.luac" > "$n.expected"
  lua5.4 "$n.s.luac" > "$n.s.expected"
done
