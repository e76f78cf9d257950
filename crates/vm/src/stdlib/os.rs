//! The os library (reference manual §6.9).
//!
//! The sandboxed default has only the time functions (`clock`, `date`,
//! `difftime`, `time`); `Libs::os_full` adds the process and file system
//! ones (`execute`, `exit`, `getenv`, `remove`, `rename`, `setlocale`,
//! `tmpname`). Local time is UTC: the VM carries no time zone database
//! (see `crate::text::time`).

use std::time::{SystemTime, UNIX_EPOCH};

use gc_arena::Mutation;

use crate::error::{RtError, RtResult};
use crate::lua::Libs;
use crate::state::GlobalRef;
use crate::stdlib::mcx;
use crate::stdlib::{new_lib, set_fn};
use crate::table::Table;
use crate::text::c_str;
use crate::text::time::{self, DateFields, Tm};
use crate::value::Value;
use crate::vm::convert;
use crate::vm::ctx::Ctx;

pub fn open<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>, libs: Libs) {
    let t = new_lib(
        mc,
        g,
        "os",
        &[
            ("clock", clock),
            ("date", date),
            ("difftime", difftime),
            ("time", time),
        ],
    );
    if libs.os_full {
        for (name, f) in [
            ("execute", execute as crate::function::NativeFn),
            ("exit", exit),
            ("getenv", getenv),
            ("remove", remove),
            ("rename", rename),
            ("setlocale", setlocale),
            ("tmpname", tmpname),
        ] {
            set_fn(mc, g, t, name, f);
        }
    }
}

// ---- time ----

/// Processor time used by the program, in seconds. On Unix this is C's
/// `clock()` (CPU time of the process, as PUC-Rio Lua reports); elsewhere
/// the wall-clock time since the first call.
fn cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        extern "C" {
            fn clock() -> std::os::raw::c_long;
        }
        // POSIX requires CLOCKS_PER_SEC to be one million.
        // SAFETY: `clock` takes no arguments and has no preconditions.
        let c = unsafe { clock() };
        c as f64 / 1_000_000.0
    }
    #[cfg(not(unix))]
    {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64()
    }
}

fn clock<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    ctx.ret(Value::Number(cpu_seconds()))
}

fn now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs_f64().ceil() as i64),
    }
}

fn difftime<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let t1 = ctx.check_integer(0)?;
    let t2 = ctx.check_integer(1)?;
    ctx.ret(Value::Number(t1 as f64 - t2 as f64))
}

/// `lua_tointegerx`: an integer from a number or a numeral.
fn to_integer(v: Value<'_>) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(i),
        Value::Number(f) => crate::vm::arith::float_to_int_exact(f),
        Value::String(s) => match convert::str_to_number(s.as_bytes())? {
            convert::Number::Int(i) => Some(i),
            convert::Number::Float(f) => crate::vm::arith::float_to_int_exact(f),
        },
        _ => None,
    }
}

/// Reads a date field (with `__index`) like `os.time` does; `default` None
/// means the field is required.
fn get_field<'gc>(
    ctx: &mut Ctx<'gc, '_>,
    t: Value<'gc>,
    key: &str,
    default: Option<i64>,
    delta: i64,
) -> RtResult<'gc, i64> {
    let k = ctx.str_value(key.as_bytes());
    let v = mcx(ctx).index(t, k, &|_| String::new())?;
    match to_integer(v) {
        Some(i) => time::check_date_field(key, i, delta).map_err(RtError::msg),
        None if !v.is_nil() => Err(RtError::msg(format!("field '{key}' is not an integer"))),
        None => default.ok_or_else(|| RtError::msg(format!("field '{key}' missing in date table"))),
    }
}

/// Stores the fields of a broken-down time in a table (with `__newindex`).
fn set_all_fields<'gc>(ctx: &mut Ctx<'gc, '_>, t: Value<'gc>, tm: &Tm) -> RtResult<'gc, ()> {
    let fields: [(&str, Value<'gc>); 9] = [
        ("year", Value::Integer(tm.year)),
        ("month", Value::Integer(i64::from(tm.month))),
        ("day", Value::Integer(i64::from(tm.day))),
        ("hour", Value::Integer(i64::from(tm.hour))),
        ("min", Value::Integer(i64::from(tm.min))),
        ("sec", Value::Integer(i64::from(tm.sec))),
        ("yday", Value::Integer(i64::from(tm.yday))),
        ("wday", Value::Integer(i64::from(tm.wday))),
        ("isdst", Value::Boolean(tm.isdst)),
    ];
    for (key, v) in fields {
        let k = ctx.str_value(key.as_bytes());
        mcx(ctx).set_index(t, k, v, &|_| String::new())?;
    }
    Ok(())
}

