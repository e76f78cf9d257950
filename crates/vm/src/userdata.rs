//! Full userdata: host objects with an optional metatable.

use std::any::Any;

use gc_arena::lock::Lock;
use gc_arena::{Collect, Gc, Mutation, Static};

use crate::table::Table;
use crate::value::Value;

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
            },
        ))
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
