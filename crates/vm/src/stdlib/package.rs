//! The package library and `require` (reference manual §6.3). Modules come
//! from `package.preload`, and from Lua files along `package.path` when
//! `Libs::package_files` is set. C modules cannot be loaded.

use gc_arena::Mutation;

use crate::error::{RtError, RtResult};
use crate::function::{NativeFn, NativeFunction, NativeKind};
use crate::lua::Libs;
use crate::state::{Global, GlobalRef};
use crate::stdlib::mcx;
use crate::stdlib::set_value;
use crate::string::LuaString;
use crate::table::Table;
use crate::value::{Function, Value};
use crate::vm::ctx::Ctx;

/// Registry keys of `package.loaded` and `package.preload`.
pub const LOADED_KEY: &[u8] = b"_LOADED";
pub const PRELOAD_KEY: &[u8] = b"_PRELOAD";

/// The default search paths of the reference interpreter (Debian build).
const DEFAULT_PATH: &str = "/usr/local/share/lua/5.4/?.lua;/usr/local/share/lua/5.4/?/init.lua;\
/usr/local/lib/lua/5.4/?.lua;/usr/local/lib/lua/5.4/?/init.lua;\
/usr/share/lua/5.4/?.lua;/usr/share/lua/5.4/?/init.lua;./?.lua;./?/init.lua";
const DEFAULT_CPATH: &str = "/usr/local/lib/lua/5.4/?.so;/usr/lib/x86_64-linux-gnu/lua/5.4/?.so;\
/usr/lib/lua/5.4/?.so;/usr/local/lib/lua/5.4/loadall.so;./?.so";

/// `package.path` and `package.cpath` when the environment does not set them.
pub fn default_paths() -> [(&'static str, &'static str); 2] {
    [("path", DEFAULT_PATH), ("cpath", DEFAULT_CPATH)]
}

const DLMSG: &str = "dynamic libraries not enabled; check your Lua installation";

/// Libraries registered in `package.loaded` when they exist as globals.
const LIB_NAMES: &[&str] = &[
    "coroutine",
    "table",
    "io",
    "os",
    "string",
    "math",
    "utf8",
    "debug",
];

fn native<'gc>(
    mc: &Mutation<'gc>,
    name: &'static str,
    f: NativeFn,
    ups: &[Value<'gc>],
) -> Value<'gc> {
    Value::Function(Function::Native(NativeFunction::with_upvalues(
        mc,
        name,
        NativeKind::Plain(f),
        ups,
    )))
}

/// Opens `package` and `require`. Call it after the other libraries, so
/// that they are registered in `package.loaded`.
pub fn open<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>, libs: Libs) {
    let key = |s: &[u8]| Value::String(Global::intern(g, mc, s));
    let loaded = match g.registry.get(key(LOADED_KEY)) {
        Value::Table(t) => t,
        _ => {
            let t = Table::new(mc);
            let _ = g.registry.set(mc, key(LOADED_KEY), Value::Table(t));
            t
        }
    };
    let preload = Table::new(mc);
    let _ = g.registry.set(mc, key(PRELOAD_KEY), Value::Table(preload));

    let package = Table::new(mc);
    let pv = Value::Table(package);
    set_value(mc, g, loaded, "_G", Value::Table(g.globals));
    for name in LIB_NAMES {
        let v = g.globals.get(key(name.as_bytes()));
        if let Value::Table(_) = v {
            set_value(mc, g, loaded, name, v);
        }
    }
    set_value(mc, g, loaded, "package", pv);
    set_value(mc, g, package, "loaded", Value::Table(loaded));
    set_value(mc, g, package, "preload", Value::Table(preload));
    set_value(mc, g, package, "config", key(b"/\n;\n?\n!\n-\n"));
    let (path, cpath) = if libs.package_files {
        (
            env_path("LUA_PATH_5_4", "LUA_PATH", DEFAULT_PATH),
            env_path("LUA_CPATH_5_4", "LUA_CPATH", DEFAULT_CPATH),
        )
    } else {
        (DEFAULT_PATH.to_string(), DEFAULT_CPATH.to_string())
    };
    set_value(mc, g, package, "path", key(path.as_bytes()));
    set_value(mc, g, package, "cpath", key(cpath.as_bytes()));

    let searchers = Table::new(mc);
    let mut list = vec![native(mc, "searcher_preload", searcher_preload, &[pv])];
    if libs.package_files {
        list.push(native(mc, "searcher_Lua", searcher_lua, &[pv]));
        list.push(native(mc, "searcher_C", searcher_c, &[pv]));
        list.push(native(mc, "searcher_Croot", searcher_croot, &[pv]));
        set_value(
            mc,
            g,
            package,
            "searchpath",
            native(mc, "searchpath", searchpath, &[]),
        );
        set_value(
            mc,
            g,
            package,
            "loadlib",
            native(mc, "loadlib", loadlib, &[]),
        );
    }
    for (i, f) in list.into_iter().enumerate() {
        let _ = searchers.set(mc, Value::Integer(i as i64 + 1), f);
    }
    set_value(mc, g, package, "searchers", Value::Table(searchers));
    set_value(mc, g, g.globals, "package", pv);
    set_value(
        mc,
        g,
        g.globals,
        "require",
        native(mc, "require", require, &[pv]),
    );
}