fn time<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if ctx.arg(0).is_nil() {
        return ctx.ret(Value::Integer(now()));
    }
    let t = Value::Table(ctx.check_table(0)?);
    let fields = DateFields {
        year: get_field(&mut ctx, t, "year", None, 1900)?,
        month: get_field(&mut ctx, t, "month", None, 1)?,
        day: get_field(&mut ctx, t, "day", None, 0)?,
        hour: get_field(&mut ctx, t, "hour", Some(12), 0)?,
        min: get_field(&mut ctx, t, "min", Some(0), 0)?,
        sec: get_field(&mut ctx, t, "sec", Some(0), 0)?,
        isdst: {
            let k = ctx.str_value(b"isdst");
            match mcx(&mut ctx).index(t, k, &|_| String::new())? {
                Value::Nil => None,
                v => Some(v.is_truthy()),
            }
        },
    };
    let Some(epoch) = time::epoch_from_tm(&fields) else {
        return Err(RtError::msg(
            "time result cannot be represented in this installation",
        ));
    };
    if let Some(tm) = time::tm_from_epoch(epoch) {
        set_all_fields(&mut ctx, t, &tm)?;
    }
    ctx.ret(Value::Integer(epoch))
}

fn date<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let fmt = match ctx.opt_string(0)? {
        Some(s) => s.as_bytes(),
        None => b"%c",
    };
    let t = if ctx.arg(1).is_nil() {
        now()
    } else {
        ctx.check_integer(1)?
    };
    let (fmt, zone) = match fmt.strip_prefix(b"!") {
        Some(rest) => (rest, "GMT"),
        None => (fmt, "UTC"),
    };
    let Some(tm) = time::tm_from_epoch(t) else {
        return Err(RtError::msg(
            "date result cannot be represented in this installation",
        ));
    };
    // PUC-Rio compares with strcmp: text after a zero byte is ignored.
    let c_str = fmt.split(|&b| b == 0).next().unwrap_or_default();
    if c_str == b"*t" {
        let table = Value::Table(Table::new(ctx.mc));
        set_all_fields(&mut ctx, table, &tm)?;
        return ctx.ret(table);
    }
    let mut out = Vec::new();
    time::strftime(fmt, &tm, zone, &mut out).map_err(|e| RtError::bad_arg(1, e))?;
    let v = ctx.str_value(&out);
    ctx.ret(v)
}

// ---- process and file system (Libs::os_full) ----

/// The C `strerror` text of an I/O error (Rust appends " (os error N)").
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// `luaL_fileresult`: true, or nil + message + errno.
fn file_result<'gc>(
    mut ctx: Ctx<'gc, '_>,
    r: std::io::Result<()>,
    name: Option<&[u8]>,
) -> RtResult<'gc, usize> {
    match r {
        Ok(()) => ctx.ret(Value::Boolean(true)),
        Err(e) => {
            let mut msg = Vec::new();
            if let Some(n) = name {
                msg.extend_from_slice(n);
                msg.extend_from_slice(b": ");
            }
            msg.extend_from_slice(strerror(&e).as_bytes());
            let v = ctx.str_value(&msg);
            ctx.push(Value::Nil);
            ctx.push(v);
            ctx.push(Value::Integer(i64::from(e.raw_os_error().unwrap_or(0))));
            Ok(3)
        }
    }
}

#[cfg(unix)]
fn os_path(b: &[u8]) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    std::path::PathBuf::from(std::ffi::OsStr::from_bytes(b))
}

/// `/bin/sh -c cmd`, as `system` and `popen` run it: the shell is named
/// "sh", so its own messages read "sh: ...".
pub(crate) fn shell_command(cmd: &[u8]) -> std::process::Command {
    let mut c = std::process::Command::new("/bin/sh");
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        c.arg0("sh");
    }
    c.arg("-c").arg(os_path(c_str(cmd)).into_os_string());
    c
}

#[cfg(not(unix))]
fn os_path(b: &[u8]) -> std::path::PathBuf {
    std::path::PathBuf::from(String::from_utf8_lossy(b).into_owned())
}

