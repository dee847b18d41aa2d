//! Whether the machine's cores sat idle lately: the signal for reading one more streamed
//! layer at once.
//!
//! A layer read from a registry is either network-bound (a remote registry: the cores wait
//! on the socket, and another stream helps) or CPU-bound (a registry on this machine, such
//! as a CI service container: another stream only splits the cores, and the largest layer,
//! which decides the wall time, finishes later). Idle time across all cores tells the two
//! apart, whoever else is using them. Read from `/proc/stat` by hand: it is one line, and
//! the crates that read it (sysinfo, procfs) bring a whole system-information layer.

use std::time::Duration;

/// How often the scan asks, and how idle the machine must have been to add a stream.
pub const INTERVAL: Duration = Duration::from_millis(50);
const IDLE_SHARE: f64 = 0.3;

pub struct SpareCpu {
    last: Option<Ticks>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Ticks {
    total: u64,
    idle: u64,
}

impl SpareCpu {
    pub fn new() -> SpareCpu {
        SpareCpu { last: read() }
    }

    /// True when, since the last call, at least 30% of all cores' time was idle (or waiting
    /// on I/O). Without `/proc/stat` (not Linux) there is no telling, and the answer is yes:
    /// streams then behave as they did before this check existed.
    pub fn idle_since_last(&mut self) -> bool {
        let now = read();
        let spare = match (self.last, now) {
            (Some(a), Some(b)) => idle_share(a, b).is_none_or(|s| s >= IDLE_SHARE),
            _ => true,
        };
        self.last = now;
        spare
    }
}

impl Default for SpareCpu {
    fn default() -> Self {
        SpareCpu::new()
    }
}

fn idle_share(a: Ticks, b: Ticks) -> Option<f64> {
    let total = b.total.checked_sub(a.total)?;
    let idle = b.idle.checked_sub(a.idle)?;
    (total > 0).then(|| idle as f64 / total as f64)
}

fn read() -> Option<Ticks> {
    parse(&std::fs::read_to_string("/proc/stat").ok()?)
}

/// The first line: `cpu  user nice system idle iowait irq softirq steal guest guest_nice`.
/// guest time is already inside user time, so it is not added twice.
fn parse(stat: &str) -> Option<Ticks> {
    let line = stat.lines().next()?;
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let v: Vec<u64> = fields
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    if v.len() < 5 {
        return None;
    }
    Some(Ticks {
        total: v.iter().sum(),
        idle: v[3] + v[4],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_all_cores_line() {
        let stat = "cpu  100 5 50 800 45 0 0 0 0 0\ncpu0 50 2 25 400 20 0 0 0 0 0\n";
        assert_eq!(
            parse(stat),
            Some(Ticks {
                total: 1000,
                idle: 845
            })
        );
        assert_eq!(parse("intr 1 2 3\n"), None);
        assert_eq!(parse("cpu 1 2 x 4 5\n"), None);
    }

    #[test]
    fn share_of_idle_time_between_two_samples() {
        let a = Ticks {
            total: 1000,
            idle: 800,
        };
        let busy = Ticks {
            total: 1100,
            idle: 810,
        };
        let quiet = Ticks {
            total: 1100,
            idle: 880,
        };
        assert_eq!(idle_share(a, busy), Some(0.1));
        assert_eq!(idle_share(a, quiet), Some(0.8));
        assert_eq!(idle_share(a, a), None, "no time passed");
        assert_eq!(idle_share(busy, a), None, "counters went backwards");
    }
}
