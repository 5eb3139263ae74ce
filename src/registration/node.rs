//! A `Registration`'s node: its memory and its references.
//!
//! [`NodeRef`] counts the references to a [`Node`] by hand, as `Arc` does,
//! so that a node whose last reference is gone can be kept for the next
//! `Registration` made on the same thread (see `cache`) rather than given
//! back to the allocator. What a node does is in `queue`.

use std::ptr::{self, NonNull};

use super::queue::Shared;
use super::sync::{Arc, AtomicPtr, AtomicUsize, Ordering};

/// The shared state of one `Registration` and its `SetReadiness` handles.
///
/// Reference-counted by hand ([`NodeRef`]), so that a node whose last
/// reference is gone can be kept for the next `Registration` made on the
/// same thread (see `cache`) rather than given back to the allocator.
pub(crate) struct Node {
    /// References: the `Registration`, each `SetReadiness`, and the queue's
    /// while `QUEUED` is set.
    refs: AtomicUsize,
    /// See `queue`.
    pub(super) state: AtomicUsize,
    pub(super) token: AtomicUsize,
    /// Link in the stack, the backlog or a `poll`'s private list; written only
    /// by the holder of the queue's reference (see `QUEUED`). In the cache,
    /// the link to the next cached node.
    pub(super) next: AtomicPtr<Node>,
    /// The queue of the `Poll` this node is bound to: null until the first
    /// registration, then set once, holding one strong reference (from
    /// `Arc::into_raw`) released with the node's last reference.
    pub(super) queue: AtomicPtr<Shared>,
    /// Under loom: a tracked value, so that a model fails on a node whose
    /// references are never all given back.
    #[cfg(all(loom, test))]
    _leak_check: loom::alloc::Track<()>,
}

/// The most references a node may have; more is a program that forgets
/// clones in a loop, stopped before the count can wrap (as `Arc` does).
const MAX_REFS: usize = isize::MAX as usize;

/// A counted reference to a [`Node`] (the `Arc` of this module).
pub(crate) struct NodeRef {
    ptr: NonNull<Node>,
}

// SAFETY: a node is shared between threads only through its atomics, and
// its memory is released (or cached) by the one thread that gives back the
// last reference, which acquires every other's release (see `Drop`).
unsafe impl Send for NodeRef {}
// SAFETY: as above; `&NodeRef` gives only `&Node`, whose fields are atomics.
unsafe impl Sync for NodeRef {}

impl NodeRef {
    /// A new node with two references: the `Registration`'s and the
    /// `SetReadiness`'s. Takes a cached node of this thread's if there is
    /// one (no allocation), allocates otherwise.
    #[inline]
    pub(crate) fn new_pair() -> (NodeRef, NodeRef) {
        let ptr = match cache::take() {
            Some(ptr) => {
                // SAFETY: a cached node is owned by this thread alone (its
                // last reference was given back before it was cached) and
                // was left unbound, with its link cleared.
                unsafe { Node::reset(ptr.as_ref(), 2) };
                ptr
            }
            None => Node::alloc(2),
        };
        (NodeRef { ptr }, NodeRef { ptr })
    }

    /// Gives up the reference as a raw pointer (for the queue's lists).
    #[inline]
    pub(crate) fn into_raw(self) -> *mut Node {
        let ptr = self.ptr.as_ptr();
        std::mem::forget(self);
        ptr
    }

    /// Takes back a reference given up by `into_raw`.
    ///
    /// # Safety
    ///
    /// `ptr` must come from `into_raw`, and its reference be taken back once.
    #[inline]
    pub(crate) unsafe fn from_raw(ptr: *mut Node) -> NodeRef {
        NodeRef {
            // SAFETY: `into_raw` returned a non-null pointer.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
        }
    }
}

impl std::ops::Deref for NodeRef {
    type Target = Node;

    #[inline]
    fn deref(&self) -> &Node {
        // SAFETY: the reference keeps the node alive.
        unsafe { self.ptr.as_ref() }
    }
}

impl Clone for NodeRef {
    #[inline]
    fn clone(&self) -> NodeRef {
        // Relaxed, as for `Arc`: a new reference is made from an existing
        // one, which keeps the node alive meanwhile.
        let old = self.refs.fetch_add(1, Ordering::Relaxed);
        if old > MAX_REFS {
            std::process::abort();
        }
        NodeRef { ptr: self.ptr }
    }
}

impl NodeRef {
    /// Drops a reference on a path that is rare: out of line, so that the
    /// caller's hot path does not carry the release of a node.
    #[cold]
    #[inline(never)]
    pub(crate) fn drop_cold(self) {
        drop(self);
    }
}

impl Drop for NodeRef {
    #[inline]
    fn drop(&mut self) {
        // Acquire and release: every use of the node through any reference
        // happens before the last one releases it. (`Arc` releases, then
        // fences with acquire in the last one only; the same on x86-64,
        // where a locked instruction orders both ways anyway, and an
        // ordering that ThreadSanitizer follows, which it does not for a
        // lone fence.)
        if self.refs.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        // SAFETY: that was the last reference: this thread alone owns the
        // node now.
        unsafe { Node::release(self.ptr) };
    }
}

impl Node {
    /// A new node with `refs` references, on the heap.
    #[cold]
    #[inline(never)]
    fn alloc(refs: usize) -> NonNull<Node> {
        let node = Box::new(Node {
            refs: AtomicUsize::new(refs),
            state: AtomicUsize::new(0),
            token: AtomicUsize::new(0),
            next: AtomicPtr::new(ptr::null_mut()),
            queue: AtomicPtr::new(ptr::null_mut()),
            #[cfg(all(loom, test))]
            _leak_check: loom::alloc::Track::new(()),
        });
        // SAFETY: `Box::into_raw` is never null.
        unsafe { NonNull::new_unchecked(Box::into_raw(node)) }
    }

