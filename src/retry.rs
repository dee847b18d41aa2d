//! How often an HTTP call is tried and how long to wait between tries: the one schedule the
//! registry client (`source::registry::client`) and the GitHub comment (`github::api`) share.
//!
//! Whether a call may be sent again at all is the caller's rule, not this module's: the
//! registry repeats its GETs (idempotent) and its token request (which changes nothing); the
//! comment repeats GET and PATCH but never a create (docs/github.md, "one comment"). Which
//! answers mean "later" differs too — GitHub's rate-limit 403s and `x-ratelimit-reset` are
//! GitHub's own (`github::retry`) — so the callers classify; this module says how long.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

/// Calls in all, the first included, and the pause after each failed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub attempts: u32,
    /// The pause after the first call; doubled after each further one…
    pub first: Duration,
    /// …up to this.
    pub cap: Duration,
}

impl Backoff {
    /// The pause after the `attempt`-th call (1-based) failed: first × 2^(attempt-1), capped.
    pub fn after(&self, attempt: u32) -> Duration {
        let doubled = 1u32 << attempt.saturating_sub(1).min(16);
        self.first.saturating_mul(doubled).min(self.cap)
    }

    /// Whether the `attempt`-th call may be followed by another.
    pub fn another(&self, attempt: u32) -> bool {
        attempt < self.attempts
    }
}

/// Answers that say "not now" rather than "no": a timeout on the server's side, a rate limit,
/// a server error or an overloaded gateway.
pub fn transient(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

/// The wait the server asks for in `Retry-After` (RFC 9110: seconds, or an HTTP date, which
/// is measured from `now`; a date already past is no wait).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    Some(http_date(v)?.duration_since(now).unwrap_or_default())
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110's IMF-fixdate, the form servers send).
fn http_date(v: &str) -> Option<SystemTime> {
    let t = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()?;
    let secs = u64::try_from(t.unix_timestamp()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(v: &'static str) -> Option<Duration> {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, v.parse().unwrap());
        // 1_000_000 s after the epoch is Mon, 12 Jan 1970 13:46:40 GMT.
        retry_after(&h, SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000))
    }

    #[test]
    fn the_pause_doubles_up_to_its_cap() {
        let b = Backoff {
            attempts: 4,
            first: Duration::from_millis(500),
            cap: Duration::from_secs(8),
        };
        assert_eq!(b.after(1), Duration::from_millis(500));
        assert_eq!(b.after(3), Duration::from_secs(2));
        assert_eq!(b.after(9), Duration::from_secs(8));
        assert_eq!(b.after(u32::MAX), Duration::from_secs(8));
        assert!(b.another(3) && !b.another(4));
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        assert_eq!(after("7"), Some(Duration::from_secs(7)));
        assert_eq!(after(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            after("Mon, 12 Jan 1970 13:46:45 GMT"),
            Some(Duration::from_secs(5))
        );
        assert_eq!(after("Mon, 12 Jan 1970 13:46:00 GMT"), Some(Duration::ZERO));
        assert_eq!(after("soon"), None);
        assert_eq!(retry_after(&HeaderMap::new(), SystemTime::now()), None);
    }

    #[test]
    fn transient_answers_are_the_later_kind() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(transient(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [400, 401, 403, 404, 501] {
            assert!(!transient(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }
}
