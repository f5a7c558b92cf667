//! LLVM compilation targets: only the one cubecl-cuda names.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LlvmTarget {
    Nvptx,
}
