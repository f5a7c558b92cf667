//! A stand-in for cubecl-llvm 0.11.3, so that the `cuda` feature builds without LLVM (issue 17).
//!
//! cubecl-llvm's build script downloads a prebuilt LLVM from a server outside the package
//! registries, which this project's machines cannot reach (docs/notebook/2026-11-27-gpu-build.md).
//! cubecl-cuda 0.11.3 depends on it whatever its features. With its `cpp` feature, which this
//! project turns on, it compiles kernels with NVRTC (CUDA C++) and uses cubecl-llvm only to:
//!
//! - read the driver's PTX version at start-up (`PtxVersion::for_driver`, always called);
//! - narrow the device's features and compile kernels, both only when the LLVM backend is the
//!   one selected, which `cpp` rules out.
//!
//! So this crate has the items cubecl-cuda names, at the same paths and with the same types, and
//! everything that would need LLVM fails with [`NOT_BUILT`]. The root Cargo.toml puts it in
//! place with `[patch.crates-io]` and pins cubecl-cuda to `=0.11.3`: a newer cubecl-cuda would
//! ask for a newer cubecl-llvm, and the patch would stop applying (cargo only warns).

pub mod nvptx;
pub mod shared;
pub mod target;

pub use shared::{NvptxModule, PlironArtifact, PlironCompiler, PlironOptions};
pub use target::LlvmTarget;

/// What every part of the LLVM path answers.
pub const NOT_BUILT: &str =
    "this build compiles CUDA kernels with NVRTC (CUDA C++); the LLVM path is not built";
