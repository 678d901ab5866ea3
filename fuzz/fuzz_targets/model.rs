//! The model loader on arbitrary bytes (safetensors header, names, shapes, dtypes, metadata): it
//! never panics, never allocates beyond what the bytes hold and the architecture bounds allow, and
//! a model it accepts saves and loads back to the same network.
#![no_main]

use atrous_autograd::io::{load_dilnet, save_dilnet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((model, _)) = load_dilnet(data) {
        let bytes = save_dilnet(&model, &[]).expect("an accepted model saves");
        let (back, _) = load_dilnet(&bytes).expect("a saved model loads");
        assert_eq!(back, model);
    }
});
