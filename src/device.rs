//! The one place a compute device is chosen; everything else takes a `Device` argument.

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::{Device, Tensor};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceKind {
    /// burn's pure-Rust CPU backend (the default: it trains PPO faster than ndarray here;
    /// docs/notebook/2026-11-27-speed.md).
    Flex,
    /// burn-ndarray, deprecated in burn 0.22, kept to compare.
    Ndarray,
    /// NVIDIA GPU through burn-cuda (needs the `cuda` cargo feature; CUDA loads at run time).
    Cuda,
}

/// Builds the module `init` builds, its parameters drawn from the device's random numbers
/// seeded by `seed`. burn keeps one random stream per backend for the whole process and draws a
/// parameter at its first use, so two runs in one process (`experiment --jobs 2`) drew from one
/// stream in an order set by their threads' timing, and a seed no longer gave one run
/// (docs/notebook/2026-12-05-turn-so-far.md). Here seeding and every draw are one step, under a
/// lock.
pub fn seeded_init<M: Module>(device: &Device, seed: u64, init: impl FnOnce() -> M) -> M {
    static STREAM: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _held = STREAM.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    device.seed(seed);
    let module = init();
    module.visit(&mut DrawNow);
    module
}

/// Draws every parameter of a module that is still waiting for its first use.
struct DrawNow;

impl ModuleVisitor for DrawNow {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        param.val();
    }
}

#[cfg(not(feature = "cuda"))]
const NO_CUDA_FEATURE: &str = "--device cuda needs a build with the cargo feature `cuda`";

impl DeviceKind {
    /// Whether this binary on this machine can run on the device: asked before a run folder
    /// is made, so that a missing GPU is one line and nothing written.
    pub fn check(self) -> anyhow::Result<()> {
        match self {
            DeviceKind::Flex | DeviceKind::Ndarray => Ok(()),
            #[cfg(feature = "cuda")]
            DeviceKind::Cuda => usable_gpu(),
            #[cfg(not(feature = "cuda"))]
            DeviceKind::Cuda => anyhow::bail!(NO_CUDA_FEATURE),
        }
    }

    pub fn device(self) -> anyhow::Result<Device> {
        self.check()?;
        match self {
            DeviceKind::Flex => Ok(Device::flex()),
            #[allow(deprecated)] // kept on purpose, to compare with flex
            DeviceKind::Ndarray => Ok(Device::ndarray()),
            #[cfg(feature = "cuda")]
            DeviceKind::Cuda => Ok(Device::cuda(0)),
            #[cfg(not(feature = "cuda"))]
            DeviceKind::Cuda => anyhow::bail!(NO_CUDA_FEATURE),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Flex => "flex",
            DeviceKind::Ndarray => "ndarray",
            DeviceKind::Cuda => "cuda",
        }
    }
}

/// Whether this machine can run burn's CUDA backend: a driver, a GPU and NVRTC. burn itself
/// panics on a thread of its own when there is none, so this is asked first and answers in
/// one line.
#[cfg(feature = "cuda")]
pub fn usable_gpu() -> anyhow::Result<()> {
    // SAFETY: only tries to open the driver library; nothing is called through it yet.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        anyhow::bail!("--device cuda: no CUDA driver (libcuda) on this machine");
    }
    let gpus = cudarc::driver::CudaContext::device_count().map_err(|e| anyhow::anyhow!("--device cuda: the CUDA driver says: {e}"))?;
    anyhow::ensure!(gpus > 0, "--device cuda: the CUDA driver finds no GPU");
    // SAFETY: as above, for NVRTC, which compiles the kernels.
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        anyhow::bail!("--device cuda: NVRTC (libnvrtc), which compiles the kernels, is not on this machine");
    }
    Ok(())
}
