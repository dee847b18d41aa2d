//! gate.toml: any text must give a policy or one error naming the file.

use std::path::Path;

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = lambda_gate::policy::Policy::from_toml(text, Path::new("gate.toml")) {
        let msg = format!("{e:#}");
        assert!(
            msg.starts_with("gate.toml"),
            "error does not name the file: {msg}"
        );
    }
}
