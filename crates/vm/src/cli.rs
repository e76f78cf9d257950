//! The stand-alone interpreter: `lunarena [options] [script [args]]`, a
//! drop-in for `lua5.4` as a script runner.

use std::io::{BufRead, IsTerminal, Write};

use crate::lua::{Libs, Lua, LuaError, StashedValue};
use crate::table::Table;
use crate::value::Value;
use crate::vm::meta;

const PROGNAME: &str = "lunarena";

const USAGE: &str = "usage: lunarena [options] [script [args]]
Available options are:
  -e stat   execute string 'stat'
  -v        show version information
  --        stop handling options
  -         stop handling options and execute stdin";

/// Runs the interpreter with the given arguments (without the program name);
/// returns the process exit code.
pub fn main(args: &[String]) -> i32 {
    let mut lua = Lua::new(Libs::ALL);
    let mut i = 0;
    let mut ran_something = false;
    let mut script: Option<usize> = None;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "--" => {
                i += 1;
                if i < args.len() {
                    script = Some(i);
                }
                break;
            }
            "-" => {
                script = Some(i);
                break;
            }
            "-v" => {
                println!("{}", version());
                ran_something = true;
            }
            "-e" => {
                i += 1;
                let Some(code) = args.get(i) else {
                    eprintln!("{PROGNAME}: '-e' needs argument\n{USAGE}");
                    return 1;
                };
                set_arg_table(&mut lua, args, None);
                if let Err(e) = lua.exec(code.as_bytes(), "=(command line)") {
                    report(&e);
                    return 1;
                }
                ran_something = true;
            }
            _ if a.starts_with('-') && a.len() > 1 => {
                eprintln!("{PROGNAME}: unrecognized option '{a}'\n{USAGE}");
                return 1;
            }
            _ => {
                script = Some(i);
                break;
            }
        }
        i += 1;
    }
    let Some(s) = script else {
        if ran_something {
            return 0;
        }
        if std::io::stdin().is_terminal() {
            println!("{}", version());
            repl(&mut lua);
            return 0;
        }
        return run_source(&mut lua, read_stdin(), "=stdin", &[]);
    };
    set_arg_table(&mut lua, args, Some(s));
    let script_args = &args[s + 1..];
    let stdin = args[s] == "-" && (s == 0 || args[s - 1] != "--");
    let path = (!stdin).then(|| args[s].as_bytes());
    match crate::stdlib::package::read_source(path) {
        Ok((src, chunk)) => {
            run_source(&mut lua, src, &String::from_utf8_lossy(&chunk), script_args)
        }
        Err(msg) => {
            eprintln!("{PROGNAME}: {msg}");
            1
        }
    }
}

fn version() -> String {
    format!("lunarena {} (Lua 5.4)", env!("CARGO_PKG_VERSION"))
}

fn read_stdin() -> Vec<u8> {
    crate::stdlib::package::read_source(None)
        .map(|(src, _)| src)
        .unwrap_or_default()
}

fn run_source(lua: &mut Lua, src: Vec<u8>, chunk_name: &str, script_args: &[String]) -> i32 {
    let f = match lua.load(&src, chunk_name) {
        Ok(f) => f,
        Err(e) => {
            report(&e);
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
            report(&e);
            1
        }
    }
}

/// Prints an error as lua.c does: the message, then the traceback.
fn report(e: &LuaError) {
    let _ = std::io::stdout().flush();
    match e {
        LuaError::Runtime {
            message,
            traceback: Some(tb),
        } => {
            // The traceback starts with the message already.
            let rest = tb.strip_prefix(message.as_str()).unwrap_or(tb);
            eprintln!("{PROGNAME}: {message}{rest}");
        }
        other => eprintln!("{PROGNAME}: {other}"),
    }
}

/// The global `arg`: script name at 0, its arguments at 1.., options before it negative.
fn set_arg_table(lua: &mut Lua, args: &[String], script: Option<usize>) {
    let base = script.unwrap_or(args.len()) as i64;
    lua.enter(|mc, g| {
        let t = Table::new(mc);
        let _ = t.set(
            mc,
            Value::Integer(-base - 1),
            Value::String(crate::state::Global::intern(g, mc, PROGNAME.as_bytes())),
        );
        for (i, a) in args.iter().enumerate() {
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
                    report(&e);
                    break None;
                }
            }
        };
        let Some(f) = f else { continue };
        match lua.call(&f, |_, _| Vec::new()) {
            Ok(results) if !results.is_empty() => print_values(lua, &results),
            Ok(_) => {}
            Err(e) => report(&e),
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
