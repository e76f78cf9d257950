//! The embedding API as a host uses it: calls whose results are handed
//! over inside the arena (`try_call_then`), stashed results (`try_call`,
//! `call`), and failures on either side.

use lunarena_vm::{Libs, Lua, LuaError, Value};

/// A global function of `lua`, as a value made inside the arena.
fn global<'gc>(
    mc: &'gc gc_arena::Mutation<'gc>,
    g: lunarena_vm::state::GlobalRef<'gc>,
    name: &str,
) -> Value<'gc> {
    let key = lunarena_vm::state::Global::intern(g, mc, name.as_bytes());
    g.globals.get(Value::String(key))
}

fn ints(vals: &[Value<'_>]) -> Vec<i64> {
    vals.iter()
        .map(|v| match v {
            Value::Integer(i) => *i,
            other => panic!("expected an integer, got {}", other.type_name()),
        })
        .collect()
}

#[test]
fn try_call_then_hands_over_every_result() {
    let mut lua = Lua::new(Libs::SAFE);
    lua.exec(b"function f(a, b) return a + b, a * b, a - b end", "=setup")
        .unwrap();
    for i in 0..100i64 {
        let r = lua.try_call_then(
            |mc, g, args| {
                args.push(Value::Integer(i));
                args.push(Value::Integer(3));
                Ok::<_, ()>(global(mc, g, "f"))
            },
            |_, _, vals| ints(vals),
        );
        assert_eq!(r.unwrap().unwrap(), vec![i + 3, i * 3, i - 3]);
    }
}

#[test]
fn try_call_then_after_many_fuel_slices() {
    let mut lua = Lua::new(Libs::SAFE);
    lua.exec(
        b"function long(n) local s = 0 for i = 1, n do s = s + i end return s, n end",
        "=setup",
    )
    .unwrap();
    let r = lua.try_call_then(
        |mc, g, args| {
            args.push(Value::Integer(1_000_000));
            Ok::<_, ()>(global(mc, g, "long"))
        },
        |_, _, vals| ints(vals),
    );
    assert_eq!(r.unwrap().unwrap(), vec![500_000_500_000, 1_000_000]);
}

#[test]
fn try_call_then_failures() {
    let mut lua = Lua::new(Libs::SAFE);
    lua.exec(b"function boom() error('boom', 0) end", "=setup")
        .unwrap();
    // A Lua error: `finish` is not called.
    let r = lua.try_call_then(
        |mc, g, _| Ok::<_, ()>(global(mc, g, "boom")),
        |_, _, _| unreachable!("no results after an error"),
    );
    match r {
        Ok(Err(LuaError::Runtime { message, .. })) => assert_eq!(message, "boom"),
        other => panic!("expected a runtime error, got {other:?}"),
    }
    // The host's setup fails: nothing runs.
    let r: Result<Result<(), LuaError>, &str> =
        lua.try_call_then(|_, _, _| Err("no such function"), |_, _, _| ());
    assert_eq!(r.unwrap_err(), "no such function");
    // The VM stays usable, and stashed results still work.
    let r = lua
        .try_call(|mc, g| {
            let f = lunarena_vm::lua::load_chunk(mc, g, b"return 1, 2", "=c").unwrap();
            Ok::<_, ()>((f, Vec::new()))
        })
        .unwrap()
        .unwrap();
    let vals = lua.enter(|_, g| ints(&r.iter().map(|s| Lua::fetch(g, s)).collect::<Vec<_>>()));
    assert_eq!(vals, vec![1, 2]);
}

#[test]
fn results_of_one_call_do_not_leak_into_the_next() {
    let mut lua = Lua::new(Libs::SAFE);
    lua.exec(
        b"function many() return 1, 2, 3, 4, 5 end function none() end",
        "=setup",
    )
    .unwrap();
    let n = |lua: &mut Lua, name: &'static str| {
        lua.try_call_then(
            move |mc, g, _| Ok::<_, ()>(global(mc, g, name)),
            |_, _, vals| vals.len(),
        )
        .unwrap()
        .unwrap()
    };
    assert_eq!(n(&mut lua, "many"), 5);
    assert_eq!(n(&mut lua, "none"), 0);
    assert_eq!(n(&mut lua, "many"), 5);
    let stashed = lua.exec(b"return 'x'", "=x").unwrap();
    assert_eq!(stashed.len(), 1);
    assert_eq!(n(&mut lua, "none"), 0);
}

/// `wait()`: asks the host to wait (as the binding's awaits do).
fn wait<'gc>(
    ctx: lunarena_vm::vm::ctx::Ctx<'gc, '_>,
) -> Result<usize, lunarena_vm::error::RtError<'gc>> {
    ctx.g.budget.0.await_requested.set(true);
    ctx.g.budget.0.gc_requested.set(true);
    Ok(0)
}

/// Calls global `name` with integer `args`; its integer results.
fn call_ints(lua: &mut Lua, name: &str, args: &[i64]) -> Result<Vec<i64>, LuaError> {
    lua.try_call_then(
        |mc, g, a| {
            a.extend(args.iter().map(|i| Value::Integer(*i)));
            Ok::<_, ()>(global(mc, g, name))
        },
        |_, _, vals| ints(vals),
    )
    .unwrap()
}

