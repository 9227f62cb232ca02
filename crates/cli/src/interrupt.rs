//! Ctrl-C and `kill` leave no partial files: SIGINT, SIGTERM and SIGHUP are taken by one thread
//! that removes every file and working directory being written
//! ([`vecspace::io::remove_unfinished`]) and exits as the signal would have (128 + its number).
//!
//! The signals are blocked in every thread and waited for with `sigwait`, so no code runs in a
//! signal handler and nothing needs to be async-signal-safe. Child processes (pip) start with
//! the usual mask: the standard library resets it when spawning.

/// Installs the cleanup; call before any other thread starts, since threads inherit the mask.
#[cfg(unix)]
pub fn remove_partial_files_on_signals() {
    // SAFETY: plain libc calls on a zeroed sigset_t that sigemptyset initialises; no handler is
    // installed, so nothing runs in signal context.
    unsafe {
        let mut signals: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut signals);
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut signals, signal);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &signals, std::ptr::null_mut()) != 0 {
            return;
        }
        let waiter = std::thread::Builder::new().name("signals".into()).spawn(move || {
            let mut received: libc::c_int = 0;
            while libc::sigwait(&signals, &mut received) != 0 {}
            vecspace::io::remove_unfinished();
            std::process::exit(128 + received);
        });
        if waiter.is_err() {
            // Without the thread nobody would see the signals: unblock them again.
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &signals, std::ptr::null_mut());
        }
    }
}

#[cfg(not(unix))]
pub fn remove_partial_files_on_signals() {}
