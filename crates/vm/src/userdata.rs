//! Full userdata: host objects with an optional metatable.

use std::any::Any;

use gc_arena::lock::Lock;
use gc_arena::{Collect, Gc, Mutation, Static};

use crate::table::Table;
use crate::value::Value;

/// The payload of a userdata that stands for a host object.
pub struct HostRef(pub u64);

#[derive(Clone, Copy, Collect)]
#[collect(no_drop)]
pub struct UserData<'gc>(pub Gc<'gc, UserDataObj<'gc>>);

#[derive(Collect)]
#[collect(no_drop)]
pub struct UserDataObj<'gc> {
    pub meta: Lock<Option<Table<'gc>>>,
    /// The user value (`debug.setuservalue`), also usable by hosts.
    pub user_value: Lock<Value<'gc>>,
    pub payload: Static<Box<dyn Any>>,
    /// In the collector's list of objects to finalize (`Global::finalizable`).
    pub gc_marked: std::cell::Cell<bool>,
}

impl std::fmt::Debug for UserData<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "userdata: {:p}", Gc::as_ptr(self.0))
    }
}

impl<'gc> UserData<'gc> {
    pub fn new(
        mc: &Mutation<'gc>,
        payload: Box<dyn Any>,
        meta: Option<Table<'gc>>,
    ) -> UserData<'gc> {
        UserData(Gc::new(
            mc,
            UserDataObj {
                meta: Lock::new(meta),
                user_value: Lock::new(Value::Nil),
                payload: Static(payload),
                gc_marked: std::cell::Cell::new(false),
            },
        ))
    }

    /// A userdata standing for a host object with the given id. When the
    /// collector finds it dead, the id is queued in `Host::released`.
    pub fn new_host(
        mc: &Mutation<'gc>,
        g: crate::state::GlobalRef<'gc>,
        id: u64,
        meta: Option<Table<'gc>>,
    ) -> UserData<'gc> {
        let ud = UserData::new(mc, Box::new(HostRef(id)), meta);
        crate::state::Global::host_objects_mut(g, mc).push((Gc::downgrade(ud.0), id));
        ud
    }

    /// The host id, for userdata made by `new_host`.
    pub fn host_id(self) -> Option<u64> {
        self.downcast::<HostRef>().map(|h| h.0)
    }

    pub fn metatable(self) -> Option<Table<'gc>> {
        self.0.meta.get()
    }

    pub fn set_metatable(self, mc: &Mutation<'gc>, meta: Option<Table<'gc>>) {
        gc_arena::barrier::unlock!(Gc::write(mc, self.0), UserDataObj, meta).set(meta);
    }

    pub fn downcast<T: 'static>(self) -> Option<&'gc T> {
        Gc::as_ref(self.0).payload.0.downcast_ref::<T>()
    }
}
