//! Node.js bindings for the lunarena Lua VM.
