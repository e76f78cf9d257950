#!/bin/sh
# Regenerates the expected output of the library test scripts with the
# reference interpreter: sh crates/vm/tests/lua/regen.sh [lua5.4]
# Scripts run from this directory, so chunk names read "string/basic.lua".
cd "$(dirname "$0")" || exit 1
LUA=${1:-lua5.4}
for f in */*.lua; do
  "$LUA" "$f" > "${f%.lua}.expected" 2>&1
done
