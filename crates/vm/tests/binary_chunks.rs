//! Binary chunks of PUC-Rio Lua 5.4: `tests/binary_chunks/NAME.luac` (and
//! the stripped `NAME.s.luac`) were dumped by `lua5.4` from `NAME.lua`
//! (`regen.sh`); run by us they print what they print under `lua5.4`
//! (`NAME.expected`, `NAME.s.expected`).

use std::cell::RefCell;
use std::path::PathBuf;
use std::process::Command;
use std::rc::Rc;

use lunarena_vm::{Libs, Lua};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/binary_chunks")
}

const PROGRAMS: &[&str] = &[
    "bigtable", "closures", "consts", "loops", "meta", "nested", "tables", "tbc",
];

fn check_chunk(file: &str, expected: &str) {
    let dir = fixtures();
    let out = Command::new(env!("CARGO_BIN_EXE_lunarena"))
        .arg(dir.join(file))
        .output()
        .unwrap();
    let want = std::fs::read(dir.join(expected)).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&want),
        "{file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{file}");
}

#[test]
fn chunks_of_lua_5_4_run_as_there() {
    for name in PROGRAMS {
        check_chunk(&format!("{name}.luac"), &format!("{name}.expected"));
    }
}

#[test]
fn stripped_chunks_of_lua_5_4_run_as_there() {
    for name in PROGRAMS {
        check_chunk(&format!("{name}.s.luac"), &format!("{name}.s.expected"));
    }
}

/// A Lua string literal of `bytes`.
fn literal(bytes: &[u8]) -> String {
    let escaped: String = bytes.iter().map(|b| format!("\\{b}")).collect();
    format!("\"{escaped}\"")
}

/// Runs `src` with `CHUNK` set to `chunk`; what it prints.
fn run_with(chunk: &[u8], src: &str) -> String {
    let mut lua = Lua::new(Libs::ALL);
    let out = Rc::new(RefCell::new(Vec::new()));
    let sink = out.clone();
    lua.set_print(Box::new(move |b| sink.borrow_mut().extend_from_slice(b)));
    let setup = format!("CHUNK = {}", literal(chunk));
    lua.exec(setup.as_bytes(), "=setup").unwrap();
    if let Err(e) = lua.exec(src.as_bytes(), "=test") {
        panic!("{e}");
    }
    let text = String::from_utf8_lossy(&out.borrow()).into_owned();
    text
}

/// Runs `src` with `CHUNK` set to the bytes of fixture `file`.
fn run_with_chunk(file: &str, src: &str) -> String {
    run_with(&std::fs::read(fixtures().join(file)).unwrap(), src)
}

