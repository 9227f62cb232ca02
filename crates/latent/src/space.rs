//! The latent space of a generator as a space of the expression language: `seed:N` names a
//! latent, `@name` a direction, and everything else the language offers works unchanged.

use vecspace_core::expr::{ResolveError, Resolver};

use crate::Error;
use crate::dcgan::{self, DcganLayout, LATENT_DIMS};
use crate::seeds::seed_latent;

/// How to load a registered generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    /// The registry name (`vecspace fetch NAME`).
    pub name: &'static str,
    pub layout: DcganLayout,
    /// The checkpoint entry that holds the generator's state dict, if not the top level.
    pub key: Option<&'static str>,
}

/// The generators vecspace knows.
pub const MODELS: &[ModelSpec] = &[
    ModelSpec { name: "face-dcgan-celeba", layout: dcgan::NAMED, key: None },
    ModelSpec { name: "face-dcgan-digiface", layout: dcgan::SEQUENTIAL, key: Some("netG_state_dict") },
];

/// The generator `vecspace latent` uses when none is named.
pub const DEFAULT_MODEL: &str = "face-dcgan-celeba";

pub fn model(name: &str) -> Option<&'static ModelSpec> {
    MODELS.iter().find(|m| m.name == name)
}

/// Resolves `seed:N` to that seed's latent and `z:N` to the N-th of the latents given (read from
/// a file with `--z-file`, say).
#[derive(Debug, Clone, Copy, Default)]
pub struct LatentResolver<'a> {
    pub given: &'a [Vec<f32>],
}

impl Resolver for LatentResolver<'_> {
    fn dims(&self) -> usize {
        LATENT_DIMS
    }

    fn resolve(&self, name: &str) -> Result<Vec<f32>, ResolveError> {
        if let Some(index) = name.strip_prefix("z:") {
            let given = self.given.len();
            return match index.parse::<usize>() {
                Ok(i) if i < given => Ok(self.given[i].clone()),
                _ if given == 0 => Err(ResolveError::Failed("no latents were given (pass them with --z-file)".into())),
                _ => Err(ResolveError::Failed(format!("the given latents are z:0 to z:{}", given - 1))),
            };
        }
        match name.strip_prefix("seed:").map(str::parse::<u64>) {
            Some(Ok(seed)) => Ok(seed_latent(seed, LATENT_DIMS)),
            Some(Err(_)) => Err(ResolveError::Failed(format!("a seed is a whole number from 0 to {}", u64::MAX))),
            None => {
                Err(ResolveError::Unknown { suggestions: vec!["seed:N".into(), "z:N".into(), "@direction".into()] })
            }
        }
    }

    /// Latents are standard normal, so their projection on any unit vector has spread 1.
    fn spread(&self, _direction: &[f32]) -> Option<f64> {
        Some(1.0)
    }
}

/// Seeds from `0..63` (inclusive), `1,5,9`, or both (`0..7,42`), at most `limit` of them.
pub fn parse_seeds(spec: &str, limit: usize) -> Result<Vec<u64>, Error> {
    let mut seeds = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let number = |text: &str| {
            text.trim().parse::<u64>().map_err(|_| Error::NotASeed { text: text.to_owned(), spec: spec.to_owned() })
        };
        match part.split_once("..") {
            Some((from, to)) => {
                let (from, to) = (number(from)?, number(to.trim_start_matches('='))?);
                if to < from {
                    return Err(Error::EmptySeedRange { range: part.to_owned() });
                }
                if to - from >= limit as u64 {
                    let count = u128::from(to - from) + 1;
                    return Err(Error::SeedRangeTooLong { range: part.to_owned(), count, limit });
                }
                seeds.extend(from..=to);
            }
            None => seeds.push(number(part)?),
        }
        if seeds.len() > limit {
            return Err(Error::TooManySeeds { spec: spec.to_owned(), limit });
        }
    }
    if seeds.is_empty() {
        return Err(Error::NoSeeds { spec: spec.to_owned() });
    }
    Ok(seeds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vecspace_core::expr::{evaluate, parse};

    #[test]
    fn seed_ranges_and_lists_parse() {
        assert_eq!(parse_seeds("0..3", 100).unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(parse_seeds("5, 1..2,42", 100).unwrap(), vec![5, 1, 2, 42]);
        assert!(parse_seeds("3..1", 100).unwrap_err().to_string().contains("empty"));
        assert!(parse_seeds("0..1000", 64).unwrap_err().to_string().contains("at most 64"));
        assert!(parse_seeds("-1", 64).unwrap_err().to_string().contains("not a seed"));
        assert!(matches!(parse_seeds("", 64), Err(Error::NoSeeds { .. })));
        let whole_range = parse_seeds(&format!("0..{}", u64::MAX), 64).unwrap_err();
        assert!(matches!(whole_range, Error::SeedRangeTooLong { count, limit: 64, .. } if count == 1 << 64));
    }

    #[test]
    fn expressions_work_over_latents() {
        let value = evaluate(&parse("seed:1 - seed:1 + seed:2").unwrap(), &LatentResolver::default()).unwrap();
        let expected = seed_latent(2, LATENT_DIMS);
        let got = value.into_vector().unwrap();
        assert!(got.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-6));
        let given = LatentResolver::default();
        let err = evaluate(&parse("seed:x").unwrap(), &given).unwrap_err().to_string();
        assert!(err.contains("cannot resolve \"seed:x\": a seed is a whole number"), "{err}");
        let err = evaluate(&parse("face").unwrap(), &given).unwrap_err().to_string();
        assert!(err.contains("seed:N"), "{err}");
        assert!(evaluate(&parse("z:0").unwrap(), &given).unwrap_err().to_string().contains("--z-file"));
        let latents = vec![vec![1.0; LATENT_DIMS], vec![2.0; LATENT_DIMS]];
        let given = LatentResolver { given: &latents };
        let value = evaluate(&parse("z:1 - z:0").unwrap(), &given).unwrap().into_vector().unwrap();
        assert_eq!(value, vec![1.0; LATENT_DIMS]);
        let err = evaluate(&parse("z:2").unwrap(), &given).unwrap_err().to_string();
        assert!(err.contains("z:0 to z:1"), "{err}");
    }
}
