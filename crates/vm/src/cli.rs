//! The stand-alone interpreter: `lunarena [options] [script [args]]`, a
//! drop-in for `lua5.4` as a script runner.

use std::io::{BufRead, IsTerminal, Write};

use gc_arena::Mutation;

use crate::error::RtResult;
use crate::function::{NativeFunction, NativeKind, Special};
use crate::lua::{Libs, Lua, LuaError, StashedValue};
use crate::state::{GlobalRef, Tm};
use crate::table::Table;
use crate::value::{Function, Value};
use crate::vm::ctx::Ctx;
use crate::vm::meta;

/// The program name when the host gives none.
const PROGNAME: &str = "lunarena";

/// The option list of the usage message (after "usage: PROGNAME ...").
const OPTIONS: &str = "Available options are:
  -e stat   execute string 'stat'
  -i        enter interactive mode after executing 'script'
  -l mod    require library 'mod' into global 'mod'
  -l g=mod  require library 'mod' into global 'g'
  -v        show version information
  -E        ignore environment variables
  -W        turn warnings on
  --        stop handling options
  -         stop handling options and execute stdin";

/// Set by the SIGINT handler while a chunk runs: the VM then raises
/// "interrupted!" in the running code (see `Lua::set_interrupt`).
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn on_sigint(_: libc::c_int) {
    // As lua.c's `laction`: a second Ctrl-C kills the process (when the
    // running code never gets back to the VM's checks).
    unsafe { libc::signal(libc::SIGINT, libc::SIG_DFL) };
    INTERRUPTED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Runs `f` with Ctrl-C interrupting the Lua code it runs (lua.c's
/// `docall`); the handler before it is put back after (the interpreter
/// may run inside a host process, such as Node).
fn interruptible<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(unix)]
    let previous = unsafe {
        libc::signal(
            libc::SIGINT,
            on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t,
        )
    };
    let r = f();
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGINT, previous)
    };
    r
}

/// Runs the interpreter with the given arguments (without the program
/// name), as if invoked as `lunarena`; returns the process exit code.
pub fn main(args: &[String]) -> i32 {
    main_with_progname(PROGNAME, args)
}

/// The options lua.c's `collectargs` finds before the script.
#[derive(Default)]
struct Options {
    /// `-e` seen.
    execute: bool,
    /// `-i`.
    interactive: bool,
    /// `-v` (or `-i`).
    version: bool,
    /// `-E`.
    no_env: bool,
    /// Index in `args` of the script, if any.
    script: Option<usize>,
}

/// lua.c's `collectargs`: checks the options; on error, the index of the
/// bad one.
fn collect_args(args: &[String]) -> Result<Options, usize> {
    let mut o = Options::default();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_bytes();
        if a.first() != Some(&b'-') {
            o.script = Some(i);
            return Ok(o);
        }
        let rest_empty = a.len() == 2;
        match a.get(1) {
            None => {
                o.script = Some(i);
                return Ok(o);
            }
            Some(b'-') => {
                if !rest_empty {
                    return Err(i);
                }
                o.script = (i + 1 < args.len()).then_some(i + 1);
                return Ok(o);
            }
            Some(b'E') if rest_empty => o.no_env = true,
            Some(b'W') if rest_empty => {}
            Some(b'i') if rest_empty => {
                o.interactive = true;
                o.version = true;
            }
            Some(b'v') if rest_empty => o.version = true,
            Some(c @ (b'e' | b'l')) => {
                o.execute |= *c == b'e';
                if rest_empty {
                    i += 1;
                    match args.get(i) {
                        Some(next) if !next.starts_with('-') => {}
                        _ => return Err(i - 1),
                    }
                }
            }
            _ => return Err(i),
        }
        i += 1;
    }
    Ok(o)
}