#[test]
fn bad_chunks_get_the_messages_of_lua_5_4() {
    let src = r#"
        for _, n in ipairs({5, 20, 33, 34, 40, #CHUNK - 1}) do
          print(n, load(CHUNK:sub(1, n)))
        end
        print(load(CHUNK:sub(1, 32) .. ("\x7f"):rep(10) .. "\xff"))
        print(load(CHUNK:sub(1, 33) .. ("\x7f"):rep(5) .. "\xff"))
        print(load(CHUNK, "=name", "t"))
        print(load(CHUNK, "@file.luac"))
        print(load(CHUNK:sub(1, 4) .. "\x53" .. CHUNK:sub(6)))
        print(load(CHUNK:sub(1, 12) .. "\x08" .. CHUNK:sub(14)))"#;
    let out = run_with_chunk("closures.s.luac", src);
    let trunc = "nil\tbinary string: bad binary format (truncated chunk)";
    let n = std::fs::read(fixtures().join("closures.s.luac"))
        .unwrap()
        .len()
        - 1;
    let want = format!(
        "5\t{trunc}\n20\t{trunc}\n33\t{trunc}\n34\t{trunc}\n40\t{trunc}\n{n}\t{trunc}\n\
         nil\tbinary string: bad binary format (integer overflow)\n\
         nil\tbinary string: bad binary format (integer overflow)\n\
         nil\tattempt to load a binary chunk (mode is 't')\n"
    );
    let mut lines = out.lines();
    let head: Vec<&str> = lines.by_ref().take(9).collect();
    assert_eq!(head.join("\n") + "\n", want);
    assert!(lines.next().unwrap().starts_with("function: "));
    assert_eq!(
        lines.collect::<Vec<_>>(),
        [
            "nil\tbinary string: bad binary format (version mismatch)",
            "nil\tbinary string: bad binary format (Instruction size mismatch)",
        ]
    );
}

/// calls.lua of the official tests: a hand-made chunk whose list of
/// upvalue names is longer than its upvalues loads (the extra bytes are
/// ignored, as by `lua5.4`).
#[test]
fn upvalue_names_beyond_the_upvalues_are_ignored() {
    let code = b"\x1b\x4c\x75\x61\x54\x00\x19\x93\x0d\x0a\x1a\x0a\x04\x08\x08\x78\x56\
        \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x28\x77\x40\x00\x86\x40\
        \x74\x65\x6d\x70\x81\x81\x01\x00\x02\x82\x48\x00\x02\x00\xc7\x00\x01\
        \x00\x80\x80\x80\x82\x00\x00\x80\x81\x82\x78\x80\x82\x81\x86\x40\x74\
        \x65\x6d\x70";
    let src = "local f = assert(load(CHUNK)) print(f(7), debug.getinfo(f, 'S').source)";
    assert_eq!(run_with(code, src), "7\t@temp\n");
}

#[test]
fn chunks_come_back_through_string_dump() {
    // A 5.4 chunk loaded here dumps as ours, which reloads in this process.
    let src = r#"
        local f = assert(load(CHUNK))
        local again = assert(load(string.dump(f)))
        print(string.dump(f) ~= CHUNK, again() == f())"#;
    assert_eq!(
        run_with_chunk("closures.s.luac", src).lines().last(),
        Some("true\ttrue")
    );
}

/// A stripped 5.4 chunk: a vararg main function with `_ENV`, a frame of
/// 2 and this code after its VARARGPREP.
fn tiny_chunk(code: &[u32]) -> Vec<u8> {
    let mut c = b"\x1bLuaT\x00\x19\x93\r\n\x1a\n\x04\x08\x08\
        \x78\x56\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x28\x77\x40\
        \x01\x80\x80\x80\x00\x01\x02"
        .to_vec();
    c.push(0x81 + code.len() as u8);
    c.extend_from_slice(&81u32.to_le_bytes());
    for w in code {
        c.extend_from_slice(&w.to_le_bytes());
    }
    c.extend_from_slice(b"\x80\x81\x01\x00\x00\x80\x80\x80\x80\x80");
    c
}

const RETURN: u32 = 0x0101_0046; // RETURN 0 1 1

#[test]
fn instructions_that_cannot_run_exactly_are_refused() {
    let src = "print(load(CHUNK))";
    assert_eq!(
        run_with(&tiny_chunk(&[RETURN]), "print(load(CHUNK)())"),
        "\n"
    );
    let bad = "nil\tbinary string: bad binary format (bad instruction)\n";
    // No opcodes of 5.4; MMBIN (46) not after its operation.
    for op in [83, 127, 46] {
        assert_eq!(run_with(&tiny_chunk(&[RETURN & !0x7f | op]), src), bad);
    }
    // MOVE 200 0: a register beyond the frame (and no return at the end).
    let corrupt = "nil\tbinary string: bad binary format (corrupted chunk)\n";
    assert_eq!(run_with(&tiny_chunk(&[200 << 7]), src), corrupt);
    // ADDI 0 0 1 then its MMBINI 0 1 __add, after a jump by 0 (fine) or
    // by 1 (to the MMBINI, which only runs after its ADDI here).
    let (addi, mmbini) = (0x8000_0015, 0x0680_002f);
    let jmp = |sj: u32| 56 | (sj + (1 << 24) - 1) << 7;
    let ok = run_with(&tiny_chunk(&[jmp(0), addi, mmbini, RETURN]), src);
    assert!(ok.starts_with("function: "), "{ok}");
    assert_eq!(
        run_with(&tiny_chunk(&[jmp(1), addi, mmbini, RETURN]), src),
        "nil\tbinary string: bad binary format (jump into an instruction pair)\n"
    );
    // NEWTABLE then SETLIST from index 0 (fine) or from index 2^28 (which
    // no constructor of fewer items makes: it would only be a huge table).
    let (newtable, extraarg) = (19, 82);
    let setlist = |ax: u32| [78 | 1 << 15, extraarg | ax << 7];
    for (ax, loads) in [(0, true), (1 << 20, false)] {
        let [set, extra] = setlist(ax);
        let chunk = tiny_chunk(&[newtable, extraarg, set, extra, RETURN]);
        let out = run_with(&chunk, src);
        assert_eq!(out.starts_with("function: "), loads, "{out}");
        assert!(loads || out == corrupt, "{out}");
    }
    // The same operation with an MMBINI for another event or operand.
    for other in [0x0780_002f, 0x0680_012f, 0x0681_002f] {
        assert_eq!(run_with(&tiny_chunk(&[addi, other, RETURN]), src), bad);
    }
}

#[test]
fn require_loads_a_binary_module() {
    // As lua5.4's file searcher (`luaL_loadfilex` with no mode): a module
    // file may hold a binary chunk.
    let dir = fixtures();
    let src = format!(
        "package.path = {}\nrequire('consts')\nprint(package.loaded.consts)",
        literal(format!("{}/?.s.luac", dir.display()).as_bytes())
    );
    let out = run_with(b"", &src);
    let want = std::fs::read_to_string(dir.join("consts.s.expected")).unwrap();
    assert_eq!(out, format!("{want}true\n"));
}
