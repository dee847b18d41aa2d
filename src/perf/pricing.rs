//! Lambda's prices, in one table with their date, for cost per million invocations.
//! Since 1 August 2025 the init phase is billed for every function, and the REPORT line's
//! Billed Duration includes it, so cost follows Billed Duration alone.

use crate::image::arch::Arch;

/// US East (N. Virginia) on-demand prices, first pricing tier, as published on 2025-08-01.
pub const PRICES_AS_OF: &str = "2025-08-01";
pub const PER_REQUEST_USD: f64 = 0.20 / 1_000_000.0;

/// Price per GB-second by architecture.
pub fn gb_second_usd(arch: Arch) -> f64 {
    match arch {
        Arch::Arm64 => 0.000_013_333_4,
        Arch::X86_64 => 0.000_016_666_7,
    }
}

/// Cost of one million invocations like the measured ones.
pub fn per_million(billed_avg_ms: f64, memory_mb: f64, arch: Arch) -> f64 {
    let gb_seconds = billed_avg_ms / 1000.0 * memory_mb / 1024.0;
    1_000_000.0 * (gb_seconds * gb_second_usd(arch) + PER_REQUEST_USD)
}

/// The architecture a price is for, from a name as given (`--architecture`, Lambda's
/// `Architectures`): any name of arm64 is arm64; anything else is priced as x86_64, the
/// default, as before.
pub fn arch_of(name: &str) -> Arch {
    Arch::parse(name).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_128_mb_100_ms_function() {
        // 0.1 s × 0.125 GB × $0.0000166667 × 1e6 + $0.20 = $0.408
        assert!((per_million(100.0, 128.0, arch_of("x86_64")) - 0.408).abs() < 0.001);
    }

    #[test]
    fn aarch64_is_priced_as_arm64() {
        // 0.1 s × 0.125 GB × $0.0000133334 × 1e6 + $0.20 = $0.3667
        for name in ["arm64", "aarch64"] {
            let usd = per_million(100.0, 128.0, arch_of(name));
            assert!((usd - 0.3667).abs() < 0.001, "{name}: {usd}");
        }
        assert_eq!(arch_of("amd64"), Arch::X86_64);
        assert_eq!(arch_of("unknown"), Arch::X86_64);
    }
}
