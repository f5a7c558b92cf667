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

/// Saves a burn module (its weights) to `file`, a .bpk, by way of FILE.tmp.bpk renamed over it,
/// so that a saved file is whole; `what` names the module in the error.
pub fn save_module<M: burn::store::ModuleSnapshot>(module: &M, file: &Path, what: &str) -> anyhow::Result<()> {
    let tmp = file.with_extension("tmp.bpk");
    let mut store = burn::store::BurnpackStore::from_file(&tmp).overwrite(true);
    module.save_into(&mut store).map_err(|e| anyhow::anyhow!("{}: cannot save {what}: {e}", tmp.display()))?;
    fs::rename(&tmp, file).map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", file.display()))
}
