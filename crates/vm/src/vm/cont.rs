//! State that natives keep between the runs of a `Ctx::call_then`
//! continuation (the Lua functions they call may yield or await, so their
//! Rust locals cannot survive): values on their own stack, and for Rust
//! data without GC pointers (text being built, a work list), a userdata
//! that holds it.

use std::cell::RefCell;

use gc_arena::Mutation;

use crate::userdata::UserData;
use crate::value::Value;

/// Stores `data` for a later run: in `slot` if it already holds data of
/// this type (from an earlier run), else in a new userdata. Returns the
/// value to keep on the native's stack.
pub fn stash<'gc, T: 'static>(mc: &Mutation<'gc>, slot: Value<'gc>, data: T) -> Value<'gc> {
    if let Some(cell) = holder::<T>(slot) {
        *cell.borrow_mut() = data;
        return slot;
    }
    Value::UserData(UserData::new(mc, Box::new(RefCell::new(data)), None))
}

/// Takes the data `stash` stored (the default for anything else).
pub fn take<T: Default + 'static>(slot: Value<'_>) -> T {
    holder::<T>(slot).map(|c| c.take()).unwrap_or_default()
}

fn holder<'a, T: 'static>(v: Value<'a>) -> Option<&'a RefCell<T>> {
    match v {
        Value::UserData(ud) => gc_arena::Gc::as_ref(ud.0)
            .payload
            .0
            .downcast_ref::<RefCell<T>>(),
        _ => None,
    }
}
