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