/// A path from the environment, with ";;" replaced by the default path.
fn env_path(v54: &str, v: &str, default: &str) -> String {
    let Some(path) = std::env::var_os(v54).or_else(|| std::env::var_os(v)) else {
        return default.to_string();
    };
    let path = path.to_string_lossy().into_owned();
    let Some(mark) = path.find(";;") else {
        return path;
    };
    let mut out = String::new();
    if mark > 0 {
        out.push_str(&path[..mark]);
        out.push(';');
    }
    out.push_str(default);
    if mark + 2 < path.len() {
        out.push(';');
        out.push_str(&path[mark + 2..]);
    }
    out
}

fn getfield<'gc>(ctx: &mut Ctx<'gc, '_>, t: Value<'gc>, k: &[u8]) -> RtResult<'gc, Value<'gc>> {
    let key = ctx.str_value(k);
    let r = mcx(ctx).index(t, key, &crate::vm::meta::no_name);
    crate::stdlib::table::in_native(ctx, r)
}

fn setfield<'gc>(
    ctx: &mut Ctx<'gc, '_>,
    t: Value<'gc>,
    k: &[u8],
    v: Value<'gc>,
) -> RtResult<'gc, ()> {
    let key = ctx.str_value(k);
    let r = mcx(ctx).set_index(t, key, v, &crate::vm::meta::no_name);
    crate::stdlib::table::in_native(ctx, r)
}

fn require<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if ctx.resumed() {
        return require_loaded(ctx);
    }
    let name = ctx.check_string(0)?;
    let loaded = ctx.g.registry.get(ctx.str_value(LOADED_KEY));
    let cur = getfield(&mut ctx, loaded, name.as_bytes())?;
    if cur.is_truthy() {
        return ctx.ret(cur);
    }
    let (loader, data) = find_loader(&mut ctx, Value::String(name))?;
    // The loader runs as a normal call (it may await the host); its data
    // waits after the name.
    ctx.set_args(1);
    ctx.push(data);
    ctx.call_then(loader, &[Value::String(name), data], 1)
}

/// `require` after the loader returned `r` (arguments: name, data, r).
fn require_loaded<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let name = ctx.check_string(0)?;
    let nb = name.as_bytes();
    let (data, r) = (ctx.arg(1), ctx.arg(2));
    let loaded = ctx.g.registry.get(ctx.str_value(LOADED_KEY));
    if !r.is_nil() {
        setfield(&mut ctx, loaded, nb, r)?;
    }
    let mut result = getfield(&mut ctx, loaded, nb)?;
    if result.is_nil() {
        result = Value::Boolean(true);
        setfield(&mut ctx, loaded, nb, result)?;
    }
    ctx.push(result);
    ctx.push(data);
    Ok(2)
}

fn find_loader<'gc>(
    ctx: &mut Ctx<'gc, '_>,
    name: Value<'gc>,
) -> RtResult<'gc, (Value<'gc>, Value<'gc>)> {
    let package = ctx.upvalue(0);
    let searchers = getfield(ctx, package, b"searchers")?;
    let Value::Table(searchers) = searchers else {
        return Err(RtError::msg("'package.searchers' must be a table"));
    };
    let mut msg: Vec<u8> = Vec::new();
    for i in 1.. {
        let s = searchers.get_int(i);
        if s.is_nil() {
            let Value::String(n) = name else {
                unreachable!()
            };
            return Err(RtError::msg(format!(
                "module '{}' not found:{}",
                n.to_str_lossy(),
                String::from_utf8_lossy(&msg)
            )));
        }
        let r = ctx.call(s, &[name])?;
        let first = r.first().copied().unwrap_or(Value::Nil);
        let second = r.get(1).copied().unwrap_or(Value::Nil);
        match first {
            Value::Function(_) => return Ok((first, second)),
            Value::String(m) => {
                msg.extend_from_slice(b"\n\t");
                msg.extend_from_slice(m.as_bytes());
            }
            Value::Integer(_) | Value::Number(_) => {
                msg.extend_from_slice(b"\n\t");
                crate::vm::meta::number_to_bytes(first, &mut msg);
            }
            _ => {}
        }
    }
    unreachable!()
}

