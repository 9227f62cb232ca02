//! The pickle machine behind PyTorch checkpoints: `vecspace_latent::pickle::load` on the bytes in
//! memory, with no interpretation of calls and with the checkpoint reader's (dicts for
//! `collections.OrderedDict`, tagged tuples for torch's tensor rebuilders).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vecspace_latent::pickle::load;
use vecspace_latent::torch::interpret;

fuzz_target!(|data: &[u8]| {
    if let Ok((value, used)) = load(data, &|_, _| None) {
        assert!(used <= data.len());
        let _ = (value.as_str(), value.as_int(), value.items(), value.get("state_dict"));
    }
    // Several pickles back to back, as the legacy checkpoint format stores them.
    let mut rest = data;
    for _ in 0..5 {
        let Ok((value, used)) = load(rest, &interpret) else { break };
        let _ = format!("{value:?}");
        if used == 0 {
            break;
        }
        rest = &rest[used..];
    }
});
