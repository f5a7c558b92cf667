//! Stopping cleanly: Ctrl-C (or a closed window) asks, and every loop that can take long
//! checks between steps, saves what it has and returns.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// Whether a stop has been asked for.
pub fn stopped() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Asks every loop to stop at its next check.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Installs the Ctrl-C handler once.
pub fn install_ctrlc() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(request_stop);
    });
}