/// Runs the interpreter as lua.c does; `progname` is how it was invoked
/// (lua.c's `argv[0]`: kept in `arg`, and the prefix of error messages),
/// `args` the rest of the command line.
/// Returns the process exit code.
pub fn main_with_progname(progname: &str, args: &[String]) -> i32 {
    let opts = match collect_args(args) {
        Ok(o) => o,
        Err(bad) => {
            let b = &args[bad];
            if b.starts_with("-e") || b.starts_with("-l") {
                eprintln!("{progname}: '{b}' needs argument");
            } else {
                eprintln!("{progname}: unrecognized option '{b}'");
            }
            eprintln!("usage: {progname} [options] [script [args]]\n{OPTIONS}");
            return 1;
        }
    };
    if opts.version {
        println!("{}", version());
    }
    let mut lua = Lua::new(Libs::ALL);
    // lua.c runs scripts with the collector in generational mode.
    lua.with_budget(|b| b.gc_generational.set(true));
    lua.set_interrupt(Some(&INTERRUPTED));
    let code = run(&mut lua, progname, args, &opts);
    // As lua.c ends, with `lua_close`: the remaining finalizers run.
    lua.run_close_finalizers();
    let _ = std::io::stdout().flush();
    code
}

/// lua.c's `pmain`, after the options are checked.
fn run(lua: &mut Lua, progname: &str, args: &[String], opts: &Options) -> i32 {
    if opts.no_env {
        ignore_env(lua);
    }
    set_arg_table(lua, progname, args, opts.script);
    if !opts.no_env && !lua_init(lua, progname) {
        return 1;
    }
    let optlim = opts.script.unwrap_or(args.len());
    if !run_args(lua, progname, &args[..optlim]) {
        return 1;
    }
    if let Some(s) = opts.script {
        let stdin = args[s] == "-" && (s == 0 || args[s - 1] != "--");
        let path = (!stdin).then(|| args[s].as_bytes());
        if run_file(lua, progname, path, true) != 0 {
            return 1;
        }
    }
    if opts.interactive {
        repl(lua);
    } else if opts.script.is_none() && !opts.execute && !opts.version {
        if std::io::stdin().is_terminal() {
            println!("{}", version());
            repl(lua);
        } else {
            return run_file(lua, progname, None, false);
        }
    }
    0
}

/// `-E`: the package paths lua.c would have without `LUA_PATH` and `LUA_CPATH`.
fn ignore_env(lua: &mut Lua) {
    lua.enter(|mc, g| {
        let package = g.globals.get(Value::String(crate::state::Global::intern(
            g, mc, b"package",
        )));
        if let Value::Table(t) = package {
            for (field, value) in crate::stdlib::package::default_paths() {
                let v = Value::String(crate::state::Global::intern(g, mc, value.as_bytes()));
                crate::stdlib::set_value(mc, g, t, field, v);
            }
        }
    });
}

/// Runs `LUA_INIT_5_4` or `LUA_INIT`: `@file` or Lua code. False if it failed.
fn lua_init(lua: &mut Lua, progname: &str) -> bool {
    let (name, init) = match std::env::var("LUA_INIT_5_4") {
        Ok(v) => ("=LUA_INIT_5_4", v),
        Err(_) => match std::env::var("LUA_INIT") {
            Ok(v) => ("=LUA_INIT", v),
            Err(_) => return true,
        },
    };
    match init.strip_prefix('@') {
        Some(file) => run_file(lua, progname, Some(file.as_bytes()), false) == 0,
        None => run_string(lua, progname, &init, name),
    }
}

/// lua.c's `runargs`: the `-e`, `-l` and `-W` options in order.
fn run_args(lua: &mut Lua, progname: &str, opts: &[String]) -> bool {
    let mut i = 0;
    while i < opts.len() {
        let a = &opts[i];
        if a.starts_with("-e") || a.starts_with("-l") {
            let extra = if a.len() > 2 {
                &a[2..]
            } else {
                i += 1;
                opts[i].as_str()
            };
            let ok = if a.starts_with("-e") {
                run_string(lua, progname, extra, "=(command line)")
            } else {
                require_library(lua, progname, extra)
            };
            if !ok {
                return false;
            }
        } else if a == "-W" {
            lua.enter(|mc, g| crate::stdlib::base::set_warnings(mc, g, true));
        }
        i += 1;
    }
    true
}