fn getenv<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let name = c_str(ctx.check_string(0)?.as_bytes());
    let key = os_path(name).into_os_string();
    let v = match std::env::var_os(key) {
        Some(val) => ctx.str_value(val.to_string_lossy().as_bytes()),
        None => Value::Nil,
    };
    ctx.ret(v)
}

fn remove<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let name = c_str(ctx.check_string(0)?.as_bytes());
    let path = os_path(name);
    // C `remove` deletes files and empty directories.
    let r = match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir(&path),
        _ => std::fs::remove_file(&path),
    };
    file_result(ctx, r, Some(name))
}

fn rename<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let from = c_str(ctx.check_string(0)?.as_bytes());
    let to = c_str(ctx.check_string(1)?.as_bytes());
    let r = std::fs::rename(os_path(from), os_path(to));
    file_result(ctx, r, None)
}

fn tmpname<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for _ in 0..100 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut x = u64::from(nanos)
            ^ (u64::from(std::process::id()) << 32)
            ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut suffix = String::new();
        for _ in 0..6 {
            const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            suffix.push(CHARS[(x % CHARS.len() as u64) as usize] as char);
            x /= CHARS.len() as u64;
        }
        let path = dir.join(format!("lua_{suffix}"));
        // Like mkstemp, the file is created so the name stays reserved.
        if std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .is_ok()
        {
            let v = ctx.str_value(path.to_string_lossy().as_bytes());
            return ctx.ret(v);
        }
    }
    Err(RtError::msg("unable to generate a unique filename"))
}

fn execute<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    use std::io::Write;
    let Some(cmd) = ctx.opt_string(0)? else {
        // Whether a shell is available.
        let has_shell = cfg!(unix) && std::path::Path::new("/bin/sh").exists();
        return ctx.ret(Value::Boolean(has_shell));
    };
    let _ = std::io::stdout().flush();
    let status = shell_command(cmd.as_bytes()).status();
    let status = match status {
        Ok(s) => s,
        Err(e) => return file_result(ctx, Err(e), None),
    };
    let (what, code) = match status.code() {
        Some(c) => ("exit", i64::from(c)),
        None => ("signal", signal_of(&status)),
    };
    if what == "exit" && code == 0 {
        ctx.push(Value::Boolean(true));
    } else {
        ctx.push(Value::Nil);
    }
    let w = ctx.str_value(what.as_bytes());
    ctx.push(w);
    ctx.push(Value::Integer(code));
    Ok(3)
}

#[cfg(unix)]
fn signal_of(s: &std::process::ExitStatus) -> i64 {
    use std::os::unix::process::ExitStatusExt;
    i64::from(s.signal().unwrap_or(0))
}

#[cfg(not(unix))]
fn signal_of(_: &std::process::ExitStatus) -> i64 {
    0
}

fn exit<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    use std::io::Write;
    let code = match ctx.arg(0) {
        Value::Nil | Value::Boolean(true) => 0,
        Value::Boolean(false) => 1,
        _ => ctx.check_integer(0)? as i32,
    };
    if ctx.arg(1).is_truthy() {
        close_state(&mut ctx);
    }
    // C's exit flushes every open stream.
    crate::stdlib::io::flush_all();
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}

/// `os.exit(code, true)` closes the state first: the pending to-be-closed
/// variables of the main thread are closed, then the finalizers of all
/// objects run (errors in them become warnings).
fn close_state(ctx: &mut Ctx<'_, '_>) {
    if ctx.th == ctx.g.main_thread {
        while let Some(slot) = ctx.ts.tbc.pop() {
            let v = ctx.ts.stack[slot];
            let f = crate::vm::meta::get_tm(ctx.g, v, crate::state::Tm::Close);
            if !f.is_nil() {
                let _ = ctx.call(f, &[v, Value::Nil]);
            }
        }
    }
    let (mc, g) = (ctx.mc, ctx.g);
    crate::gc::queue_all_finalizers(mc, g);
    crate::gc::run_queued_finalizers(mc, g, |f, obj| {
        // Marked as a finalizer's frame: for its name, and so that its
        // errors skip message handlers (they become warnings).
        let saved = ctx.ts.finalizer_frame.replace(ctx.ts.frames.len());
        let r = ctx.call(f, &[obj]).map(drop);
        ctx.ts.finalizer_frame = saved;
        r
    });
}

