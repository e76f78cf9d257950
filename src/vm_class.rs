//! The native side of the `Lua` class: runs chunks and converts primitive
//! results. `index.js` wraps it and turns failures into the error classes.

use napi::bindgen_prelude::{BigInt, Buffer, Either5};
use napi_derive::napi;

use lunarena_vm::{Libs, Lua, LuaError, Value};

use crate::guard;

/// A Lua result as JS sees it: boolean, number, string, BigInt (integers
/// beyond 2^53) or Buffer (strings that are not valid UTF-8).
type JsPrimitive = Either5<bool, f64, String, BigInt, Buffer>;

/// Details of the last error, read by `index.js` to build the error object.
#[napi(object)]
pub struct ErrorDetails {
    pub kind: String,
    pub message: String,
    pub lua_stack: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub limit: Option<String>,
}

#[napi(js_name = "NativeLua")]
pub struct NativeLua {
    vm: Option<Lua>,
    last_error: Option<ErrorDetails>,
}

/// Largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

#[napi]
impl NativeLua {
    #[napi(constructor)]
    pub fn new() -> Self {
        NativeLua {
            vm: Some(Lua::new(Libs::SAFE)),
            last_error: None,
        }
    }

    /// Runs a chunk and returns its first result.
    #[napi]
    pub fn run(
        &mut self,
        code: String,
        chunk_name: Option<String>,
    ) -> napi::Result<Option<JsPrimitive>, String> {
        guard(|| {
            let name = chunk_name.unwrap_or_else(|| code.clone());
            let vm = self.vm.as_mut().ok_or_else(|| {
                napi::Error::new("LUA_CLOSED".to_string(), "the Lua VM is closed".to_string())
            })?;
            match vm.exec(code.as_bytes(), &name) {
                Ok(results) => {
                    let first = results.first();
                    vm.enter(|_, g| match first {
                        None => Ok(None),
                        Some(s) => to_js(Lua::fetch(g, s)),
                    })
                }
                Err(e) => {
                    let (code, details) = describe_error(&e);
                    let message = details.message.clone();
                    self.last_error = Some(details);
                    Err(napi::Error::new(code.to_string(), message))
                }
            }
        })
    }

    /// The details of the error the last failed call threw.
    #[napi]
    pub fn take_error_details(&mut self) -> Option<ErrorDetails> {
        self.last_error.take()
    }

    /// Frees the VM; later calls throw a closed error.
    #[napi]
    pub fn close(&mut self) {
        self.vm = None;
    }
}

impl Default for NativeLua {
    fn default() -> Self {
        Self::new()
    }
}

fn to_js(v: Value<'_>) -> napi::Result<Option<JsPrimitive>, String> {
    Ok(Some(match v {
        Value::Nil => return Ok(None),
        Value::Boolean(b) => Either5::A(b),
        Value::Integer(i) if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i) => {
            Either5::B(i as f64)
        }
        Value::Integer(i) => Either5::D(BigInt::from(i)),
        Value::Number(f) => Either5::B(f),
        Value::String(s) => match std::str::from_utf8(s.as_bytes()) {
            Ok(text) => Either5::C(text.to_string()),
            Err(_) => Either5::E(Buffer::from(s.as_bytes().to_vec())),
        },
        other => {
            return Err(napi::Error::new(
                "ERR_LUA_TYPE".to_string(),
                format!(
                    "cannot return a Lua {} to JavaScript yet (only primitives cross the boundary)",
                    other.type_name()
                ),
            ))
        }
    }))
}

fn describe_error(e: &LuaError) -> (&'static str, ErrorDetails) {
    match e {
        LuaError::Syntax {
            message,
            line,
            column,
        } => (
            "LUA_SYNTAX",
            ErrorDetails {
                kind: "syntax".into(),
                message: message.clone(),
                lua_stack: String::new(),
                line: Some(*line),
                column: Some(*column),
                limit: None,
            },
        ),
        LuaError::Runtime { message, traceback } => (
            "LUA_ERROR",
            ErrorDetails {
                kind: "runtime".into(),
                message: message.clone(),
                lua_stack: traceback.clone().unwrap_or_default(),
                line: None,
                column: None,
                limit: None,
            },
        ),
        LuaError::Limit(k) => (
            "LUA_LIMIT",
            ErrorDetails {
                kind: "limit".into(),
                message: k.message().to_string(),
                lua_stack: String::new(),
                line: None,
                column: None,
                limit: Some(k.name().to_string()),
            },
        ),
    }
}

/// The stand-alone interpreter (`bin/lunarena.js`): runs with the given
/// arguments, writes to stdout/stderr, returns the exit code.
#[napi]
pub fn cli_main(args: Vec<String>) -> napi::Result<i32, String> {
    guard(|| Ok(lunarena_vm::cli::main(&args)))
}