fn run_string(lua: &mut Lua, progname: &str, code: &str, chunk_name: &str) -> bool {
    let f = match lua.load(code.as_bytes(), chunk_name) {
        Ok(f) => f,
        Err(e) => {
            report(e.to_string().as_bytes(), Some(progname));
            return false;
        }
    };
    let r = docall(lua, |_, g| (Lua::fetch(g, &f), Vec::new()));
    r.map_err(|m| report(&m, Some(progname))).is_ok()
}

/// `-l g=mod` (or `-l mod`): `g = require(mod)`.
fn require_library(lua: &mut Lua, progname: &str, spec: &str) -> bool {
    let (global, module) = spec.split_once('=').unwrap_or((spec, spec));
    let module = module.as_bytes().to_vec();
    let r = docall(lua, |mc, g| {
        let key = |s: &[u8]| Value::String(crate::state::Global::intern(g, mc, s));
        (g.globals.get(key(b"require")), vec![key(&module)])
    });
    match r {
        Ok(results) => {
            lua.enter(|mc, g| {
                let v = results.first().map_or(Value::Nil, |r| Lua::fetch(g, r));
                crate::stdlib::set_value(mc, g, g.globals, global, v);
            });
            true
        }
        Err(m) => {
            report(&m, Some(progname));
            false
        }
    }
}

/// lua.c's `handle_script`/`dofile`: loads a file (`None`: standard input)
/// and runs it, with the arguments in `arg` if it is the script; returns
/// the exit code.
fn run_file(lua: &mut Lua, progname: &str, path: Option<&[u8]>, script: bool) -> i32 {
    match crate::stdlib::package::read_source(path) {
        Ok((src, chunk)) => {
            run_source(lua, progname, src, &String::from_utf8_lossy(&chunk), script)
        }
        Err(msg) => {
            eprintln!("{progname}: {msg}");
            1
        }
    }
}

/// The version line; it ends like lua.c's (with the language's copyright),
/// which scripts look for.
fn version() -> String {
    format!(
        "lunarena {}, Lua 5.4  Copyright (C) 1994-2023 Lua.org, PUC-Rio",
        env!("CARGO_PKG_VERSION")
    )
}

fn run_source(lua: &mut Lua, progname: &str, src: Vec<u8>, chunk_name: &str, script: bool) -> i32 {
    let f = match lua.load_any(&src, chunk_name) {
        Ok(f) => f,
        Err(e) => {
            report(e.to_string().as_bytes(), Some(progname));
            return 1;
        }
    };
    // As lua.c's `pushargs`: the arguments are `arg[1..#arg]` as the
    // program left them (`-e` may have changed `arg`).
    let args = lua.enter(|mc, g| {
        if !script {
            return Some(Vec::new());
        }
        let arg = g
            .globals
            .get(Value::String(crate::state::Global::intern(g, mc, b"arg")));
        let Value::Table(t) = arg else {
            return None;
        };
        Some(
            (1..=t.length())
                .map(|i| Lua::stash(mc, g, t.get_int(i)))
                .collect::<Vec<_>>(),
        )
    });
    let Some(args) = args else {
        eprintln!("{progname}: 'arg' is not a table");
        return 1;
    };
    match docall(lua, move |_, g| {
        let args = args.iter().map(|a| Lua::fetch(g, a)).collect();
        (Lua::fetch(g, &f), args)
    }) {
        Ok(_) => 0,
        Err(m) => {
            report(&m, Some(progname));
            1
        }
    }
}

