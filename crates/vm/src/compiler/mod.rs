//! Source text to bytecode: lexer, parser/code generator, debug-info queries.

mod code;
pub mod debuginfo;
mod func;
mod lexer;
pub mod opcode;
mod ops;
mod parser;
pub mod proto;
#[cfg(test)]
mod tests;

use proto::Proto;

/// A compile error, with PUC-Rio Lua's message text.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    /// The message as text (bytes that are not UTF-8 replaced).
    pub message: String,
    /// The message's exact bytes, as Lua code sees it (a chunk id cut in
    /// the middle of a UTF-8 sequence keeps the bytes it has).
    pub bytes: Vec<u8>,
    pub line: u32,
    pub column: u32,
}

/// Compiles a chunk. `chunk_name` follows `load`'s conventions (`@file`, `=name`, or the source).
pub fn compile(source: &[u8], chunk_name: &[u8]) -> Result<Proto, SyntaxError> {
    compile_nested(source, chunk_name, 1)
}

/// The message of a chunk nested too deeply for the C calls in progress.
pub const C_STACK_OVERFLOW: &str = "C stack overflow";

/// `compile` with `c_calls` C calls in progress (as PUC-Rio counts them):
/// they leave fewer syntax levels ("C stack overflow"). `compile` counts
/// one, the host's call.
pub fn compile_nested(
    source: &[u8],
    chunk_name: &[u8],
    c_calls: u32,
) -> Result<Proto, SyntaxError> {
    let mut p = parser::Parser::new(source, chunk_name)?;
    p.set_c_calls(c_calls);
    p.chunk()
}

/// Maximum length of a chunk id in messages (LUA_IDSIZE).
const ID_SIZE: usize = 60;

/// The chunk id used in messages: `file` for `@file`, `name` for `=name`,
/// `[string "first line..."]` for source text.
pub fn chunk_id(source: &[u8]) -> Vec<u8> {
    match source.first() {
        Some(b'=') => source[1..].iter().take(ID_SIZE - 1).copied().collect(),
        Some(b'@') => {
            let name = &source[1..];
            if name.len() < ID_SIZE {
                name.to_vec()
            } else {
                let mut out = b"...".to_vec();
                out.extend_from_slice(&name[name.len() - (ID_SIZE - 4)..]);
                out
            }
        }
        _ => {
            let first_line = source.split(|&c| c == b'\n').next().unwrap_or(b"");
            // Room left after `[string "` + `..."]` and the C terminator.
            let max = ID_SIZE - 15;
            let truncated = first_line.len() < source.len() || first_line.len() >= max;
            let mut out = b"[string \"".to_vec();
            if truncated {
                out.extend_from_slice(&first_line[..first_line.len().min(max)]);
                out.extend_from_slice(b"...");
            } else {
                out.extend_from_slice(first_line);
            }
            out.extend_from_slice(b"\"]");
            out
        }
    }
}
