//! The NVPTX target: only the PTX version, which cubecl-cuda reads on every start.

pub mod ptx_version {
    //! Which PTX ISA a driver loads. Unlike the rest of this crate this works: cubecl-cuda asks
    //! for it at start-up whatever compiles its kernels, and it needs no LLVM. The versions are
    //! NVIDIA's (the PTX ISA release notes name the CUDA release that introduced each one).

    use core::fmt;

    /// A PTX ISA version, major and minor as one number: ISA 8.7 is 87.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct PtxVersion(u32);

    impl PtxVersion {
        /// The newest ISA that a driver of CUDA version `driver` loads (`cuDriverGetVersion`'s
        /// number: 1000 x major + 10 x minor, so 12.8 is 12080); None before CUDA 10.0.
        pub fn for_driver(driver: i32) -> Option<Self> {
            if driver < 10_000 {
                return None;
            }
            let (major, minor) = (driver / 1000, (driver % 1000) / 10);
            let isa = match (major, minor) {
                (10, m) => 63 + m.min(2),
                (11, m) => 70 + m.min(8),
                // 12.5 and 12.6 both brought 8.5; 12.7 did not ship.
                (12, m) if m <= 4 => 80 + m,
                (12, 5..=7) => 85,
                (12, 8) => 87,
                (12, _) => 88,
                // 13.0 brought 9.0, each minor release one more; capped at 9.3, the newest listed.
                (13, m) => 90 + m.min(3),
                _ => 93,
            };
            Some(PtxVersion(isa as u32))
        }
    }

    impl fmt::Display for PtxVersion {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "ptx{}", self.0)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::PtxVersion;

        #[test]
        fn each_driver_loads_the_isa_of_its_release() {
            let isa = |d| PtxVersion::for_driver(d).map(|v| v.0);
            assert_eq!(isa(9020), None);
            assert_eq!(isa(10000), Some(63));
            assert_eq!(isa(11040), Some(74));
            assert_eq!(isa(12040), Some(84));
            assert_eq!(isa(12060), Some(85));
            assert_eq!(isa(12080), Some(87));
            assert_eq!(isa(12090), Some(88));
            assert_eq!(isa(13020), Some(92));
            assert_eq!(isa(13050), Some(93));
            assert_eq!(PtxVersion(87).to_string(), "ptx87");
        }
    }
}
