//! The storage of a table's array and hash parts: a boxed slice whose
//! length is kept in 32 bits, next to a 32-bit field of its owner's, so
//! each part takes 16 bytes of the table (a `Box<[T]>` alone does).

use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

pub(super) struct Part<T, A> {
    ptr: NonNull<T>,
    len: u32,
    /// The owner's field that fills the word with `len`.
    pub aux: A,
}

impl<T, A> Part<T, A> {
    /// Takes ownership of `items` (fewer than 2^32 of them: table parts
    /// stay below 2^31 entries).
    pub fn new(items: Box<[T]>, aux: A) -> Self {
        let len = u32::try_from(items.len()).expect("table part too large");
        let ptr = NonNull::from(Box::leak(items)).cast();
        Part { ptr, len, aux }
    }

    /// Gives the items back as a box, keeping `aux` out of it.
    pub fn take_box(&mut self) -> Box<[T]> {
        let items = std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len as usize);
        self.ptr = NonNull::dangling();
        self.len = 0;
        // SAFETY: `ptr` and `len` came from a leaked box (`new`), and the
        // part now owns an empty slice instead.
        unsafe { Box::from_raw(items) }
    }
}

impl<T, A: Default> Default for Part<T, A> {
    fn default() -> Self {
        Part::new(Box::new([]), A::default())
    }
}

impl<T, A> Drop for Part<T, A> {
    fn drop(&mut self) {
        drop(self.take_box());
    }
}

impl<T, A> Deref for Part<T, A> {
    type Target = [T];

    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: the part owns `len` initialised items at `ptr`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len as usize) }
    }
}

impl<T, A> DerefMut for Part<T, A> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, borrowed uniquely through `self`.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len as usize) }
    }
}
