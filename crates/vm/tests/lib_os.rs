//! The os library, checked against the output of the reference interpreter
//! (`tests/lua/os/*.expected`), with local time in UTC.

#[path = "lua/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::{check_script, run};
use lunarena_vm::Libs;

#[test]
fn time_and_date() {
    check_script(Libs::SAFE, "os/time");
}

#[test]
fn process_and_files() {
    check_script(Libs::ALL, "os/full");
}

#[test]
fn sandbox_has_only_the_time_functions() {
    let src = "local names = {}
        for k in pairs(os) do names[#names + 1] = k end
        local s = ''
        for _, k in ipairs({'clock', 'date', 'difftime', 'time', 'execute', 'exit',
                            'getenv', 'remove', 'rename', 'setlocale', 'tmpname'}) do
          s = s .. k .. '=' .. type(os[k]) .. ' '
        end
        print(#names, s)";
    assert_eq!(
        run(src),
        "4\tclock=function date=function difftime=function time=function \
         execute=nil exit=nil getenv=nil remove=nil rename=nil setlocale=nil tmpname=nil \n"
    );
}

#[test]
fn clock_measures_cpu_time() {
    let src = "local c = os.clock()
        local x = 0
        for i = 1, 3000000 do x = x + i end
        print(os.clock() > c)";
    assert_eq!(run(src), "true\n");
}

fn cli(code: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_lunarena"))
        .args(["-e", code])
        .output()
        .unwrap()
}

#[test]
fn exit_flushes_and_sets_the_status() {
    let out = cli("print('before') os.exit(3) print('after')");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(out.stdout, b"before\n");
    assert_eq!(cli("os.exit(true)").status.code(), Some(0));
    assert_eq!(cli("os.exit(false)").status.code(), Some(1));
    assert_eq!(cli("os.exit()").status.code(), Some(0));
}

#[test]
fn exit_flushes_open_files() {
    let dir = std::env::temp_dir().join(format!("lunarena-exit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a.txt"), dir.join("b.txt"));
    let code = format!(
        "local f = io.open({a:?}, 'w') f:setvbuf('full') f:write('kept')
         io.output({b:?}) io.write('also kept')
         os.exit(0)"
    );
    let out = cli(&code);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "kept");
    assert_eq!(std::fs::read_to_string(&b).unwrap(), "also kept");
    std::fs::remove_dir_all(&dir).unwrap();
}