/// lua.c's `docall`: calls the function `setup` makes, protected by
/// lua.c's message handler (`msghandler`), which turns the error into the
/// text to report while the failed frames still exist; `Err` is that text.
fn docall<S>(lua: &mut Lua, setup: S) -> Result<Vec<StashedValue>, Vec<u8>>
where
    S: for<'gc> FnOnce(&'gc Mutation<'gc>, GlobalRef<'gc>) -> (Value<'gc>, Vec<Value<'gc>>),
{
    let r = interruptible(|| {
        lua.try_call(|mc, g| {
            let (f, args) = setup(mc, g);
            let native = |f| Value::Function(Function::Native(f));
            let xpcall = NativeFunction::with_upvalues(
                mc,
                "xpcall",
                NativeKind::Special(Special::XPCall),
                &[],
            );
            let handler = NativeFunction::new(mc, "msghandler", msghandler);
            let mut all = vec![f, native(handler)];
            all.extend(args);
            Ok::<_, std::convert::Infallible>((native(xpcall), all))
        })
    });
    let _ = std::io::stdout().flush();
    let mut values = match r {
        Ok(Ok(values)) => values,
        Ok(Err(e)) => return Err(e.to_string().into_bytes()),
        Err(never) => match never {},
    };
    let (ok, message) = lua.enter(|_, g| {
        let ok = values.first().is_some_and(|v| Lua::fetch(g, v).is_truthy());
        let message = match values.get(1).map(|v| Lua::fetch(g, v)) {
            Some(Value::String(s)) => s.as_bytes().to_vec(),
            Some(v) => format!("(error object is a {} value)", v.type_name()).into_bytes(),
            None => b"nil".to_vec(),
        };
        (ok, message)
    });
    if ok {
        values.remove(0);
        Ok(values)
    } else {
        Err(message)
    }
}

/// lua.c's `msghandler`: an error object that is not a string (nor a
/// number) is shown by its `__tostring` (then without traceback) or named
/// by type; the traceback of the failed frames follows.
fn msghandler<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.arg(0);
    let message = match v {
        Value::String(_) | Value::Integer(_) | Value::Number(_) => meta::tostring_raw(ctx.g, v),
        _ => {
            let tm = meta::get_tm(ctx.g, v, Tm::ToString);
            if !tm.is_nil() {
                if let Value::String(s) = ctx.call1(tm, &[v])? {
                    return ctx.ret(Value::String(s));
                }
            }
            format!("(error object is a {} value)", v.type_name()).into_bytes()
        }
    };
    // The message keeps its bytes (it need not be UTF-8); luaL_traceback
    // takes it as a C string, up to a NUL.
    let mut text = message;
    text.truncate(text.iter().position(|&b| b == 0).unwrap_or(text.len()));
    text.push(b'\n');
    text.extend_from_slice(crate::vm::debug::traceback(ctx.g, ctx.ts, None, 1).as_bytes());
    let s = ctx.str_value(&text);
    ctx.ret(s)
}

/// Prints an error message as lua.c's `l_message`, with the program name
/// (none in interactive mode); as a C string, the message ends at a NUL.
fn report(message: &[u8], progname: Option<&str>) {
    let _ = std::io::stdout().flush();
    let end = message
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(message.len());
    let mut line = progname
        .map(|p| format!("{p}: ").into_bytes())
        .unwrap_or_default();
    line.extend_from_slice(&message[..end]);
    line.push(b'\n');
    let _ = std::io::stderr().write_all(&line);
}

/// The global `arg`, as lua.c's `createargtable`: the script name at 0,
/// its arguments at 1.., the interpreter and the options before it at
/// negative indices (without a script, the interpreter is at 0).
fn set_arg_table(lua: &mut Lua, progname: &str, args: &[String], script: Option<usize>) {
    // Indices in lua.c's argv, where argv[0] is the program.
    let base = script.map_or(0, |s| s as i64 + 1);
    lua.enter(|mc, g| {
        // Sized as lua.c does: the layout decides the order of `pairs(arg)`.
        let argc = args.len() as i64 + 1;
        let t = Table::with_capacity(mc, (argc - base - 1) as usize, base as usize + 1);
        let all = std::iter::once(progname).chain(args.iter().map(String::as_str));
        for (i, a) in all.enumerate() {
            let s = crate::state::Global::intern(g, mc, a.as_bytes());
            let _ = t.set(mc, Value::Integer(i as i64 - base), Value::String(s));
        }
        crate::stdlib::set_value(mc, g, g.globals, "arg", Value::Table(t));
    });
}

