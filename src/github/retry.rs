//! When a GitHub call may be made again, and how long to wait first. Only the caller knows
//! whether the call is idempotent (GET, PATCH): a create is never simply sent again (see
//! comment.rs). GitHub's rules (docs.github.com, "Rate limits for the REST API"): after a
//! 429 or a rate-limit 403, wait `retry-after` seconds when given, else until
//! `x-ratelimit-reset` when `x-ratelimit-remaining` is 0, else at least a minute; server
//! errors and lost connections are worth a few tries with a growing backoff. The schedule and
//! `retry-after` are the crate's one (`crate::retry`); what is GitHub's is here.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use crate::retry::{self, Backoff};

/// Four calls in all; 1 s after a server error or a lost answer, doubled each time.
pub const SCHEDULE: Backoff = Backoff {
    attempts: 4,
    first: Duration::from_secs(1),
    cap: Duration::from_secs(64),
};
/// GitHub's advice for a rate limit that names no time.
const RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// What went wrong with one call, as far as the policy cares.
pub enum Fault<'a> {
    Status {
        status: StatusCode,
        headers: &'a HeaderMap,
        message: &'a str,
    },
    /// No complete answer: a timeout, a refused or reset connection.
    Lost,
    /// Anything calling again cannot change.
    Final,
}

/// A 429, or a 403 that is GitHub's primary (`x-ratelimit-remaining: 0`) or secondary
/// (`retry-after`, or its message says so) rate limit — not a missing permission.
pub fn is_rate_limit(status: StatusCode, headers: &HeaderMap, message: &str) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN
            && (headers.contains_key("retry-after")
                || header(headers, "x-ratelimit-remaining") == Some("0")
                || message.to_ascii_lowercase().contains("rate limit")))
}

/// GitHub's secondary rate limit (abuse detection), which has its own wording in messages.
pub fn is_secondary(status: StatusCode, headers: &HeaderMap, message: &str) -> bool {
    is_rate_limit(status, headers, message)
        && (message.to_ascii_lowercase().contains("secondary")
            || (headers.contains_key("retry-after")
                && header(headers, "x-ratelimit-remaining") != Some("0")))
}

/// How long to wait before calling again after `fault` on the `attempt`-th call (1-based);
/// None when calling again cannot help (a 4xx that is no rate limit, a malformed answer).
pub fn delay(fault: &Fault, attempt: u32, now: SystemTime) -> Option<Duration> {
    match fault {
        Fault::Status {
            status,
            headers,
            message,
        } => {
            if is_rate_limit(*status, headers, message) {
                Some(asked(headers, now).unwrap_or(RATE_LIMIT_WAIT))
            } else if status.is_server_error() {
                Some(asked(headers, now).unwrap_or_else(|| SCHEDULE.after(attempt)))
            } else {
                None
            }
        }
        Fault::Lost => Some(SCHEDULE.after(attempt)),
        Fault::Final => None,
    }
}

/// The wait GitHub asks for: `retry-after` (seconds, or an HTTP date), else the reset time
/// of an exhausted primary limit.
fn asked(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(wait) = retry::retry_after(headers, now) {
        return Some(wait);
    }
    if header(headers, "x-ratelimit-remaining") == Some("0") {
        let reset: u64 = header(headers, "x-ratelimit-reset")?.trim().parse().ok()?;
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(reset);
        // The reset is in whole seconds: a second more, so the call lands after it.
        return Some(at.duration_since(now).unwrap_or_default() + Duration::from_secs(1));
    }
    None
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn status(code: u16, h: &HeaderMap, message: &'static str) -> Option<Duration> {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let f = Fault::Status {
            status: StatusCode::from_u16(code).unwrap(),
            headers: h,
            message,
        };
        delay(&f, 1, now)
    }

    #[test]
    fn server_errors_back_off_and_client_errors_stop() {
        let none = HeaderMap::new();
        assert_eq!(status(502, &none, "Server Error"), Some(SCHEDULE.first));
        assert_eq!(
            delay(&Fault::Lost, 3, SystemTime::now()),
            Some(4 * SCHEDULE.first)
        );
        for code in [400, 401, 404, 405, 422] {
            assert_eq!(status(code, &none, "x"), None, "{code}");
        }
        let h = headers(&[("retry-after", "7")]);
        assert_eq!(status(503, &h, "Unavailable"), Some(Duration::from_secs(7)));
    }

    #[test]
    fn a_403_is_a_rate_limit_only_when_github_says_so() {
        let none = HeaderMap::new();
        assert_eq!(
            status(403, &none, "Resource not accessible by integration"),
            None
        );
        let h = headers(&[("retry-after", "30")]);
        assert_eq!(status(403, &h, "x"), Some(Duration::from_secs(30)));
        let code = StatusCode::FORBIDDEN;
        let msg = "You have exceeded a secondary rate limit. Please wait.";
        assert!(is_secondary(code, &none, msg) && is_secondary(code, &h, "x"));
        // A secondary limit without a time: GitHub says wait at least a minute.
        assert_eq!(status(403, &none, msg), Some(Duration::from_secs(60)));
        let primary = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1000030"),
        ]);
        let limited = "API rate limit exceeded for installation ID 1.";
        assert_eq!(
            status(403, &primary, limited),
            Some(Duration::from_secs(31))
        );
        assert!(!is_secondary(code, &primary, limited));
        assert_eq!(status(429, &none, limited), Some(Duration::from_secs(60)));
    }

    #[test]
    fn retry_after_may_be_a_date() {
        // 1_000_000 s after the epoch is Mon, 12 Jan 1970 13:46:40 GMT.
        let h = headers(&[("retry-after", "Mon, 12 Jan 1970 13:46:45 GMT")]);
        assert_eq!(status(429, &h, "x"), Some(Duration::from_secs(5)));
    }
}
