//! Small file helpers shared by every store: nothing already saved is ever half-written.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` next to `path`, syncs, then renames over `path`: readers see the old file or
/// the new one, never a torn one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}
