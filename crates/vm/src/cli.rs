//! The stand-alone interpreter: `lunarena [options] [script [args]]`, a
//! drop-in for `lua5.4` as a script runner.

use std::io::{BufRead, IsTerminal, Write};

use crate::lua::{Libs, Lua, LuaError, StashedValue};
use crate::table::Table;
use crate::value::Value;
use crate::vm::meta;

/// The name messages start with (lua.c uses its `argv[0]`; `arg[-n]`
/// still gets the path the interpreter was invoked as).
const PROGNAME: &str = "lunarena";

const USAGE: &str = "usage: lunarena [options] [script [args]]
Available options are:
  -e stat   execute string 'stat'
  -i        enter interactive mode after executing 'script'
  -l mod    require library 'mod' into global 'mod'
  -l g=mod  require library 'mod' into global 'g'
  -v        show version information
  -E        ignore environment variables
  -W        turn warnings on
  --        stop handling options
  -         stop handling options and execute stdin";

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
/// (lua.c's `argv[0]`, kept in `arg`), `args` the rest of the command line.
/// Returns the process exit code.
pub fn main_with_progname(progname: &str, args: &[String]) -> i32 {
    let opts = match collect_args(args) {
        Ok(o) => o,
        Err(bad) => {
            let b = &args[bad];
            if b.starts_with("-e") || b.starts_with("-l") {
                eprintln!("{PROGNAME}: '{b}' needs argument\n{USAGE}");
            } else {
                eprintln!("{PROGNAME}: unrecognized option '{b}'\n{USAGE}");
            }
            return 1;
        }
    };
    if opts.version {
        println!("{}", version());
    }
    let mut lua = Lua::new(Libs::ALL);
    // lua.c runs scripts with the collector in generational mode.
    lua.with_budget(|b| b.gc_generational.set(true));
    let code = run(&mut lua, &opts, progname, args);
    // Closing the state, as lua.c does on every exit path.
    lua.run_close_finalizers();
    code
}

