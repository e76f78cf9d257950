//! State that natives keep between the runs of a `Ctx::call_then`
//! continuation (the Lua functions they call may yield or await, so their
//! Rust locals cannot survive): values on their own stack, and for text
//! being built, a byte buffer held in a userdata.

use std::cell::RefCell;

use gc_arena::Mutation;

use crate::userdata::UserData;
use crate::value::Value;

type Buffer = RefCell<Vec<u8>>;

/// Stores `bytes` for a later run: in `slot` if it is already a buffer
/// (from an earlier run), else in a new one. Returns the value to keep.
pub fn stash_bytes<'gc>(mc: &Mutation<'gc>, slot: Value<'gc>, bytes: Vec<u8>) -> Value<'gc> {
    if let Some(b) = buffer(slot) {
        *b.borrow_mut() = bytes;
        return slot;
    }
    Value::UserData(UserData::new(mc, Box::new(RefCell::new(bytes)), None))
}

/// Takes the bytes a buffer holds (empty for anything else).
pub fn take_bytes(slot: Value<'_>) -> Vec<u8> {
    buffer(slot).map(|b| b.take()).unwrap_or_default()
}

fn buffer<'a>(v: Value<'a>) -> Option<&'a Buffer> {
    match v {
        Value::UserData(ud) => gc_arena::Gc::as_ref(ud.0).payload.0.downcast_ref::<Buffer>(),
        _ => None,
    }
}
