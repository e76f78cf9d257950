//! Async host calls that wait for the host (as the Node binding's awaits
//! do) from every place Lua code can run: metamethods, and natives that
//! call Lua through `Ctx::call_then` (sort, gsub, tostring, print, load).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use lunarena_vm::function::NativeFunction;
use lunarena_vm::lua::Poll;
use lunarena_vm::value::Function;
use lunarena_vm::vm::ctx::Ctx;
use lunarena_vm::{Libs, Lua, Value};

/// `wait(v)`: asks the host to wait; the host then gives back `v`.
fn wait<'gc>(ctx: Ctx<'gc, '_>) -> Result<usize, lunarena_vm::error::RtError<'gc>> {
    ctx.g.budget.0.await_requested.set(true);
    ctx.g.budget.0.gc_requested.set(true);
    Ok(0)
}

/// Runs `src` as an async call; each wait is answered with its argument.
/// Returns the printed output and how many waits happened.
fn run_async(src: &str) -> (String, usize) {
    let (out, waits, _) = run_async_sliced(src, Duration::from_millis(50));
    (out, waits)
}

/// `run_async` with slices of `slice`; also returns how many times the
/// call paused between slices.
fn run_async_sliced(src: &str, slice: Duration) -> (String, usize, usize) {
    let mut lua = Lua::new(Libs::SAFE);
    let out = Rc::new(RefCell::new(Vec::new()));
    let sink = out.clone();
    lua.set_print(Box::new(move |b| sink.borrow_mut().extend_from_slice(b)));
    let f = lua.load(src.as_bytes(), "=test").expect("compiles");
    lua.enter(|mc, g| {
        let w = Value::Function(Function::Native(NativeFunction::new(mc, "wait", wait)));
        let key = lunarena_vm::state::Global::intern(g, mc, b"wait");
        g.globals.set(mc, Value::String(key), w).unwrap();
    });
    let (mut call, mut poll) = lua
        .start_async::<_, ()>(|_, g| Ok((Lua::fetch(g, &f), Vec::new())), slice)
        .unwrap();
    let (mut waits, mut pauses) = (0, 0);
    loop {
        match poll {
            Poll::Done(_) => break,
            Poll::Failed(e) => panic!("failed: {e}"),
            Poll::Pending => {
                pauses += 1;
                poll = lua.poll_async(&mut call, slice);
            }
            Poll::Await => {
                waits += 1;
                // The argument of `wait` is just below the stack top.
                poll = lua.resume_async(&mut call, slice, |_, g| Ok(vec![last_wait_arg(g)]));
            }
        }
    }
    let s = String::from_utf8(out.borrow().clone()).unwrap();
    (s, waits, pauses)
}

/// The argument of the `wait` call that is waiting (its frame is on top of
/// the innermost thread of the only host call).
fn last_wait_arg<'gc>(g: lunarena_vm::state::GlobalRef<'gc>) -> Value<'gc> {
    let calls = g.host_calls.borrow();
    let call = &calls[0];
    let th = call.chain.last().map(|e| e.0).unwrap_or(call.thread);
    let st = th.0.state.borrow();
    let f = st.frames.last().unwrap();
    if st.top > f.base {
        st.stack[f.base]
    } else {
        Value::Nil
    }
}

#[test]
fn waits_in_metamethods() {
    let (out, waits) = run_async(
        "local m = { __index = function(_, k) return wait(k .. '!') end,
                     __add = function(a, b) return wait(40) + b end,
                     __lt = function() return wait(true) end,
                     __concat = function() return wait('C') end,
                     __len = function() return wait(7) end }
         local a = setmetatable({}, m)
         print(a.x, a + 2, a < a, 'x' .. a .. 'z', #a)",
    );
    assert_eq!(out, "x!\t42\ttrue\txC\t7\n");
    assert_eq!(waits, 5);
}

/// A native that is itself the metamethod (called directly by the
/// instruction, without a nested run) waits as well.
#[test]
fn waits_in_native_metamethods() {
    let (out, waits) = run_async(
        "local m = { __index = wait, __newindex = wait, __add = wait, __lt = wait,
                     __len = wait, __eq = wait, __concat = wait, __unm = wait, __call = wait }
         local a, b = setmetatable({}, m), setmetatable({}, m)
         print(a.x == a, a + 2 == a, a < b, #a == a, a == b, a .. 'z' == a, -a == a, a() == a)
         a.y = 1
         print(rawget(a, 'y'))",
    );
    assert_eq!(out, "true\ttrue\ttrue\ttrue\ttrue\ttrue\ttrue\ttrue\nnil\n");
    assert_eq!(waits, 9);
}

#[test]
fn waits_in_natives_that_call_lua() {
    let (out, waits) = run_async(
        "local t = {5, 3, 8, 1, 9, 2}
         table.sort(t, function(a, b) return wait(a < b) end)
         print(table.concat(t, ','))
         print((('abc'):gsub('%w', function(c) return wait(c:upper()) end)))
         local T = setmetatable({}, { __tostring = function() return wait('T') end })
         print(tostring(T), T)
         local parts, i = { 'return ', '4', '2' }, 0
         print(load(function() i = i + 1 return wait(parts[i]) end)())",
    );
    assert_eq!(out, "1,2,3,5,8,9\nABC\nT\tT\n42\n");
    assert!(waits > 10, "{waits}");
}

/// Slices end inside metamethods too (nested calls that can be suspended),
/// so that a long metamethod does not hold up the host.
#[test]
fn slices_end_inside_metamethods() {
    let (out, _, pauses) = run_async_sliced(
        "local t = setmetatable({}, { __index = function(_, k)
           local co = coroutine.wrap(function() local s = 0 for i = 1, 1000000 do s = s + i end return s end)
           return co() + #k
         end })
         print(t.abc .. '!')",
        Duration::from_micros(100),
    );
    assert_eq!(out, "500000500003!\n");
    assert!(pauses > 1, "{pauses}");
}

#[test]
fn coroutines_do_not_yield_across_natives_waiting_for_lua() {
    let mut lua = Lua::new(Libs::SAFE);
    let r = lua.exec(
        b"local co = coroutine.wrap(function()
            local s = ('a'):gsub('.', function(c)
              assert(not coroutine.isyieldable())
              return select(2, pcall(coroutine.yield, c))
            end)
            return s
          end)
          return co()",
        "=test",
    );
    let v = r.unwrap();
    let s = lua.enter(|_, g| match Lua::fetch(g, &v[0]) {
        Value::String(s) => s.to_str_lossy().into_owned(),
        _ => String::new(),
    });
    assert_eq!(s, "attempt to yield across a C-call boundary");
}
