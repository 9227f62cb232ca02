//! PyTorch checkpoints, zip and legacy formats: `vecspace_latent::Checkpoint::read` for the top
//! level and for a named entry, then `Dcgan::from_checkpoint` with each known generator's layout.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vecspace_latent::{Checkpoint, Dcgan, MODELS};

fuzz_target!(|data: &[u8]| {
    let path = vecspace_fuzz::scratch_file("input.pt", data);
    for key in [None, Some("netG_state_dict")] {
        let checkpoint = Checkpoint::read(&path, key);
        if vecspace_fuzz::verbose() {
            eprintln!("{key:?}: {:?}", checkpoint.as_ref().map(|c| c.tensors.keys().collect::<Vec<_>>()));
        }
        let Ok(checkpoint) = checkpoint else { continue };
        for (name, tensor) in &checkpoint.tensors {
            let _ = checkpoint.tensor(name, &tensor.shape);
        }
        for spec in MODELS {
            let _ = Dcgan::from_checkpoint(&checkpoint, &spec.layout);
        }
    }
});