    /// Makes a cached node new again, with `refs` references.
    ///
    /// # Safety
    ///
    /// The caller owns the node alone.
    #[cfg(not(all(loom, test)))]
    #[inline]
    unsafe fn reset(node: &Node, refs: usize) {
        node.refs.store(refs, Ordering::Relaxed);
        node.state.store(0, Ordering::Relaxed);
        node.token.store(0, Ordering::Relaxed);
    }

    /// Loom models never cache nodes (see `cache`).
    #[cfg(all(loom, test))]
    unsafe fn reset(_node: &Node, _refs: usize) {
        unreachable!("nodes are not cached under loom")
    }

    /// The last reference is gone: gives back the queue's reference this
    /// node holds, then caches the node or frees it.
    ///
    /// # Safety
    ///
    /// The caller owns the node alone, and nothing refers to it any more.
    #[inline]
    unsafe fn release(ptr: NonNull<Node>) {
        // SAFETY: the caller owns the node.
        let node = unsafe { ptr.as_ref() };
        let q = node.queue.load(Ordering::Relaxed);
        if !q.is_null() {
            node.queue.store(ptr::null_mut(), Ordering::Relaxed);
            // SAFETY: the pointer came from `Arc::into_raw` in `bind`; this is
            // the one place its reference is given back.
            drop(unsafe { Arc::from_raw(q as *const Shared) });
        }
        // A node leaves every list before its last reference goes (each
        // list holds one), so its link is free for the cache's use.
        cache::give(ptr);
    }

    /// Frees a node that no reference and no cache refers to.
    ///
    /// # Safety
    ///
    /// The caller owns the node alone; it came from `alloc`.
    #[inline]
    unsafe fn free(ptr: NonNull<Node>) {
        // SAFETY: `alloc` made it with `Box::new`.
        drop(unsafe { Box::from_raw(ptr.as_ptr()) });
    }
}

/// Nodes whose last reference is gone, kept for the next `Registration`
/// made on the thread that gave it back: a program that makes and drops
/// registrations (a connection, a timer, a request at a time) reaches a
/// steady state with no allocation. Each thread keeps at most
/// `cache::MAX` nodes and frees them when it exits; under loom none is
/// kept (a model's atomics do not outlive its execution).
mod cache {
    #[cfg(all(loom, test))]
    use std::ptr::NonNull;

    #[cfg(all(loom, test))]
    use super::Node;

    #[cfg(not(all(loom, test)))]
    pub(super) use self::imp::{give, take};

    /// Under loom every node is freed at once.
    #[cfg(all(loom, test))]
    pub(super) fn take() -> Option<NonNull<Node>> {
        None
    }

    /// Under loom every node is freed at once.
    #[cfg(all(loom, test))]
    pub(super) fn give(ptr: NonNull<Node>) {
        // SAFETY: the caller owns the node alone (see `Node::release`).
        unsafe { Node::free(ptr) }
    }

    #[cfg(not(all(loom, test)))]
    mod imp {
        use std::cell::Cell;
        use std::ptr::{self, NonNull};
        use std::sync::atomic::Ordering;

        use super::super::Node;

        /// The most nodes a thread keeps (at 40 bytes each).
        pub(super) const MAX: usize = 64;

        /// A list of cached nodes, linked through `next`, owned by its thread.
        struct Cache {
            head: Cell<*mut Node>,
            len: Cell<usize>,
        }

        impl Drop for Cache {
            fn drop(&mut self) {
                let mut cur = self.head.replace(ptr::null_mut());
                while let Some(node) = NonNull::new(cur) {
                    // SAFETY: a cached node is owned by the cache alone.
                    cur = unsafe { node.as_ref() }.next.load(Ordering::Relaxed);
                    // SAFETY: as above; every node came from `Node::alloc`.
                    unsafe { Node::free(node) };
                }
            }
        }

        thread_local! {
            // Already `const`: the lint's false positive on some targets'
            // clippy (rust-clippy 17566).
            #[allow(clippy::missing_const_for_thread_local)]
            static CACHE: Cache = const {
                Cache {
                    head: Cell::new(ptr::null_mut()),
                    len: Cell::new(0),
                }
            };
        }

        /// A cached node of this thread's, if there is one; its link is null.
        #[inline]
        pub(in super::super) fn take() -> Option<NonNull<Node>> {
            CACHE
                .try_with(|c| {
                    let node = NonNull::new(c.head.get())?;
                    // SAFETY: a cached node is owned by the cache alone.
                    let next = unsafe { node.as_ref() }
                        .next
                        .swap(ptr::null_mut(), Ordering::Relaxed);
                    c.head.set(next);
                    c.len.set(c.len.get() - 1);
                    Some(node)
                })
                .ok()
                .flatten()
        }

        /// Keeps a node whose last reference is gone (unbound, with a null
        /// link), or frees it if the cache is full or gone.
        #[inline]
        pub(in super::super) fn give(node: NonNull<Node>) {
            let kept = CACHE
                .try_with(|c| {
                    let len = c.len.get();
                    if len >= MAX {
                        return false;
                    }
                    // SAFETY: the caller owns the node alone.
                    unsafe { node.as_ref() }
                        .next
                        .store(c.head.get(), Ordering::Relaxed);
                    c.head.set(node.as_ptr());
                    c.len.set(len + 1);
                    true
                })
                .unwrap_or(false);
            if !kept {
                // SAFETY: the caller owns the node alone, and it came from
                // `Node::alloc`.
                unsafe { Node::free(node) };
            }
        }
    }
}
