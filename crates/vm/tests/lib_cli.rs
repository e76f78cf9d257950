//! The stand-alone interpreter (`lunarena`), against what `lua5.4` prints.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The interpreter as a user on PATH starts it: its `argv[0]`, which
/// starts its messages, is "lunarena".
fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lunarena"));
    #[cfg(unix)]
    std::os::unix::process::CommandExt::arg0(&mut cmd, "lunarena");
    cmd
}

fn lunarena(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A scratch directory for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lunarena-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn script_that_cannot_be_read() {
    let out = lunarena(&["nope.lua"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "lunarena: cannot open nope.lua: No such file or directory\n"
    );
    let dir = scratch("unreadable");
    let out = lunarena(&[dir.to_str().unwrap()], b"");
    assert_eq!(
        text(&out.stderr),
        format!("lunarena: cannot read {}: Is a directory\n", dir.display())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn byte_order_mark_and_first_line_comment() {
    let dir = scratch("bom");
    let script = dir.join("s.lua");
    std::fs::write(
        &script,
        b"\xEF\xBB\xBF#!/usr/bin/env lua\nprint(1 + 1)\nerror('x')\n",
    )
    .unwrap();
    let out = lunarena(&[script.to_str().unwrap()], b"");
    assert_eq!(text(&out.stdout), "2\n");
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("lunarena: {}:3: x\n", script.display())),
        "{err}"
    );
    let out = lunarena(&["-"], b"\xEF\xBB\xBF# comment\nprint(...)\nerror('y')");
    assert_eq!(text(&out.stdout), "\n");
    assert!(text(&out.stderr).starts_with("lunarena: stdin:3: y\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn warnings_go_to_stderr_once_on() {
    let code = "warn('off') warn('@on') warn('one') warn('@on', 'two') warn('a', 'b', 3) \
                warn('c\\0d', 'e') warn('@off') warn('no')";
    let out = lunarena(&["-e", code], b"");
    // Each piece is written as a C string (up to a NUL).
    assert_eq!(
        text(&out.stderr),
        "Lua warning: one\nLua warning: @ontwo\nLua warning: ab3\nLua warning: ce\n"
    );
}

const SHOW_ARG: &str =
    "local t = {} for i = -4, 3 do t[#t + 1] = tostring(arg[i]) end print(table.concat(t, '|'))";

#[test]
fn arg_table_has_the_interpreter_at_negative_indices() {
    let exe = "lunarena";
    let out = lunarena(&["-e", SHOW_ARG], b"");
    assert_eq!(
        text(&out.stdout),
        format!("nil|nil|nil|nil|{exe}|-e|{SHOW_ARG}|nil\n")
    );
    let dir = scratch("arg");
    let script = dir.join("s.lua");
    std::fs::write(&script, SHOW_ARG).unwrap();
    let s = script.to_str().unwrap();
    let out = lunarena(&["-e", "x=1", s, "p", "q"], b"");
    assert_eq!(text(&out.stdout), format!("nil|{exe}|-e|x=1|{s}|p|q|nil\n"));
    let out = lunarena(&["--", s, "p"], b"");
    assert_eq!(
        text(&out.stdout),
        format!("nil|nil|{exe}|--|{s}|p|nil|nil\n")
    );
    let out = lunarena(&["-", "p"], SHOW_ARG.as_bytes());
    assert_eq!(
        text(&out.stdout),
        format!("nil|nil|nil|{exe}|-|p|nil|nil\n")
    );
    // `-e` chunks already see the table; the script gets its arguments.
    let out = lunarena(&["-e", "print(arg[0], ...)", "-", "a", "b"], b"print(...)");
    assert_eq!(text(&out.stdout), "-\na\tb\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn options_like_lua_c() {
    let out = lunarena(&["-ex=1", "-e", "print(x)", "-W", "-e", "warn('w')"], b"");
    assert_eq!(text(&out.stdout), "1\n");
    assert_eq!(text(&out.stderr), "Lua warning: w\n");
    let out = lunarena(
        &[
            "-l",
            "s=string",
            "-lutf8",
            "-e",
            "print(s == string, utf8 ~= nil)",
        ],
        b"",
    );
    assert_eq!(text(&out.stdout), "true\ttrue\n");
    // Bad options stop everything before anything runs.
    for (args, first) in [
        (
            &["-e", "print(1)", "-x"][..],
            "lunarena: unrecognized option '-x'\n",
        ),
        (
            &["-e", "print(1)", "-vx"][..],
            "lunarena: unrecognized option '-vx'\n",
        ),
        (
            &["-e", "print(1)", "--x"][..],
            "lunarena: unrecognized option '--x'\n",
        ),
        (
            &["-e", "print(1)", "-e"][..],
            "lunarena: '-e' needs argument\n",
        ),
        (
            &["-l", "-e", "print(1)"][..],
            "lunarena: '-l' needs argument\n",
        ),
    ] {
        let out = lunarena(args, b"");
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(text(&out.stdout), "");
        let err = text(&out.stderr);
        assert!(err.starts_with(first), "{err}");
        assert!(err.contains("\nusage: lunarena [options] [script [args]]\n"));
    }
    let out = lunarena(&["-e", "os.exit(5)", "-e", "print(1)"], b"");
    assert_eq!(out.status.code(), Some(5));
    let out = lunarena(&["-e", "error('x')", "-e", "print(1)"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let out = lunarena(&[], b"print(#arg, arg[0] ~= nil, ...)");
    assert_eq!(text(&out.stdout), "0\ttrue\n");
}

#[test]
fn error_objects_as_lua_c_shows_them() {
    let tb = "\nstack traceback:\n\t[C]: in function 'error'\n\t(command line):1: in main chunk\n\t[C]: in ?\n";
    for (code, shown) in [
        ("error({})", format!("(error object is a table value){tb}")),
        ("error()", format!("(error object is a nil value){tb}")),
        ("error(42)", format!("42{tb}")),
        ("error(4.5)", format!("4.5{tb}")),
        (
            "error(setmetatable({}, {__tostring = function () return 'TS' end}))",
            "TS\n".to_string(),
        ),
        (
            "error(setmetatable({}, {__tostring = function () return 1 end}))",
            format!("(error object is a table value){tb}"),
        ),
        // `__tostring` runs where the error happened (in lua.c's message
        // handler): level 4 is the chunk that raised it.
        (
            "error(setmetatable({}, {__tostring = function () \
             return 'at ' .. debug.getinfo(4, 'l').currentline end}))",
            "at 1\n".to_string(),
        ),
    ] {
        let out = lunarena(&["-e", code], b"");
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(text(&out.stderr), format!("lunarena: {shown}"), "{code}");
    }
}

#[test]
fn error_messages_are_bytes_up_to_a_nul() {
    let tb = "\nstack traceback:\n\t[C]: in function 'error'\n\t(command line):1: in main chunk\n\t[C]: in ?\n";
    for (code, shown) in [
        (
            "error('a\\0b')",
            format!("(command line):1: a{tb}").into_bytes(),
        ),
        (
            "error('\\xff\\xfe')",
            [&b"(command line):1: \xff\xfe"[..], tb.as_bytes()].concat(),
        ),
        (
            "error(setmetatable({}, {__tostring = function () return 'ts\\0tail' end}))",
            b"ts\n".to_vec(),
        ),
    ] {
        let out = lunarena(&["-e", code], b"");
        assert_eq!(out.stderr, [&b"lunarena: "[..], &shown].concat(), "{code}");
    }
}

#[test]
fn the_host_is_a_c_function_below_the_main_chunk() {
    let code = "local i = debug.getinfo(2, 'Sl') print(i.what, i.short_src, i.currentline) \
                print(debug.getinfo(3)) print(debug.traceback('m', 2))";
    let out = lunarena(&["-e", code], b"");
    assert_eq!(
        text(&out.stdout),
        "C\t[C]\t-1\nnil\nm\nstack traceback:\n\t[C]: in ?\n"
    );
}

#[test]
fn lua_init_and_no_env() {
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let mut cmd = command();
        cmd.env_remove("LUA_INIT").env_remove("LUA_INIT_5_4");
        cmd.envs(env.iter().copied()).args(args);
        let out = cmd.output().unwrap();
        (text(&out.stdout), text(&out.stderr), out.status.code())
    };
    let (o, _, _) = run(&[("LUA_INIT", "print('init')")], &["-e", "print(2)"]);
    assert_eq!(o, "init\n2\n");
    let env = [
        ("LUA_INIT", "print('init')"),
        ("LUA_INIT_5_4", "print('54')"),
    ];
    assert_eq!(run(&env, &["-e", "print(2)"]).0, "54\n2\n");
    assert_eq!(run(&env, &["-E", "-e", "print(2)"]).0, "2\n");
    let (o, e, c) = run(&[("LUA_INIT", "error('boom')")], &["-e", "print(2)"]);
    assert_eq!((o.as_str(), c), ("", Some(1)));
    assert!(e.starts_with("lunarena: LUA_INIT:1: boom\n"), "{e}");
    let env = [("LUA_PATH", "x"), ("LUA_CPATH", "y")];
    let code = "print(package.path == 'x', package.cpath == 'y')";
    assert_eq!(run(&env, &["-e", code]).0, "true\ttrue\n");
    assert_eq!(run(&env, &["-E", "-e", code]).0, "false\tfalse\n");
}

#[test]
fn script_arguments_come_from_arg() {
    let out = lunarena(&["-e", "arg[1] = 100", "-", "x"], b"print(...)");
    assert_eq!(text(&out.stdout), "100\n");
    let out = lunarena(&["-e", "arg = 1", "-"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "lunarena: 'arg' is not a table\n");
}

#[test]
fn interactive_prompts_echo_and_print() {
    // As lua5.4 with readline: lines not from a terminal are shown after the prompt.
    let code =
        "_PROMPT = setmetatable({}, {__tostring = function() return 'P' end}) _PROMPT2 = '+'";
    let out = lunarena(&["-e", code, "-i"], b"1 + 1\nx = [[a\nb]]\n=x\n");
    let stdout = text(&out.stdout);
    let session = stdout.split_once('\n').unwrap().1;
    assert_eq!(session, "P1 + 1\n2\nPx = [[a\n+b]]\nP=x\na\nb\nP\n");
    let out = lunarena(&["-e", "print = nil", "-i"], b"10\nerror('e')\n");
    assert_eq!(
        text(&out.stderr),
        "error calling 'print' (attempt to call a nil value)\n\
         stdin:1: e\nstack traceback:\n\t[C]: in function 'error'\n\tstdin:1: in main chunk\n\t[C]: in ?\n"
    );
}

#[test]
fn closing_runs_finalizers_and_pending_closes() {
    let code = "warn('@on') setmetatable({}, {__gc = function() print('gc 1') end}) \
                local keep = setmetatable({}, {__gc = function() error('in gc') end})";
    let out = lunarena(&["-e", code], b"");
    assert_eq!(text(&out.stdout), "gc 1\n");
    assert_eq!(
        text(&out.stderr),
        "Lua warning: error in __gc ((command line):1: in gc)\n"
    );
    let code = "local x <close> = setmetatable({}, {__close = function() print('closed') end}) \
                setmetatable({}, {__gc = function() print('gc') end}) os.exit(true, true)";
    let out = lunarena(&["-e", code], b"");
    assert_eq!(text(&out.stdout), "closed\ngc\n");
    let out = lunarena(
        &[
            "-e",
            "setmetatable({}, {__gc = function() print('gc') end}) os.exit(0)",
        ],
        b"",
    );
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn traceback_shows_tail_calls_and_required_chunks() {
    let dir = scratch("tailcalls");
    std::fs::write(dir.join("m.lua"), "local t = nil\nreturn t.x\n").unwrap();
    let script = "local function g() error('x') end\nlocal function f() return g() end\n\
                  print(select(2, xpcall(f, debug.traceback)))\nrequire 'm'\n";
    std::fs::write(dir.join("s.lua"), script).unwrap();
    let out = command().arg("s.lua").current_dir(&dir).output().unwrap();
    assert_eq!(
        text(&out.stdout),
        "s.lua:1: x\nstack traceback:\n\t[C]: in function 'error'\n\ts.lua:1: in function <s.lua:1>\n\
         \t(...tail calls...)\n\t[C]: in function 'xpcall'\n\ts.lua:3: in main chunk\n\t[C]: in ?\n"
    );
    assert_eq!(
        text(&out.stderr),
        "lunarena: ./m.lua:2: attempt to index a nil value (local 't')\nstack traceback:\n\
         \t./m.lua:2: in main chunk\n\t[C]: in function 'require'\n\ts.lua:4: in main chunk\n\t[C]: in ?\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Objects with `__gc` still alive when the program ends, registered in
/// the order t, garbage, X, u.
const CLOSING: &str = "local t = setmetatable({}, {__gc = function () print('t') end}) \
    setmetatable({}, {__gc = function () print('garbage') end}) \
    X = setmetatable({}, {__gc = function () print('global') end}) \
    local u = setmetatable({}, {__gc = function () print('u') \
      setmetatable({}, {__gc = function () print('made while closing') end}) end}) \
    local bad = setmetatable({}, {__gc = function () error('in gc') end}) \
    print('end')";

#[test]
fn closing_the_state_runs_every_finalizer() {
    let finalized = "end\nu\nglobal\ngarbage\nt\n";
    // Normal end, os.exit(code, true) and an error all close the state.
    for (tail, code) in [("", 0), (" os.exit(3, true)", 3), (" error('x')", 1)] {
        let out = lunarena(&["-W", "-e", &format!("{CLOSING}{tail}")], b"");
        assert_eq!(text(&out.stdout), finalized, "after{tail}");
        assert_eq!(out.status.code(), Some(code));
        let err = text(&out.stderr);
        assert!(
            err.contains("Lua warning: error in __gc ((command line):1: in gc)\n"),
            "{err}"
        );
    }
    // Without `close`, os.exit leaves at once.
    let out = lunarena(&["-e", &format!("{CLOSING} os.exit(0)")], b"");
    assert_eq!(text(&out.stdout), "end\n");
}

#[test]
fn finalizer_errors_are_warnings() {
    let code = "setmetatable({}, {__gc = true}) collectgarbage() \
                setmetatable({}, {__gc = function () error({}) end}) collectgarbage() \
                setmetatable({}, {__gc = function () error('boom', 0) end}) collectgarbage() \
                print('still running')";
    let out = lunarena(&["-W", "-e", code], b"");
    assert_eq!(text(&out.stdout), "still running\n");
    assert_eq!(
        text(&out.stderr),
        "Lua warning: error in __gc (attempt to call a boolean value (metamethod '__gc'))\n\
         Lua warning: error in __gc (error object is not a string)\n\
         Lua warning: error in __gc (boom)\n"
    );
    // Warnings are off by default.
    let out = lunarena(&["-e", code], b"");
    assert_eq!(text(&out.stderr), "");
}

/// C-call depths as lua.c counts them (its own two protected calls below
/// the script), and lua.c's message handler seeing errors of `load`.
#[test]
fn c_call_depths_and_load_errors_under_the_message_handler() {
    let script = r#"local d = 0
local function f() d = d + 1; return pcall(f) end
f(); print("pcall", d)
d = 0
local mt = {}
mt.__tostring = function(t) d = d + 1; return tostring(setmetatable({}, mt)) end
pcall(tostring, setmetatable({}, mt)); print("tostring", d)
for n = 195, 199 do print(n, select(2, load(string.rep("(", n) .. "1" .. string.rep(")", n)))) end
print(load(function() error("reader") end))
"#;
    let out = lunarena(&["-"], script.as_bytes());
    let expected = r#"pcall	198
tostring	196
195	[string "(((((((((((((((((((((((((((((((((((((((((((((..."]:1: syntax error near <eof>
196	[string "(((((((((((((((((((((((((((((((((((((((((((((..."]:1: syntax error near <eof>
197	C stack overflow
stack traceback:
	[C]: in function 'load'
	stdin:8: in main chunk
	[C]: in ?
198	C stack overflow
stack traceback:
	[C]: in function 'load'
	stdin:8: in main chunk
	[C]: in ?
199	C stack overflow
stack traceback:
	[C]: in function 'load'
	stdin:8: in main chunk
	[C]: in ?
nil	stdin:9: reader
stack traceback:
	[C]: in function 'error'
	stdin:9: in function <stdin:9>
	[C]: in function 'load'
	stdin:9: in main chunk
	[C]: in ?
"#;
    assert_eq!(text(&out.stdout), expected);
}

/// A failing message handler is called again until lua.c's C stack runs
/// out ("C stack overflow" is handled too), then "error in error handling".
#[test]
fn failing_message_handlers_recurse_as_deep_as_in_lua_c() {
    let script = r#"local n, seen = 0, {}
print(xpcall(error, function(m) n = n + 1; seen[#seen+1] = m; error(m) end, "x"), n)
print(seen[1], seen[#seen], seen[197], seen[198])
n = 0
print(pcall(xpcall, error, function(m) n = n + 1; error(n) end, "x"), n)
n = 0
print(xpcall(error, function(m) n = n + 1; if n < 100 then error(m) end return "ok" .. n end, "x"))
"#;
    let out = lunarena(&["-"], script.as_bytes());
    let expected = r#"false	215
x	stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: stdin:2: C stack overflow	C stack overflow	stdin:2: C stack overflow
true	214
false	ok100
"#;
    assert_eq!(text(&out.stdout), expected);
}

#[test]
fn messages_start_with_the_name_the_interpreter_was_started_as() {
    // As lua.c: its argv[0], here the path it was started by.
    let exe = env!("CARGO_BIN_EXE_lunarena");
    let out = Command::new(exe)
        .args(["-e", "error('x', 0)"])
        .output()
        .unwrap();
    assert!(text(&out.stderr).starts_with(&format!("{exe}: x\n")));
    let out = Command::new(exe).arg("-x").output().unwrap();
    assert!(text(&out.stderr).starts_with(&format!(
        "{exe}: unrecognized option '-x'\nusage: {exe} [options] [script [args]]\n"
    )));
}
