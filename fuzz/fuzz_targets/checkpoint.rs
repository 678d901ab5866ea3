//! The checkpoint loader on arbitrary bytes, for both optimisers: it never panics, and a
//! checkpoint it accepts holds only finite values and writes back to bytes it accepts again.
#![no_main]

use atrous_autograd::checkpoint::Checkpoint;
use atrous_autograd::optim::OptimizerKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for kind in [OptimizerKind::Sgd, OptimizerKind::Adam] {
        if let Ok(c) = Checkpoint::from_bytes(data, kind.build(0.05, 0.9, 0.0)) {
            let bytes = c.to_bytes().expect("an accepted checkpoint saves");
            let again = Checkpoint::from_bytes(&bytes, kind.build(0.05, 0.9, 0.0)).expect("and loads");
            assert_eq!(again.epochs_done, c.epochs_done);
            assert_eq!(again.model, c.model);
        }
    }
});
