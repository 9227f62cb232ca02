//! The two registered face generators are fetched and their PyTorch checkpoints read in Rust:
//! the zip format (gan-face-generate) and the legacy pre-1.6 format (generateme). Expected values
//! were read independently from the raw storages with Python's pickle and struct.

use std::path::PathBuf;

use vecspace::latent::Checkpoint;

use crate::support::vecspace;

fn fetched(name: &str) -> PathBuf {
    let out = vecspace(&["fetch", name]).ok();
    PathBuf::from(out.lines().last().unwrap().rsplit(" in ").next().unwrap())
}

fn first(checkpoint: &Checkpoint, name: &str, shape: &[usize]) -> [f32; 3] {
    let tensor = checkpoint.tensor(name, shape).unwrap_or_else(|e| panic!("{e}"));
    [tensor.data[0], tensor.data[1], tensor.data[2]]
}

#[test]
fn the_zip_checkpoint_of_the_digiface_generator_reads() {
    let checkpoint = Checkpoint::read(&fetched("face-dcgan-digiface"), Some("netG_state_dict")).unwrap();
    assert_eq!(checkpoint.tensors.len(), 25);
    assert_eq!(first(&checkpoint, "main.0.weight", &[100, 512, 4, 4]), [0.035323817, 0.047661815, -0.017518088]);
    for (layer, channels) in [(1, 512), (4, 256), (7, 128), (10, 64)] {
        for part in ["weight", "bias", "running_mean", "running_var"] {
            checkpoint.tensor(&format!("main.{layer}.{part}"), &[channels]).unwrap();
        }
    }
    checkpoint.tensor("main.12.weight", &[64, 3, 4, 4]).unwrap();
    // Without the key, the one dict of tensors inside is found anyway.
    assert_eq!(Checkpoint::read(&fetched("face-dcgan-digiface"), None).unwrap().tensors.len(), 25);
    let err = Checkpoint::read(&fetched("face-dcgan-digiface"), Some("netD_state_dict")).unwrap_err().to_string();
    assert!(err.contains("netG_state_dict"), "{err}");
}

#[test]
fn the_legacy_checkpoint_of_the_celeba_generator_reads() {
    let checkpoint = Checkpoint::read(&fetched("face-dcgan-celeba"), None).unwrap();
    assert_eq!(checkpoint.tensors.len(), 25);
    assert_eq!(first(&checkpoint, "convTr1.weight", &[100, 512, 4, 4]), [0.036626983, 0.035229474, 0.002422843]);
    assert_eq!(first(&checkpoint, "batchNorm4.running_var", &[64]), [0.13821849, 0.78890383, 0.13941187]);
    assert_eq!(first(&checkpoint, "convTr5.weight", &[64, 3, 4, 4]), [0.04532677, 0.019747345, -0.0066241734]);
    assert_eq!(checkpoint.tensors["batchNorm1.num_batches_tracked"].data, vec![9518.0]);
}

#[test]
fn damaged_checkpoints_are_errors() {
    let dir = crate::support::temp_dir();
    let bytes = std::fs::read(fetched("face-dcgan-celeba")).unwrap();
    for (name, cut) in [("short.pt", 100), ("half.pt", bytes.len() / 2), ("almost.pt", bytes.len() - 1)] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes[..cut]).unwrap();
        assert!(Checkpoint::read(&path, None).is_err(), "{name}");
    }
    let text = dir.path().join("text.pt");
    std::fs::write(&text, b"hello").unwrap();
    assert!(Checkpoint::read(&text, None).unwrap_err().to_string().contains("not a PyTorch checkpoint"));
}