/// Everything lua.c's `pmain` does with the options and the script.
fn run(lua: &mut Lua, opts: &Options, progname: &str, args: &[String]) -> i32 {
    if opts.no_env {
        ignore_env(lua);
    }
    set_arg_table(lua, progname, args, opts.script);
    if !opts.no_env && !lua_init(lua) {
        return 1;
    }
    let optlim = opts.script.unwrap_or(args.len());
    if !run_args(lua, &args[..optlim]) {
        return 1;
    }
    if let Some(s) = opts.script {
        let stdin = args[s] == "-" && (s == 0 || args[s - 1] != "--");
        let path = (!stdin).then(|| args[s].as_bytes());
        if run_file(lua, path, &args[s + 1..]) != 0 {
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
            return run_file(lua, None, &[]);
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
fn lua_init(lua: &mut Lua) -> bool {
    let (name, init) = match std::env::var("LUA_INIT_5_4") {
        Ok(v) => ("=LUA_INIT_5_4", v),
        Err(_) => match std::env::var("LUA_INIT") {
            Ok(v) => ("=LUA_INIT", v),
            Err(_) => return true,
        },
    };
    match init.strip_prefix('@') {
        Some(file) => run_file(lua, Some(file.as_bytes()), &[]) == 0,
        None => run_string(lua, &init, name),
    }
}

/// lua.c's `runargs`: the `-e`, `-l` and `-W` options in order.
fn run_args(lua: &mut Lua, opts: &[String]) -> bool {
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
                run_string(lua, extra, "=(command line)")
            } else {
                require_library(lua, extra)
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

fn run_string(lua: &mut Lua, code: &str, chunk_name: &str) -> bool {
    match lua.exec(code.as_bytes(), chunk_name) {
        Ok(_) => true,
        Err(e) => {
            report(lua, &e);
            false
        }
    }
}

/// `-l g=mod` (or `-l mod`): `g = require(mod)`.
fn require_library(lua: &mut Lua, spec: &str) -> bool {
    let (global, module) = spec.split_once('=').unwrap_or((spec, spec));
    let module = module.as_bytes().to_vec();
    let r = lua.try_call(|mc, g| {
        let key = |s: &[u8]| Value::String(crate::state::Global::intern(g, mc, s));
        let req = g.globals.get(key(b"require"));
        Ok::<_, ()>((req, vec![key(&module)]))
    });
    match r {
        Ok(Ok(results)) => {
            lua.enter(|mc, g| {
                let v = results.first().map_or(Value::Nil, |r| Lua::fetch(g, r));
                crate::stdlib::set_value(mc, g, g.globals, global, v);
            });
            true
        }
        Ok(Err(e)) => {
            report(lua, &e);
            false
        }
        Err(()) => false,
    }
}

/// lua.c's `handle_script`/`dofile`: loads a file (`None`: standard input)
/// and runs it with the given arguments; returns the exit code.
fn run_file(lua: &mut Lua, path: Option<&[u8]>, script_args: &[String]) -> i32 {
    match crate::stdlib::package::read_source(path) {
        Ok((src, chunk)) => run_source(lua, src, &String::from_utf8_lossy(&chunk), script_args),
        Err(msg) => {
            eprintln!("{PROGNAME}: {msg}");
            1
        }
    }
}

fn version() -> String {
    format!("lunarena {} (Lua 5.4)", env!("CARGO_PKG_VERSION"))
}

fn run_source(lua: &mut Lua, src: Vec<u8>, chunk_name: &str, script_args: &[String]) -> i32 {
    let f = match lua.load(&src, chunk_name) {
        Ok(f) => f,
        Err(e) => {
            report(lua, &e);
            return 1;
        }
    };
    let owned: Vec<Vec<u8>> = script_args.iter().map(|a| a.as_bytes().to_vec()).collect();
    let r = lua.call(&f, move |mc, g| {
        owned
            .iter()
            .map(|a| Value::String(crate::state::Global::intern(g, mc, a)))
            .collect()
    });
    let _ = std::io::stdout().flush();
    match r {
        Ok(_) => 0,
        Err(e) => {
            report(lua, &e);
            1
        }
    }
}

/// Prints an error as lua.c does (its `msghandler`, then `l_message`):
/// the message and the traceback; an error object that is not a string
/// or number is shown by its `__tostring` (then without traceback), or
/// named by type.
fn report(lua: &mut Lua, e: &LuaError) {
    let _ = std::io::stdout().flush();
    let LuaError::Runtime { message, traceback } = e else {
        eprintln!("{PROGNAME}: {e}");
        return;
    };
    // The traceback starts with the error value as text.
    let rest = traceback
        .as_deref()
        .and_then(|tb| tb.rfind("\nstack traceback:").map(|i| &tb[i..]))
        .unwrap_or("");
    enum Shown {
        Text(String),
        Named(&'static str),
        Message,
    }
    let shown = match lua.last_error_value() {
        None => Shown::Message,
        Some(v) => lua.enter(|_, g| match Lua::fetch(g, v) {
            Value::String(_) => Shown::Message,
            v @ (Value::Integer(_) | Value::Number(_)) => {
                let mut b = Vec::new();
                meta::number_to_bytes(v, &mut b);
                Shown::Text(String::from_utf8_lossy(&b).into_owned())
            }
            v => Shown::Named(v.type_name()),
        }),
    };
    match shown {
        Shown::Message => eprintln!("{PROGNAME}: {message}{rest}"),
        Shown::Text(t) => eprintln!("{PROGNAME}: {t}{rest}"),
        Shown::Named(type_name) => match tostring_meta(lua) {
            Some(t) => eprintln!("{PROGNAME}: {t}"),
            None => eprintln!("{PROGNAME}: (error object is a {type_name} value){rest}"),
        },
    }
}

/// The string the `__tostring` metamethod of the last error value gives, if any.
fn tostring_meta(lua: &mut Lua) -> Option<String> {
    let v = lua.last_error_value()?;
    let v = lua.enter(|mc, g| Lua::stash(mc, g, Lua::fetch(g, v)));
    let r = lua.try_call(|_, g| {
        let v = Lua::fetch(g, &v);
        match meta::get_tm(g, v, crate::state::Tm::ToString) {
            Value::Nil => Err(()),
            f => Ok((f, vec![v])),
        }
    });
    let results = r.ok()?.ok()?;
    lua.enter(|_, g| match results.first().map(|r| Lua::fetch(g, r)) {
        Some(Value::String(s)) => Some(s.to_str_lossy().into_owned()),
        _ => None,
    })
}

/// The global `arg`, as lua.c's `createargtable`: the script name at 0,
/// its arguments at 1.., the interpreter and the options before it at
/// negative indices (without a script, the interpreter is at 0).
fn set_arg_table(lua: &mut Lua, progname: &str, args: &[String], script: Option<usize>) {
    // Indices in lua.c's argv, where argv[0] is the program.
    let base = script.map_or(0, |s| s as i64 + 1);
    lua.enter(|mc, g| {
        let t = Table::new(mc);
        let all = std::iter::once(progname).chain(args.iter().map(String::as_str));
        for (i, a) in all.enumerate() {
            let s = crate::state::Global::intern(g, mc, a.as_bytes());
            let _ = t.set(mc, Value::Integer(i as i64 - base), Value::String(s));
        }
        crate::stdlib::set_value(mc, g, g.globals, "arg", Value::Table(t));
    });
}

/// The interactive loop: expressions print their values; incomplete
/// statements continue on the next line.
fn repl(lua: &mut Lua) {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        print!("> ");
        let _ = std::io::stdout().flush();
        let Some(Ok(mut line)) = lines.next() else {
            println!();
            return;
        };
        let f = loop {
            if let Ok(f) = lua.load(format!("return {line}").as_bytes(), "=stdin") {
                break Some(f);
            }
            match lua.load(line.as_bytes(), "=stdin") {
                Ok(f) => break Some(f),
                Err(LuaError::Syntax { message, .. }) if message.ends_with("<eof>") => {
                    print!(">> ");
                    let _ = std::io::stdout().flush();
                    match lines.next() {
                        Some(Ok(more)) => {
                            line.push('\n');
                            line.push_str(&more);
                        }
                        _ => return,
                    }
                }
                Err(e) => {
                    report(lua, &e);
                    break None;
                }
            }
        };
        let Some(f) = f else { continue };
        match lua.call(&f, |_, _| Vec::new()) {
            Ok(results) if !results.is_empty() => print_values(lua, &results),
            Ok(_) => {}
            Err(e) => report(lua, &e),
        }
    }
}

fn print_values(lua: &mut Lua, values: &[StashedValue]) {
    let text = lua.enter(|_, g| {
        let parts: Vec<String> = values
            .iter()
            .map(|s| String::from_utf8_lossy(&meta::tostring_raw(g, Lua::fetch(g, s))).into_owned())
            .collect();
        parts.join("\t")
    });
    println!("{text}");
}
