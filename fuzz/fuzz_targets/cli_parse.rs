//! The command line's own value parsers (image ranges `START..END`, targets, method names) on
//! arbitrary text: they never panic, and a range they accept selects indices inside the split.
#![no_main]

use atrous_saliency::attribution::Method;
use atrous_saliency::images::ImageRange;
use atrous_saliency::saliency::Target;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: (&str, u16)| {
    let (text, n) = data;
    let n = usize::from(n);
    if let Ok(range) = text.parse::<ImageRange>()
        && let Ok(indices) = range.indices(n)
    {
        assert!(!indices.is_empty() && indices.iter().all(|&i| i < n), "{text:?} in {n}: {indices:?}");
        assert!(indices.windows(2).all(|w| w[0] < w[1]));
    }
    let _ = text.parse::<Target>();
    if let Ok(m) = text.parse::<Method>() {
        assert_eq!(m.name(), text);
    }
});
