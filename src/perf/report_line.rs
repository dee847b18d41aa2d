//! Lambda's own REPORT line, the exact source of cold starts and cost in Invoke mode:
//! `REPORT RequestId: …\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\t
//! Max Memory Used: 69 MB\tInit Duration: 171.52 ms` — tab-separated; Init Duration only on a
//! cold start; SnapStart adds Restore Duration and Billed Restore Duration.

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportLine {
    pub request_id: String,
    pub duration_ms: f64,
    pub billed_ms: f64,
    pub memory_size_mb: f64,
    pub max_memory_used_mb: f64,
    pub init_ms: Option<f64>,
    pub restore_ms: Option<f64>,
    pub billed_restore_ms: Option<f64>,
}

/// Finds the REPORT line in a log tail and reads its fields.
pub fn parse(log: &str) -> Option<ReportLine> {
    let line = log.lines().rev().find(|l| l.starts_with("REPORT "))?;
    let mut r = ReportLine::default();
    for field in line.trim_start_matches("REPORT ").split('\t') {
        let Some((k, v)) = field.split_once(':') else {
            continue;
        };
        let v = v.trim();
        let num = || {
            v.split_whitespace()
                .next()
                .and_then(|n| n.parse::<f64>().ok())
        };
        match k.trim() {
            "RequestId" => r.request_id = v.to_string(),
            "Duration" => r.duration_ms = num()?,
            "Billed Duration" => r.billed_ms = num()?,
            "Memory Size" => r.memory_size_mb = num()?,
            "Max Memory Used" => r.max_memory_used_mb = num()?,
            "Init Duration" => r.init_ms = num(),
            "Restore Duration" => r.restore_ms = num(),
            "Billed Restore Duration" => r.billed_restore_ms = num(),
            _ => {}
        }
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_aws_lines() {
        // As CloudWatch shows them for a Python function, cold then warm.
        let cold = "START RequestId: 3d2c7d2b-2e4c-4f3e-9a6a-1f0d2b8f7e55 Version: $LATEST\nEND RequestId: 3d2c7d2b-2e4c-4f3e-9a6a-1f0d2b8f7e55\nREPORT RequestId: 3d2c7d2b-2e4c-4f3e-9a6a-1f0d2b8f7e55\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 69 MB\tInit Duration: 171.52 ms\t\n";
        let r = parse(cold).unwrap();
        assert_eq!(r.duration_ms, 102.25);
        assert_eq!(r.billed_ms, 103.0);
        assert_eq!(r.memory_size_mb, 128.0);
        assert_eq!(r.max_memory_used_mb, 69.0);
        assert_eq!(r.init_ms, Some(171.52));
        let warm = "REPORT RequestId: 9a1\tDuration: 1.52 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t";
        assert_eq!(parse(warm).unwrap().init_ms, None);
        let snap = "REPORT RequestId: x\tDuration: 12.01 ms\tBilled Duration: 185 ms\tMemory Size: 512 MB\tMax Memory Used: 98 MB\tRestore Duration: 474.16 ms\tBilled Restore Duration: 173 ms\t";
        let s = parse(snap).unwrap();
        assert_eq!(
            (s.restore_ms, s.billed_restore_ms, s.init_ms),
            (Some(474.16), Some(173.0), None)
        );
        assert!(parse("no report here").is_none());
    }
}
