//! The compiler, its options and its output, as cubecl-cuda names them. Compiling fails: there
//! is no LLVM here.

use crate::{NOT_BUILT, nvptx::ptx_version::PtxVersion, target::LlvmTarget};
use cubecl_core::{
    CompilationError, Compiler,
    environment::backtrace::BackTrace,
    ir::{amd::GfxArch, nvidia::SmArch},
    prelude::{BufferIOAttr, KernelDefinition},
};

pub mod lowered_features {
    //! Narrowing a device's features to what the LLVM backend lowers. cubecl-cuda calls it only
    //! when that backend is the selected one.

    use crate::NOT_BUILT;
    use cubecl_core::ir::DeviceProperties;

    /// The GPU target a device's features are narrowed for.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum GpuTarget {
        Nvptx,
    }

    /// Panics: without cubecl-cuda's `cpp` feature the LLVM backend is selected, and it is not
    /// built here.
    pub fn restrict_features(_props: &mut DeviceProperties, _target: GpuTarget) {
        panic!("{NOT_BUILT} (enable cubecl-cuda's `cpp` feature)");
    }
}

#[derive(Clone, Debug)]
pub struct PlironCompiler {
    pub target: LlvmTarget,
}

/// The options cubecl-cuda fills in (the rest by `Default`); nothing here reads them.
#[derive(Clone, Debug, Default)]
pub struct PlironOptions {
    pub arch: Option<GfxArch>,
    pub sm_arch: Option<SmArch>,
    pub ptx_version: Option<PtxVersion>,
    pub grid_constants: bool,
}

/// What the LLVM path would hand cubecl-cuda for one kernel. Nothing here makes one; the
/// fields are those cubecl-cuda reads (and the one it does not, `entrypoint`, to keep the
/// shape it is written against).
#[derive(Clone, Debug)]
pub struct NvptxModule {
    pub ptx: Vec<core::ffi::c_char>,
    pub entrypoint: String,
    pub ir: String,
    pub shared_memory_size: usize,
    pub io: Vec<BufferIOAttr>,
}

/// What the LLVM path compiles to. Marked non-exhaustive because cubecl-cuda matches it with a
/// catch-all arm, which one variant alone would make an unreachable pattern.
#[derive(Clone)]
#[non_exhaustive]
pub enum PlironArtifact {
    NvptxCode(NvptxModule),
}

impl core::fmt::Display for PlironArtifact {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PlironArtifact::NvptxCode(module) => write!(f, "{}", module.ir),
        }
    }
}

impl Compiler for PlironCompiler {
    type Representation = PlironArtifact;
    type CompilationOptions = PlironOptions;

    fn buffer_io(repr: &Self::Representation) -> Option<Vec<BufferIOAttr>> {
        match repr {
            PlironArtifact::NvptxCode(module) => Some(module.io.clone()),
        }
    }

    /// Always an error: there is no LLVM to compile with.
    fn compile(
        &mut self,
        _kernel: KernelDefinition,
        _compilation_options: &Self::CompilationOptions,
    ) -> Result<Self::Representation, CompilationError> {
        Err(CompilationError::Generic {
            reason: NOT_BUILT.to_string(),
            backtrace: BackTrace::capture(),
        })
    }

    // The real crate's answers for `LlvmTarget::Nvptx`.
    fn extension(&self) -> &'static str {
        "ll"
    }

    fn lang_tag(&self) -> &'static str {
        "llvm"
    }
}
