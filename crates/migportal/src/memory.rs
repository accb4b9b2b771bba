//! How the process gives memory back. Each password hash (argon2id) takes
//! 19 MiB for a moment, on a blocking thread. glibc's malloc, by default,
//! raises its mmap threshold after the first such buffer is freed, so later
//! ones come from per-thread arenas that keep the pages: an idle portal
//! held ~145 MB under load, 33–46 MB with a fixed threshold
//! (docs/PERFORMANCE.md). Setting the threshold also stops the adjustment.

/// Large allocations (≥ 1 MiB) are mapped and unmapped on their own, so
/// their memory returns to the system when they are freed.
pub fn return_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes a malloc tunable; it takes plain
        // integers and may be called at any time, from any thread.
        let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20) };
        if ok != 1 {
            tracing::warn!("mallopt(M_MMAP_THRESHOLD) was refused");
        }
    }
}
