//! Which image of a multi-platform index to read, for archives and registries alike: the
//! platform asked for, else the only image, else linux/amd64 (what Lambda runs by default);
//! anything else is a one-line error naming what the index has.

use anyhow::{anyhow, Result};

use super::Platform;

/// Platforms named in an error before the rest are counted: one line even for an index of a
/// thousand platforms.
const NAMED: usize = 10;

/// The index (into `platforms`, one per entry, `None` where the entry names none) of the
/// entry to read. `open_ended` marks entries that name no platform but may hold any (an
/// index of indexes, descended into): one is taken when no entry names the platform sought.
pub fn choose(
    platforms: &[Option<Platform>],
    open_ended: impl Fn(usize) -> bool,
    want: Option<&str>,
) -> Result<usize> {
    let list = || {
        let mut names: Vec<String> = platforms
            .iter()
            .take(NAMED)
            .map(|p| {
                p.as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "unspecified".into())
            })
            .collect();
        if platforms.len() > NAMED {
            names.push(format!("and {} more", platforms.len() - NAMED));
        }
        names.join(", ")
    };
    let pick = |want: &Platform| {
        platforms
            .iter()
            .position(|p| p.as_ref().is_some_and(|p| p.matches(want)))
            .or_else(|| (0..platforms.len()).find(|&i| platforms[i].is_none() && open_ended(i)))
    };
    if let Some(want) = want {
        let want = Platform::parse(want)?;
        return pick(&want)
            .ok_or_else(|| anyhow!("platform {want} is not in the image; it has: {}", list()));
    }
    if platforms.len() == 1 {
        return Ok(0);
    }
    pick(&Platform::parse("linux/amd64")?).ok_or_else(|| {
        anyhow!(
            "the image has several platforms ({}); choose one with --platform",
            list()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<Platform> {
        Some(Platform::parse(s).unwrap())
    }

    #[test]
    fn the_platform_asked_for_else_the_only_one_else_amd64() {
        let two = [p("linux/arm64"), p("linux/amd64")];
        assert_eq!(choose(&two, |_| false, Some("linux/arm64")).unwrap(), 0);
        assert_eq!(choose(&two, |_| false, None).unwrap(), 1);
        assert_eq!(choose(&[p("linux/arm64")], |_| false, None).unwrap(), 0);
        let e = choose(&two, |_| false, Some("linux/s390x")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "platform linux/s390x is not in the image; it has: linux/arm64, linux/amd64"
        );
        let e = choose(&[p("linux/arm64"), p("linux/arm/v7")], |_| false, None).unwrap_err();
        assert!(e.to_string().contains("choose one with --platform"), "{e}");
    }

    #[test]
    fn an_open_ended_entry_is_taken_when_none_names_the_platform() {
        let v = [p("linux/arm64"), None];
        assert_eq!(choose(&v, |i| i == 1, Some("linux/amd64")).unwrap(), 1);
        assert!(choose(&v, |_| false, Some("linux/amd64")).is_err());
        // A named match wins over an open-ended entry.
        let v = [None, p("linux/amd64")];
        assert_eq!(choose(&v, |_| true, None).unwrap(), 1);
    }

    #[test]
    fn the_error_names_ten_platforms_and_counts_the_rest() {
        let many: Vec<Option<Platform>> =
            (0..1000).map(|i| p(&format!("linux/arm/v{i}"))).collect();
        let e = choose(&many, |_| false, Some("linux/amd64"))
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("and 990 more"), "{e}");
    }
}