#[test]
fn host_calls_while_the_vm_is_busy_or_hooked() {
    use lunarena_vm::function::NativeFunction;
    use lunarena_vm::lua::Poll;
    use lunarena_vm::value::Function;
    use std::time::Duration;
    let mut lua = Lua::new(Libs::ALL);
    lua.exec(
        b"function add(a, b) return a + b end
          function waits() wait() return 7 end
          function bad() local x = nil; return x.y end
          count = 0",
        "=setup",
    )
    .unwrap();
    lua.enter(|mc, g| {
        let w = Value::Function(Function::Native(NativeFunction::new(mc, "wait", wait)));
        let key = lunarena_vm::state::Global::intern(g, mc, b"wait");
        g.globals.set(mc, Value::String(key), w).unwrap();
    });
    // A suspended async call holds the main thread: calls meanwhile run
    // on threads of their own.
    let slice = Duration::from_millis(50);
    let (mut call, poll) = lua
        .start_async::<_, ()>(|mc, g| Ok((global(mc, g, "waits"), Vec::new())), slice)
        .unwrap();
    assert!(matches!(poll, Poll::Await));
    assert_eq!(call_ints(&mut lua, "add", &[2, 3]).unwrap(), vec![5]);
    match lua.resume_async(&mut call, slice, |_, _| Ok(Vec::new())) {
        Poll::Done(r) => {
            let v = lua.enter(|_, g| ints(&[Lua::fetch(g, &r[0])]));
            assert_eq!(v, vec![7]);
        }
        _ => panic!("the async call should finish"),
    }
    // Idle again: errors carry their traceback.
    match call_ints(&mut lua, "bad", &[]) {
        Err(LuaError::Runtime { message, traceback }) => {
            assert!(
                message.contains("attempt to index a nil value"),
                "{message}"
            );
            assert!(traceback.unwrap().contains("in function 'bad'"));
        }
        other => panic!("expected a runtime error, got {other:?}"),
    }
    // A count hook set on the main thread runs in host calls too.
    lua.exec(
        b"debug.sethook(function() count = count + 1 end, '', 1)",
        "=hook",
    )
    .unwrap();
    assert_eq!(call_ints(&mut lua, "add", &[1, 1]).unwrap(), vec![2]);
    lua.exec(b"debug.sethook()", "=unhook").unwrap();
    let counted = lua.exec(b"return count", "=count").unwrap();
    let n = lua.enter(|_, g| ints(&[Lua::fetch(g, &counted[0])]));
    assert!(n[0] > 0, "the hook ran");
    // A native function called directly.
    let r = lua.try_call_then(
        |mc, g, a| {
            a.push(Value::Integer(-4));
            let math = global(mc, g, "math");
            let Value::Table(t) = math else { panic!() };
            let key = lunarena_vm::state::Global::intern(g, mc, b"abs");
            Ok::<_, ()>(t.get(Value::String(key)))
        },
        |_, _, vals| ints(vals),
    );
    assert_eq!(r.unwrap().unwrap(), vec![4]);
}

#[test]
fn a_print_function_receives_print_and_stdout_writes() {
    let mut lua = Lua::new(Libs::ALL);
    lua.exec(
        b"out = {} function sink(text) if broken then error('sink broke') end out[#out + 1] = text end",
        "=setup",
    )
    .unwrap();
    lua.enter(|mc, g| {
        let sink = global(mc, g, "sink");
        lunarena_vm::state::Global::set_print_function(g, mc, sink);
    });
    lua.exec(
        b"print('a', 1, nil) io.write('b', 2) assert(io.stdout:write('c') == io.stdout)
          assert(select('#', print()) == 0)
          local f = io.tmpfile() f:write('not printed') f:close()
          assert(table.concat(out, '|') == 'a\\t1\\tnil\\n|b2|c|\\n', table.concat(out, '|'))",
        "=check",
    )
    .unwrap();
    // An error in the print function is raised at the print call.
    lua.exec(
        b"broken = true
          local ok, e = pcall(print, 'x')
          assert(not ok and e:find('sink broke'))",
        "=errors",
    )
    .unwrap();
}

/// The `__index` native of the host userdata in `fast_index_answers_for_its_native`.
fn slow_index<'gc>(
    ctx: lunarena_vm::vm::ctx::Ctx<'gc, '_>,
) -> lunarena_vm::error::RtResult<'gc, usize> {
    ctx.ret(Value::Integer(-1))
}

fn fast_read(_: usize, host: u64, key: i64) -> Option<lunarena_vm::state::HostNumber> {
    (host == 77 && key <= 2).then_some(lunarena_vm::state::HostNumber::Int(key * 10))
}

#[test]
fn fast_index_answers_for_its_native() {
    use lunarena_vm::function::NativeFunction;
    use lunarena_vm::value::Function;
    let mut lua = Lua::new(Libs::ALL);
    lua.set_fast_index(Some(lunarena_vm::state::FastIndex {
        native: slow_index,
        read: fast_read,
    }));
    lua.enter(|mc, g| {
        let meta = lunarena_vm::table::Table::new(mc);
        let f = NativeFunction::new(mc, "slow_index", slow_index);
        let key = lunarena_vm::state::Global::intern(g, mc, b"__index");
        meta.set(mc, Value::String(key), Value::Function(Function::Native(f)))
            .unwrap();
        let ud = lunarena_vm::userdata::UserData::new_host(mc, g, 77, Some(meta));
        let name = lunarena_vm::state::Global::intern(g, mc, b"ud");
        g.globals
            .set(mc, Value::String(name), Value::UserData(ud))
            .unwrap();
    });
    // Hits come from the shortcut, misses (and other keys) from the native,
    // and a replaced `__index` is not affected.
    lua.exec(
        b"assert(ud[1] == 10 and ud[2] == 20 and ud[3] == -1 and ud.x == -1)
          debug.setmetatable(ud, { __index = function() return 'lua' end })
          assert(ud[1] == 'lua')",
        "=check",
    )
    .unwrap();
}
