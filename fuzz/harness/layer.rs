//! One layer tar through the walk, the overlay (twice, so the second copy's whiteouts and
//! opaque markers act on the first) and dive's score.

use lambda_gate::image::dive::DiveAccumulator;
use lambda_gate::image::layer::walk;
use lambda_gate::image::overlay::Fs;

pub fn run(data: &[u8]) {
    let mut bytes = data.to_vec();
    crate::tarfix::fix(&mut bytes);
    let Ok(contents) = walk(tar::Archive::new(&bytes[..]).entries().expect("entries")) else {
        return;
    };
    let mut fs = Fs::new();
    let mut dive = DiveAccumulator::new();
    for layer in 0..2 {
        dive.add_layer(&contents.changes, contents.size_bytes);
        fs.apply_layer(layer, contents.changes.clone());
    }
    let _ = dive.finish();
    assert!(
        fs.final_bytes() + fs.wasted_bytes() <= 2 * contents.size_bytes,
        "visible {} + hidden {} > written 2 x {}",
        fs.final_bytes(),
        fs.wasted_bytes(),
        contents.size_bytes
    );
    let _ = lambda_gate::image::dirs::dir_sizes(&fs, 5, 100);
}