/// lua.c's `doREPL`: reads lines with the `_PROMPT`/`_PROMPT2` prompts;
/// a line is first tried as an expression to print (`return line;`), then
/// as statements, reading more lines while it is incomplete. Errors are
/// reported without the program name.
fn repl(lua: &mut Lua) {
    while let Some(mut line) = read_line(lua, true) {
        if line.first() == Some(&b'=') {
            // 5.2 compatibility: `=expr` prints the expression.
            line.splice(0..1, b"return ".iter().copied());
        }
        let mut ret = b"return ".to_vec();
        ret.extend_from_slice(&line);
        ret.push(b';');
        let loaded = match lua.load(&ret, "=stdin") {
            Ok(f) => Ok(f),
            Err(_) => load_statements(lua, line),
        };
        let results = match loaded {
            Ok(f) => docall(lua, |_, g| (Lua::fetch(g, &f), Vec::new())),
            Err(e) => Err(e.to_string().into_bytes()),
        };
        match results {
            Ok(values) if !values.is_empty() => print_values(lua, values),
            Ok(_) => {}
            Err(m) => report(&m, None),
        }
    }
    println!();
}

/// lua.c's `multiline`: loads `line` as statements, adding lines while
/// the only problem is its unexpected end.
fn load_statements(lua: &mut Lua, mut line: Vec<u8>) -> Result<StashedValue, LuaError> {
    loop {
        let r = lua.load(&line, "=stdin");
        let incomplete =
            matches!(&r, Err(LuaError::Syntax { message, .. }) if message.ends_with("<eof>"));
        if incomplete {
            if let Some(more) = read_line(lua, false) {
                line.push(b'\n');
                line.extend_from_slice(&more);
                continue;
            }
        }
        return r;
    }
}

/// Shows the prompt (`_PROMPT`, or `_PROMPT2` for continuation lines,
/// through `tostring`) and reads a line without its newline; `None` at the
/// end of input.
fn read_line(lua: &mut Lua, first: bool) -> Option<Vec<u8>> {
    let name = if first { "_PROMPT" } else { "_PROMPT2" };
    let r = lua.try_call(|mc, g| {
        let v = g.globals.get(Value::String(crate::state::Global::intern(
            g,
            mc,
            name.as_bytes(),
        )));
        if v.is_nil() {
            return Err(());
        }
        let tostring = g.globals.get(Value::String(crate::state::Global::intern(
            g,
            mc,
            b"tostring",
        )));
        Ok((tostring, vec![v]))
    });
    let prompt = match r {
        Ok(Ok(v)) => lua.enter(|_, g| match v.first().map(|s| Lua::fetch(g, s)) {
            Some(Value::String(s)) => s.as_bytes().to_vec(),
            _ => Vec::new(),
        }),
        Ok(Err(_)) => Vec::new(),
        Err(()) => {
            if first {
                b"> ".to_vec()
            } else {
                b">> ".to_vec()
            }
        }
    };
    let mut out = std::io::stdout();
    let _ = out.write_all(&prompt);
    let _ = out.flush();
    let mut line = Vec::new();
    let stdin = std::io::stdin();
    match stdin.lock().read_until(b'\n', &mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if !stdin.is_terminal() {
                // lua5.4 reads with readline, which shows lines that do
                // not come from a terminal after the prompt.
                let _ = out.write_all(&line);
                let _ = out.write_all(b"\n");
            }
            Some(line)
        }
    }
}

/// lua.c's `l_print`: the values of an expression line, through the
/// global `print`.
fn print_values(lua: &mut Lua, values: Vec<StashedValue>) {
    let r = lua.try_call(|mc, g| {
        let print = g
            .globals
            .get(Value::String(crate::state::Global::intern(g, mc, b"print")));
        Ok::<_, ()>((print, values.iter().map(|v| Lua::fetch(g, v)).collect()))
    });
    if let Ok(Err(e)) = r {
        eprintln!("error calling 'print' ({})", e);
    }
}
