// Uses the build-only dependency so that cargo records it as `kind: build`.
fn main() {
    let _ = cc::Build::new();
    println!("cargo:rerun-if-changed=build.rs");
}