fn searcher_preload<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let name = ctx.check_string(0)?;
    let preload = ctx.g.registry.get(ctx.str_value(PRELOAD_KEY));
    if !matches!(preload, Value::Table(_)) {
        return Err(RtError::msg("'package.preload' must be a table"));
    }
    let v = getfield(&mut ctx, preload, name.as_bytes())?;
    if v.is_nil() {
        let m = format!("no field package.preload['{}']", name.to_str_lossy());
        let m = ctx.str_value(m.as_bytes());
        return ctx.ret(m);
    }
    ctx.push(v);
    let p = ctx.str_value(b":preload:");
    ctx.push(p);
    Ok(2)
}

fn readable(path: &[u8]) -> bool {
    use std::os::unix::ffi::OsStrExt;
    std::fs::File::open(std::ffi::OsStr::from_bytes(path)).is_ok()
}

fn replace_all(s: &[u8], pat: &[u8], rep: &[u8]) -> Vec<u8> {
    if pat.is_empty() {
        return s.to_vec();
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(pat) {
            out.extend_from_slice(rep);
            i += pat.len();
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Looks for a readable file for `name` along `path`; on failure returns
/// the "no file '...'" list.
pub fn search_path(
    name: &[u8],
    path: &[u8],
    sep: &[u8],
    dirsep: &[u8],
) -> Result<Vec<u8>, Vec<u8>> {
    // As PUC does: the first byte of `sep` decides whether to replace, and
    // then every occurrence of the whole `sep` is replaced.
    let name = if !sep.is_empty() && name.contains(&sep[0]) {
        replace_all(name, sep, dirsep)
    } else {
        name.to_vec()
    };
    let full = replace_all(path, b"?", &name);
    for candidate in full.split(|&c| c == b';') {
        if candidate.is_empty() {
            continue;
        }
        if readable(candidate) {
            return Ok(candidate.to_vec());
        }
    }
    let mut msg = b"no file '".to_vec();
    msg.extend_from_slice(&replace_all(&full, b";", b"'\n\tno file '"));
    msg.push(b'\'');
    Err(msg)
}

fn searchpath<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    // Checked last argument first, so a bad call is reported as lua5.4
    // (whose C compiler evaluates the checks right to left) reports it.
    let rep = ctx.opt_string(3)?.map(|s| s.as_bytes()).unwrap_or(b"/");
    let sep = ctx.opt_string(2)?.map(|s| s.as_bytes()).unwrap_or(b".");
    let path = ctx.check_string(1)?;
    let name = ctx.check_string(0)?;
    match search_path(name.as_bytes(), path.as_bytes(), sep, rep) {
        Ok(f) => {
            let v = ctx.str_value(&f);
            ctx.ret(v)
        }
        Err(m) => {
            ctx.push(Value::Nil);
            let v = ctx.str_value(&m);
            ctx.push(v);
            Ok(2)
        }
    }
}

/// `package.path`/`package.cpath` as a string, or the PUC error.
fn path_field<'gc>(ctx: &mut Ctx<'gc, '_>, field: &str) -> RtResult<'gc, Vec<u8>> {
    let package = ctx.upvalue(0);
    match getfield(ctx, package, field.as_bytes())? {
        Value::String(s) => Ok(s.as_bytes().to_vec()),
        v @ (Value::Integer(_) | Value::Number(_)) => {
            let mut b = Vec::new();
            crate::vm::meta::number_to_bytes(v, &mut b);
            Ok(b)
        }
        _ => Err(RtError::msg(format!("'package.{field}' must be a string"))),
    }
}

fn searcher_lua<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let name = ctx.check_string(0)?;
    let path = path_field(&mut ctx, "path")?;
    let filename = match search_path(name.as_bytes(), &path, b".", b"/") {
        Ok(f) => f,
        Err(m) => {
            let v = ctx.str_value(&m);
            return ctx.ret(v);
        }
    };
    let load_err = |msg: &str| {
        RtError::msg(format!(
            "error loading module '{}' from file '{}':\n\t{}",
            name.to_str_lossy(),
            String::from_utf8_lossy(&filename),
            msg
        ))
    };
    let (src, chunk) = match read_source(Some(&filename)) {
        Ok(x) => x,
        Err(m) => return Err(load_err(&m)),
    };
    // Text or binary, as `luaL_loadfilex` with no mode.
    let globals = Value::Table(ctx.g.globals);
    match crate::stdlib::base::compile_chunk(&ctx, &src, &chunk, b"bt", globals) {
        Ok(f) => {
            ctx.push(f);
            let fv = ctx.str_value(&filename);
            ctx.push(fv);
            Ok(2)
        }
        Err(m) => Err(load_err(&m)),
    }
}

/// A chunk's text and its chunk name.
pub type Source = (Vec<u8>, Vec<u8>);

/// Reads a chunk as `luaL_loadfilex` does, from a file or (with `None`)
/// from standard input: a UTF-8 byte order mark is skipped, and so is a
/// first line starting with '#' (its newline is kept, so that line numbers
/// stay right; not before a binary chunk). Returns the text and the chunk
/// name (`@path` or `=stdin`), or the message "cannot open/read NAME: reason".
pub fn read_source(path: Option<&[u8]>) -> Result<Source, String> {
    use std::io::Read;
    use std::os::unix::ffi::OsStrExt;
    let (data, chunk) = match path {
        Some(p) => {
            let name = String::from_utf8_lossy(p);
            let fail = |what: &str, e: std::io::Error| {
                format!(
                    "cannot {what} {name}: {}",
                    crate::stdlib::io::os_error(&e).0
                )
            };
            let mut f =
                std::fs::File::open(std::ffi::OsStr::from_bytes(p)).map_err(|e| fail("open", e))?;
            let mut data = Vec::new();
            f.read_to_end(&mut data).map_err(|e| fail("read", e))?;
            let mut chunk = b"@".to_vec();
            chunk.extend_from_slice(p);
            (data, chunk)
        }
        None => {
            let mut data = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut data)
                .map_err(|e| format!("cannot read stdin: {}", crate::stdlib::io::os_error(&e).0))?;
            (data, b"=stdin".to_vec())
        }
    };
    Ok((skip_header(&data), chunk))
}