/// Only the C locale exists: queries and requests for "C", "POSIX" or the
/// default ("") succeed, anything else fails.
fn setlocale<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let locale = ctx.opt_string(0)?;
    let category = match ctx.opt_string(1)? {
        Some(c) => c_str(c.as_bytes()),
        None => b"all",
    };
    const CATEGORIES: [&[u8]; 6] = [
        b"all",
        b"collate",
        b"ctype",
        b"monetary",
        b"numeric",
        b"time",
    ];
    if !CATEGORIES.contains(&category) {
        return Err(RtError::bad_arg(
            2,
            format!("invalid option '{}'", String::from_utf8_lossy(category)),
        ));
    }
    let state = locale_state(&ctx);
    let get = |field: &[u8]| match state.get(Value::String(ctx.intern(field))) {
        Value::String(s) => s.as_bytes().to_vec(),
        _ => b"C".to_vec(),
    };
    if let Some(l) = locale {
        let l = c_str(l.as_bytes());
        let fields: &[&[u8]] = if category == b"all" {
            &LOCALE_FIELDS
        } else {
            &[category]
        };
        // With "", each category takes its name from the environment.
        let mut names = Vec::new();
        for f in fields {
            let mut name = if l.is_empty() {
                env_locale(f)
            } else {
                l.to_vec()
            };
            if name == b"POSIX" {
                name = b"C".to_vec();
            }
            // Only the C locales exist here (they behave alike for the
            // libraries).
            if !matches!(name.as_slice(), b"C" | b"C.UTF-8" | b"C.utf8") {
                return ctx.ret(Value::Nil);
            }
            names.push(name);
        }
        for (f, name) in fields.iter().zip(names) {
            let (k, v) = (ctx.str_value(f), ctx.str_value(&name));
            let _ = state.set(ctx.mc, k, v);
        }
    }
    let name = if category != b"all" {
        get(category)
    } else if LOCALE_FIELDS.iter().all(|f| get(f) == get(b"other")) {
        get(b"other")
    } else {
        // As glibc names a mixed locale: every category, in its order.
        let mut out = Vec::new();
        for (var, field) in GLIBC_CATEGORIES {
            if !out.is_empty() {
                out.push(b';');
            }
            out.extend_from_slice(var.as_bytes());
            out.push(b'=');
            out.extend_from_slice(&get(field));
        }
        out
    };
    let v = ctx.str_value(&name);
    ctx.ret(v)
}

/// The categories `os.setlocale` sets one by one; "other" stands for the
/// ones only "all" sets.
const LOCALE_FIELDS: [&[u8]; 6] = [
    b"collate",
    b"ctype",
    b"monetary",
    b"numeric",
    b"time",
    b"other",
];

/// glibc's categories in the order it lists them, with the field of each.
const GLIBC_CATEGORIES: [(&str, &[u8]); 12] = [
    ("LC_CTYPE", b"ctype"),
    ("LC_NUMERIC", b"numeric"),
    ("LC_TIME", b"time"),
    ("LC_COLLATE", b"collate"),
    ("LC_MONETARY", b"monetary"),
    ("LC_MESSAGES", b"other"),
    ("LC_PAPER", b"other"),
    ("LC_NAME", b"other"),
    ("LC_ADDRESS", b"other"),
    ("LC_TELEPHONE", b"other"),
    ("LC_MEASUREMENT", b"other"),
    ("LC_IDENTIFICATION", b"other"),
];

/// The table (in the registry) of the locale name of each category.
fn locale_state<'gc>(ctx: &Ctx<'gc, '_>) -> Table<'gc> {
    let key = Value::String(ctx.intern(b"_LOCALE"));
    if let Value::Table(t) = ctx.g.registry.get(key) {
        return t;
    }
    let t = ctx.new_table();
    let _ = ctx.g.registry.set(ctx.mc, key, Value::Table(t));
    t
}

/// The locale `setlocale(category, "")` takes from the environment:
/// `LC_ALL`, then the category's variable (`LC_MESSAGES` for the ones
/// only "all" sets), then `LANG`, else "C".
fn env_locale(category: &[u8]) -> Vec<u8> {
    let var = match category {
        b"collate" => "LC_COLLATE",
        b"ctype" => "LC_CTYPE",
        b"monetary" => "LC_MONETARY",
        b"numeric" => "LC_NUMERIC",
        b"time" => "LC_TIME",
        _ => "LC_MESSAGES",
    };
    ["LC_ALL", var, "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .map_or_else(|| b"C".to_vec(), String::into_bytes)
}
