//! Figures as users write and read them: byte sizes (parsed from gate.toml and flags, `de`
//! for serde, formatted for reports), size increases, counts with their noun, shares and
//! durations. The bottom of the crate: it knows no other module.
//!
//! DESIGN.md fixes `MB` as 10^6 and `MiB` as 2^20 in input and output alike, so the
//! gate cannot borrow a humanizing crate whose `MB` means 2^20 (or guesses): this is the
//! one place that knows the units, and every renderer goes through it.

use anyhow::{bail, Result};

const UNITS: &[(&str, u64)] = &[
    ("b", 1),
    ("kb", 1_000),
    ("mb", 1_000_000),
    ("gb", 1_000_000_000),
    ("tb", 1_000_000_000_000),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
    // go-humanize (dive's .dive-ci) also accepts the SI prefix alone.
    ("k", 1_000),
    ("m", 1_000_000),
    ("g", 1_000_000_000),
    ("t", 1_000_000_000_000),
    ("ki", 1 << 10),
    ("mi", 1 << 20),
    ("gi", 1 << 30),
];

/// Parses `500MB`, `1.5 GiB`, `10485760` (bytes) or `0`.
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num = num.replace('_', "");
    if num.is_empty() {
        bail!(
            "invalid size {text:?}: expected a number with an optional unit (B, MB, MiB, GB, GiB)"
        );
    }
    let value: f64 = num
        .parse()
        .map_err(|_| anyhow::anyhow!("invalid size {text:?}: {num:?} is not a number"))?;
    let unit = unit.trim().to_ascii_lowercase();
    let mult = if unit.is_empty() {
        1
    } else {
        match UNITS.iter().find(|(u, _)| *u == unit) {
            Some((_, m)) => *m,
            None => bail!(
                "invalid size {text:?}: unknown unit {unit:?} (use B, KB, MB, GB, KiB, MiB, GiB)"
            ),
        }
    };
    let bytes = value * mult as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        bail!("invalid size {text:?}: out of range");
    }
    Ok(bytes.round() as u64)
}

/// How much a figure may grow against the baseline: a size ("5MB") or a share of the
/// baseline ("2%").
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Increase {
    Bytes(u64),
    Percent(f64),
}

impl Increase {
    pub fn parse(text: &str) -> Result<Increase> {
        let t = text.trim();
        match t.strip_suffix('%') {
            Some(pct) => {
                let v: f64 = pct.trim().parse().map_err(|_| {
                    anyhow::anyhow!(
                        "invalid increase {text:?}: expected a size (5MB) or a percent (2%)"
                    )
                })?;
                if !(v.is_finite() && v >= 0.0) {
                    bail!("invalid increase {text:?}: the percent must be 0 or more");
                }
                Ok(Increase::Percent(v))
            }
            None => parse_size(t).map(Increase::Bytes).map_err(|_| {
                anyhow::anyhow!(
                    "invalid increase {text:?}: expected a size (5MB) or a percent (2%)"
                )
            }),
        }
    }

    /// The bytes allowed on top of `base`.
    pub fn allowance(self, base: u64) -> u64 {
        match self {
            Increase::Bytes(b) => b,
            Increase::Percent(p) => (base as f64 * p / 100.0).round() as u64,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Increase::Bytes(b) => format_delta(b as i128),
            Increase::Percent(p) => format!("+{p}%"),
        }
    }
}

/// Sizes and increases as gate.toml spells them, for `#[serde(deserialize_with = …)]`: every
/// table that takes a size reads it through these, so `max_size = true` and `min_bytes = true`
/// get the same message.
pub mod de {
    use serde::{Deserialize, Deserializer};

    use super::Increase;

    /// A number of bytes or a string with a unit ("500MB").
    pub fn size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        d.deserialize_any(SizeVisitor)
    }

    pub fn size_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        size(d).map(Some)
    }

    /// "5MB" or "2%".
    pub fn increase_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Increase>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(t) => Increase::parse(&t)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }

    /// A visitor rather than an untagged enum, so `max_size = true` says what a size is
    /// instead of "did not match any variant of untagged enum".
    struct SizeVisitor;

    impl serde::de::Visitor<'_> for SizeVisitor {
        type Value = u64;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a size: a whole number of bytes or a string such as \"500MB\"")
        }

        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<u64, E> {
            u64::try_from(n).map_err(|_| E::custom(format!("{n} is negative; expected a size")))
        }

        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<u64, E> {
            Ok(n)
        }

        fn visit_str<E: serde::de::Error>(self, t: &str) -> Result<u64, E> {
            super::parse_size(t).map_err(E::custom)
        }
    }
}

