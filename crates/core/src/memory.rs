//! Hints to the operating system about how large blocks of memory will be used.

/// Asks Linux to back `memory` with transparent huge pages (2 MiB), where the system leaves that
/// to programs (`madvise` mode, the common default). A graph build reads rows and neighbour lists
/// scattered over gigabytes; with 4 KiB pages nearly every read also misses the TLB. Call it
/// before the memory is first written: pages already touched stay small. A hint only: nothing
/// happens elsewhere, or if the kernel declines.
pub(crate) fn advise_huge_pages<T>(memory: &[T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE_PAGE: usize = 2 << 20;
        let start = memory.as_ptr() as usize;
        let end = start + std::mem::size_of_val(memory);
        // Only whole huge pages inside the block: madvise needs an aligned start, and the pages
        // at either end may be shared with other allocations.
        let (first, last) = (start.next_multiple_of(HUGE_PAGE), end / HUGE_PAGE * HUGE_PAGE);
        if last > first {
            // SAFETY: madvise with MADV_HUGEPAGE changes no memory contents and no mapping's
            // permissions; the range lies inside `memory`, which is borrowed for the call.
            unsafe {
                libc::madvise(first as *mut libc::c_void, last - first, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = memory;
}
