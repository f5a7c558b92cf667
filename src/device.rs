//! The one place a compute device is chosen; everything else takes a `Device` argument.

use burn::prelude::Device;
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

impl DeviceKind {
    pub fn device(self) -> anyhow::Result<Device> {
        match self {
            DeviceKind::Flex => Ok(Device::flex()),
            #[allow(deprecated)] // kept on purpose, to compare with flex
            DeviceKind::Ndarray => Ok(Device::ndarray()),
            #[cfg(feature = "cuda")]
            DeviceKind::Cuda => Ok(Device::cuda(0)),
            #[cfg(not(feature = "cuda"))]
            DeviceKind::Cuda => anyhow::bail!("--device cuda needs a build with the cargo feature `cuda`"),
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
