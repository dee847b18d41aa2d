//! Archive resolution and the whole scan: the bytes are an image archive (docker save, OCI
//! archive) as a user would hand `gate check`. Invariant beyond "no panic": every byte a
//! layer wrote is either visible or hidden, never both, so visible + hidden <= written.

use lambda_gate::image::{self, resolve::Selection, ScanOptions};

pub fn run(data: &[u8]) {
    if data.len() > 1 << 20 {
        return;
    }
    let mut bytes = data.to_vec();
    crate::tarfix::fix(&mut bytes);
    let path = std::env::temp_dir().join(format!(
        "gate-fuzz-archive-{}-{:?}.tar",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&path, &bytes).expect("write the archive");
    if let Ok(img) = image::open(&path, &Selection::default()) {
        for verify in [true, false] {
            let opts = ScanOptions {
                verify,
                ..ScanOptions::default()
            };
            if let Ok(scan) = image::scan(&img, &opts) {
                assert!(
                    scan.final_bytes + scan.wasted_bytes <= scan.size_bytes,
                    "visible {} + hidden {} > written {}",
                    scan.final_bytes,
                    scan.wasted_bytes,
                    scan.size_bytes
                );
            }
        }
    }
    let _ = std::fs::remove_file(&path);
}