/// `skipcomment` of lauxlib.c, byte for byte: an incomplete byte order mark
/// loses the bytes read while checking it, as with C's `getc`.
fn skip_header(data: &[u8]) -> Vec<u8> {
    let mut pos = 0;
    let mut getc = || {
        let c = data.get(pos).copied();
        if c.is_some() {
            pos += 1;
        }
        c
    };
    let first = getc();
    let mut c = if first == Some(0xEF) && getc() == Some(0xBB) && getc() == Some(0xBF) {
        getc()
    } else {
        first
    };
    let mut out = Vec::with_capacity(data.len() + 1);
    if c == Some(b'#') {
        loop {
            match getc() {
                None | Some(b'\n') => break,
                _ => {}
            }
        }
        c = getc();
        out.push(b'\n');
    }
    if c == Some(0x1b) {
        out.clear();
    }
    out.extend(c);
    out.extend_from_slice(&data[pos..]);
    out
}

fn searcher_c<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let name = ctx.check_string(0)?;
    search_c(ctx, name, name.as_bytes())
}

/// For `a.b.c`, a C library `a` that would export `luaopen_a_b_c`.
fn searcher_croot<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let name = ctx.check_string(0)?;
    let Some(dot) = name.as_bytes().iter().position(|&c| c == b'.') else {
        return Ok(0);
    };
    search_c(ctx, name, &name.as_bytes()[..dot])
}

/// Looks for `file` along `package.cpath`: the search's message when it
/// finds none; an error when it finds one, as C libraries cannot load here.
fn search_c<'gc>(mut ctx: Ctx<'gc, '_>, name: LuaString<'gc>, file: &[u8]) -> RtResult<'gc, usize> {
    let cpath = path_field(&mut ctx, "cpath")?;
    match search_path(file, &cpath, b".", b"/") {
        Ok(f) => Err(RtError::msg(format!(
            "error loading module '{}' from file '{}':\n\t{DLMSG}",
            name.to_str_lossy(),
            String::from_utf8_lossy(&f)
        ))),
        Err(m) => {
            let v = ctx.str_value(&m);
            ctx.ret(v)
        }
    }
}

fn loadlib<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    ctx.check_string(0)?;
    ctx.check_string(1)?;
    ctx.push(Value::Nil);
    let m = ctx.str_value(DLMSG.as_bytes());
    ctx.push(m);
    let w = ctx.str_value(b"absent");
    ctx.push(w);
    Ok(3)
}