/// Formats bytes in decimal units (`16.9 MB`), the unit a Lambda console and `docker images` use.
pub fn format_size(bytes: u64) -> String {
    format_size_signed(bytes as i128)
}

/// Formats a signed byte delta: `+1.2 MB`, `-300 kB`, `0 B`.
pub fn format_delta(delta: i128) -> String {
    if delta > 0 {
        format!("+{}", format_size_signed(delta))
    } else {
        format_size_signed(delta)
    }
}

fn format_size_signed(bytes: i128) -> String {
    let abs = bytes.unsigned_abs();
    let sign = if bytes < 0 { "-" } else { "" };
    const STEPS: &[(u128, &str)] = &[
        (1_000_000_000_000, "TB"),
        (1_000_000_000, "GB"),
        (1_000_000, "MB"),
        (1_000, "kB"),
    ];
    for (div, name) in STEPS {
        if abs >= *div {
            let v = abs as f64 / *div as f64;
            return if v >= 100.0 {
                format!("{sign}{v:.0} {name}")
            } else {
                format!("{sign}{v:.1} {name}")
            };
        }
    }
    format!("{sign}{abs} B")
}

/// A ratio as a percentage with one decimal: `98.4%`.
pub fn format_percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// `1.5 s`, `120 ms`: durations as people read them in a finding.
pub fn human_ms(ms: f64) -> String {
    if ms >= 10_000.0 {
        format!("{:.0} s", ms / 1000.0)
    } else if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

/// `1 file`, `2 files`, `16,161 files`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", number(n), if n == 1 { one } else { many })
}

/// `16161` → `16,161`.
pub fn number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `part` as a percentage of `whole`, one decimal; a share that is neither none nor all never
/// reads as `0.0%` or `100.0%` (it reads `<0.1%`, `>99.9%`).
pub fn share(part: u64, whole: u64) -> String {
    if whole == 0 || part == 0 {
        return "0%".into();
    }
    if part >= whole {
        return "100%".into();
    }
    let pct = part as f64 * 100.0 / whole as f64;
    if pct < 0.1 {
        "<0.1%".into()
    } else if pct > 99.9 {
        ">99.9%".into()
    } else {
        format!("{pct:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increases_are_sizes_or_percents_of_the_base() {
        assert_eq!(Increase::parse("5MB").unwrap(), Increase::Bytes(5_000_000));
        assert_eq!(
            Increase::parse("2%").unwrap().allowance(500_000_000),
            10_000_000
        );
        assert_eq!(Increase::parse(" 0.5 % ").unwrap(), Increase::Percent(0.5));
        assert!(Increase::parse("-2%").is_err());
        assert!(Increase::parse("two%").is_err());
    }

    #[test]
    fn decimal_and_binary_units_differ() {
        assert_eq!(parse_size("500MB").unwrap(), 500_000_000);
        assert_eq!(parse_size("500MiB").unwrap(), 500 * 1024 * 1024);
        assert_eq!(parse_size("1.5GB").unwrap(), 1_500_000_000);
        assert_eq!(parse_size("10 GiB").unwrap(), 10 * (1 << 30));
        assert_eq!(parse_size("12345").unwrap(), 12345);
        assert_eq!(parse_size("7b").unwrap(), 7);
        assert_eq!(parse_size("10k").unwrap(), 10_000);
    }

    #[test]
    fn bad_sizes_are_errors_naming_the_input() {
        for bad in ["", "MB", "12 parsecs", "-5MB", "1e999GB"] {
            let err = parse_size(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn formats_in_decimal_units() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(999), "999 B");
        assert_eq!(format_size(16_900_000), "16.9 MB");
        assert_eq!(format_size(1_220_598), "1.2 MB");
        assert_eq!(format_size(250_000_000), "250 MB");
        assert_eq!(format_delta(-300_000), "-300 kB");
        assert_eq!(format_delta(1_200_000), "+1.2 MB");
        assert_eq!(format_percent(0.98442), "98.4%");
    }
}
