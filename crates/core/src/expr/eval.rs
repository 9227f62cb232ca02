//! Evaluation of expression trees against a [`Resolver`].

use std::fmt;

use super::{BinaryOp, Expr, ExprKind, Function, Span};

/// Turns the names in an expression into vectors. Each kind of space supplies one: a word space
/// looks words up, an image generator draws latents for `seed:N`, a language model reads
/// activations.
pub trait Resolver {
    /// The length of every vector this resolver returns.
    fn dims(&self) -> usize;
    /// The vector a name stands for.
    fn resolve(&self, name: &str) -> Result<Vec<f32>, ResolveError>;
    /// The standard deviation of the space's vectors projected on the unit vector of
    /// `direction`, which gives `scale(x, d, k)` its unit; `None` where the space has no such
    /// population.
    fn spread(&self, direction: &[f32]) -> Option<f64> {
        let _ = direction;
        None
    }
}

/// Why a resolver could not give a vector for a name.
#[derive(Debug, Clone, PartialEq)]
pub enum ResolveError {
    /// The name is not known; `suggestions` are names that are, closest first.
    Unknown { suggestions: Vec<String> },
    /// The name is known but its vector could not be produced.
    Failed(String),
}

/// The value of an expression: a number or a vector.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(f64),
    Vector(Vec<f32>),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Scalar(_) => "a number",
            Value::Vector(_) => "a vector",
        }
    }

    /// The vector, or `None` for a number.
    pub fn into_vector(self) -> Option<Vec<f32>> {
        match self {
            Value::Vector(v) => Some(v),
            Value::Scalar(_) => None,
        }
    }
}

/// Why an expression could not be evaluated, and the span of the part responsible.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub span: Span,
    pub kind: EvalErrorKind,
}

#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EvalErrorKind {
    UnknownName {
        name: String,
        suggestions: Vec<String>,
    },
    ResolveFailed {
        name: String,
        message: String,
    },
    /// An operation got a number where it needs a vector, or the other way round.
    TypeMismatch {
        operation: String,
        hint: &'static str,
    },
    DimensionMismatch {
        expected: usize,
        found: usize,
    },
    DivisionByZero,
    ZeroVector {
        operation: &'static str,
    },
    NonFinite,
    /// `scale` was used with a resolver that knows no spread.
    NoSpread,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            EvalErrorKind::UnknownName { name, suggestions } => {
                write!(f, "unknown word {name:?}{}", crate::spelling::suggestion_suffix(suggestions))
            }
            EvalErrorKind::ResolveFailed { name, message } => {
                write!(f, "cannot resolve {name:?}: {message}")
            }
            EvalErrorKind::TypeMismatch { operation, hint } => {
                write!(f, "cannot {operation}{hint}")
            }
            EvalErrorKind::DimensionMismatch { expected, found } => {
                write!(f, "vector has {found} dimensions where {expected} are expected")
            }
            EvalErrorKind::DivisionByZero => f.write_str("division by zero"),
            EvalErrorKind::ZeroVector { operation } => {
                write!(f, "{operation} is undefined for a zero vector")
            }
            EvalErrorKind::NonFinite => f.write_str("the result is not finite (overflow or NaN)"),
            EvalErrorKind::NoSpread => f.write_str(
                "scale(x, d, k) needs the spread of a space's vectors along d, which this space cannot give",
            ),
        }
    }
}

impl std::error::Error for EvalError {}

/// Evaluates `expr`, looking names up with `resolver`.
///
/// ```
/// use vecspace_core::expr::{evaluate, parse, ResolveError, Resolver, Value};
///
/// struct Axes;
/// impl Resolver for Axes {
///     fn dims(&self) -> usize { 2 }
///     fn resolve(&self, name: &str) -> Result<Vec<f32>, ResolveError> {
///         match name {
///             "x" => Ok(vec![1.0, 0.0]),
///             "y" => Ok(vec![0.0, 1.0]),
///             _ => Err(ResolveError::Unknown { suggestions: vec![] }),
///         }
///     }
/// }
/// let value = evaluate(&parse("2*x - y")?, &Axes)?;
/// assert_eq!(value, Value::Vector(vec![2.0, -1.0]));
/// assert_eq!(evaluate(&parse("dot(x, x + y)")?, &Axes)?, Value::Scalar(1.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate(expr: &Expr, resolver: &dyn Resolver) -> Result<Value, EvalError> {
    let value = eval(expr, resolver)?;
    let finite = match &value {
        Value::Scalar(s) => s.is_finite(),
        Value::Vector(v) => v.iter().all(|x| x.is_finite()),
    };
    if finite { Ok(value) } else { Err(EvalError { span: expr.span, kind: EvalErrorKind::NonFinite }) }
}

fn eval(expr: &Expr, resolver: &dyn Resolver) -> Result<Value, EvalError> {
    let fail = |kind| EvalError { span: expr.span, kind };
    match &expr.kind {
        ExprKind::Number(value) => Ok(Value::Scalar(*value)),
        ExprKind::Name(name) => match resolver.resolve(name) {
            Ok(vector) if vector.len() == resolver.dims() => Ok(Value::Vector(vector)),
            Ok(vector) => {
                Err(fail(EvalErrorKind::DimensionMismatch { expected: resolver.dims(), found: vector.len() }))
            }
            Err(ResolveError::Unknown { suggestions }) => {
                Err(fail(EvalErrorKind::UnknownName { name: name.clone(), suggestions }))
            }
            Err(ResolveError::Failed(message)) => {
                Err(fail(EvalErrorKind::ResolveFailed { name: name.clone(), message }))
            }
        },
        ExprKind::Negate(inner) => Ok(match eval(inner, resolver)? {
            Value::Scalar(s) => Value::Scalar(-s),
            Value::Vector(v) => Value::Vector(v.into_iter().map(|x| -x).collect()),
        }),
        ExprKind::Binary { op, lhs, rhs } => {
            let (a, b) = (eval(lhs, resolver)?, eval(rhs, resolver)?);
            binary(*op, a, b).map_err(fail)
        }
        ExprKind::Call { function, args } => {
            let values = args.iter().map(|arg| eval(arg, resolver)).collect::<Result<Vec<_>, _>>()?;
            call(*function, values, args, resolver).map_err(fail)
        }
    }
}

fn binary(op: BinaryOp, a: Value, b: Value) -> Result<Value, EvalErrorKind> {
    use Value::{Scalar, Vector};
    let mismatch = |operation: String, hint| Err(EvalErrorKind::TypeMismatch { operation, hint });
    match (op, a, b) {
        (BinaryOp::Add, Scalar(x), Scalar(y)) => Ok(Scalar(x + y)),
        (BinaryOp::Subtract, Scalar(x), Scalar(y)) => Ok(Scalar(x - y)),
        (BinaryOp::Multiply, Scalar(x), Scalar(y)) => Ok(Scalar(x * y)),
        (BinaryOp::Divide, Scalar(_), Scalar(0.0)) => Err(EvalErrorKind::DivisionByZero),
        (BinaryOp::Divide, Scalar(x), Scalar(y)) => Ok(Scalar(x / y)),
        (BinaryOp::Add, Vector(x), Vector(y)) => zip(x, &y, |a, b| a + b),
        (BinaryOp::Subtract, Vector(x), Vector(y)) => zip(x, &y, |a, b| a - b),
        (BinaryOp::Multiply, Scalar(s), Vector(v)) | (BinaryOp::Multiply, Vector(v), Scalar(s)) => {
            Ok(Vector(scale(v, s)))
        }
        (BinaryOp::Divide, Vector(_), Scalar(0.0)) => Err(EvalErrorKind::DivisionByZero),
        (BinaryOp::Divide, Vector(v), Scalar(s)) => Ok(Vector(scale(v, 1.0 / s))),
        (BinaryOp::Add | BinaryOp::Subtract, a, b) => mismatch(
            format!("{} {} and {}", if op == BinaryOp::Add { "add" } else { "subtract" }, a.kind(), b.kind()),
            "; scale a vector with a number instead, like 0.5 * v",
        ),
        (BinaryOp::Multiply, _, _) => {
            mismatch("multiply two vectors".into(), "; use dot(a, b) or cos(a, b) for a number")
        }
        (BinaryOp::Divide, a, b) => mismatch(format!("divide {} by {}", a.kind(), b.kind()), ""),
    }
}

fn zip(mut x: Vec<f32>, y: &[f32], f: impl Fn(f32, f32) -> f32) -> Result<Value, EvalErrorKind> {
    if x.len() != y.len() {
        return Err(EvalErrorKind::DimensionMismatch { expected: x.len(), found: y.len() });
    }
    x.iter_mut().zip(y).for_each(|(a, &b)| *a = f(*a, b));
    Ok(Value::Vector(x))
}

fn scale(mut v: Vec<f32>, s: f64) -> Vec<f32> {
    v.iter_mut().for_each(|x| *x = (f64::from(*x) * s) as f32);
    v
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum()
}

fn call(
    function: Function,
    values: Vec<Value>,
    args: &[Expr],
    resolver: &dyn Resolver,
) -> Result<Value, EvalErrorKind> {
    let name = function.name();
    let vector = |i: usize| match &values[i] {
        Value::Vector(v) => Ok(v.as_slice()),
        Value::Scalar(_) => Err(EvalErrorKind::TypeMismatch {
            operation: format!("use a number as argument {} of {}", i + 1, function.signature()),
            hint: "; it needs a vector there",
        }),
    };
    let scalar = |i: usize| match &values[i] {
        Value::Scalar(s) => Ok(*s),
        Value::Vector(_) => Err(EvalErrorKind::TypeMismatch {
            operation: format!("use a vector as argument {} of {}", i + 1, function.signature()),
            hint: "; it needs a number there",
        }),
    };
    let same_dims = |a: &[f32], b: &[f32]| {
        if a.len() == b.len() {
            Ok(())
        } else {
            Err(EvalErrorKind::DimensionMismatch { expected: a.len(), found: b.len() })
        }
    };
    debug_assert_eq!(values.len(), args.len());
    match function {
        Function::Mean => {
            let first = vector(0)?;
            let mut sum = vec![0.0f64; first.len()];
            for i in 0..values.len() {
                let v = vector(i)?;
                same_dims(first, v)?;
                sum.iter_mut().zip(v).for_each(|(s, &x)| *s += f64::from(x));
            }
            let n = values.len() as f64;
            Ok(Value::Vector(sum.into_iter().map(|s| (s / n) as f32).collect()))
        }
        Function::Norm => {
            let v = vector(0)?;
            let length = dot(v, v).sqrt();
            if length == 0.0 {
                return Err(EvalErrorKind::ZeroVector { operation: "norm" });
            }
            Ok(Value::Vector(scale(v.to_vec(), 1.0 / length)))
        }
        Function::Len => {
            let v = vector(0)?;
            Ok(Value::Scalar(dot(v, v).sqrt()))
        }
        Function::Dot => {
            let (a, b) = (vector(0)?, vector(1)?);
            same_dims(a, b)?;
            Ok(Value::Scalar(dot(a, b)))
        }
        Function::Cos => {
            let (a, b) = (vector(0)?, vector(1)?);
            same_dims(a, b)?;
            let norms = (dot(a, a) * dot(b, b)).sqrt();
            if norms == 0.0 {
                return Err(EvalErrorKind::ZeroVector { operation: "cos" });
            }
            Ok(Value::Scalar(dot(a, b) / norms))
        }
        Function::Proj | Function::Reject => {
            let (x, d) = (vector(0)?, vector(1)?);
            same_dims(x, d)?;
            let dd = dot(d, d);
            if dd == 0.0 {
                return Err(EvalErrorKind::ZeroVector { operation: name });
            }
            let coefficient = dot(x, d) / dd;
            let along: Vec<f32> = d.iter().map(|&di| (f64::from(di) * coefficient) as f32).collect();
            if function == Function::Proj { Ok(Value::Vector(along)) } else { zip(x.to_vec(), &along, |a, b| a - b) }
        }
        Function::Lerp => {
            let t = scalar(2)?;
            let (a, b) = (vector(0)?, vector(1)?);
            same_dims(a, b)?;
            Ok(Value::Vector(lerp(a, b, t)))
        }
        Function::Scale => {
            let k = scalar(2)?;
            let (x, d) = (vector(0)?, vector(1)?);
            same_dims(x, d)?;
            let length = dot(d, d).sqrt();
            if length == 0.0 {
                return Err(EvalErrorKind::ZeroVector { operation: "scale" });
            }
            let sigma = resolver.spread(d).ok_or(EvalErrorKind::NoSpread)?;
            let step = k * sigma / length;
            Ok(Value::Vector(x.iter().zip(d).map(|(&xi, &di)| (f64::from(xi) + step * f64::from(di)) as f32).collect()))
        }
        Function::Slerp => {
            let t = scalar(2)?;
            let (a, b) = (vector(0)?, vector(1)?);
            same_dims(a, b)?;
            Ok(Value::Vector(slerp(a, b, t).ok_or(EvalErrorKind::ZeroVector { operation: "slerp" })?))
        }
    }
}

/// `a + t·(b − a)`, computed in f64.
pub fn lerp(a: &[f32], b: &[f32], t: f64) -> Vec<f32> {
    a.iter().zip(b).map(|(&x, &y)| (f64::from(x) + t * (f64::from(y) - f64::from(x))) as f32).collect()
}

/// Spherical interpolation between two vectors of any length (the form used for GAN latents,
/// White 2016): the angle comes from the directions, the weights apply to the vectors as given,
/// so lengths interpolate smoothly too. Parallel or opposite vectors fall back to `lerp`; `None`
/// when either vector is zero (no angle).
pub fn slerp(a: &[f32], b: &[f32], t: f64) -> Option<Vec<f32>> {
    let (na, nb) = (dot(a, a).sqrt(), dot(b, b).sqrt());
    if na == 0.0 || nb == 0.0 {
        return None;
    }
    let omega = (dot(a, b) / (na * nb)).clamp(-1.0, 1.0).acos();
    let sin_omega = omega.sin();
    let (wa, wb) = if sin_omega.abs() < 1e-9 {
        (1.0 - t, t)
    } else {
        (((1.0 - t) * omega).sin() / sin_omega, (t * omega).sin() / sin_omega)
    };
    Some(a.iter().zip(b).map(|(&x, &y)| (wa * f64::from(x) + wb * f64::from(y)) as f32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    struct Table;
    impl Resolver for Table {
        fn dims(&self) -> usize {
            3
        }
        fn resolve(&self, name: &str) -> Result<Vec<f32>, ResolveError> {
            match name {
                "x" => Ok(vec![1.0, 0.0, 0.0]),
                "y" => Ok(vec![0.0, 2.0, 0.0]),
                "v" => Ok(vec![3.0, 4.0, 0.0]),
                "zero" => Ok(vec![0.0; 3]),
                "short" => Ok(vec![1.0]),
                "broken" => Err(ResolveError::Failed("disk on fire".into())),
                _ => Err(ResolveError::Unknown { suggestions: vec!["x".into()] }),
            }
        }
        fn spread(&self, _: &[f32]) -> Option<f64> {
            Some(0.5)
        }
    }

    fn value(source: &str) -> Value {
        evaluate(&parse(source).unwrap(), &Table).unwrap_or_else(|e| panic!("{source}: {e}"))
    }

    fn vector(source: &str) -> Vec<f32> {
        value(source).into_vector().expect("a vector")
    }

    fn error(source: &str) -> EvalError {
        evaluate(&parse(source).unwrap(), &Table).expect_err("should fail")
    }

    #[test]
    fn arithmetic_on_vectors_and_numbers() {
        assert_eq!(vector("x + y - 2*x"), vec![-1.0, 2.0, 0.0]);
        assert_eq!(vector("v / 2"), vec![1.5, 2.0, 0.0]);
        assert_eq!(vector("-(x)"), vec![-1.0, 0.0, 0.0]);
        assert_eq!(value("1 + 2 * 3 - 4 / 8"), Value::Scalar(6.5));
        assert_eq!(vector("(1 + 1) * x"), vec![2.0, 0.0, 0.0]);
    }

    #[test]
    fn functions_compute_what_they_say() {
        assert_eq!(vector("norm(v)"), vec![0.6, 0.8, 0.0]);
        assert_eq!(value("len(v)"), Value::Scalar(5.0));
        assert_eq!(value("dot(v, y)"), Value::Scalar(8.0));
        assert_eq!(value("cos(x, v)"), Value::Scalar(0.6));
        assert_eq!(vector("mean(x, y, v)"), vec![4.0 / 3.0, 2.0, 0.0]);
        assert_eq!(vector("lerp(x, v, 0.5)"), vec![2.0, 2.0, 0.0]);
        assert_eq!(vector("proj(v, x)"), vec![3.0, 0.0, 0.0]);
        assert_eq!(vector("reject(v, x)"), vec![0.0, 4.0, 0.0]);
        assert_eq!(vector("proj(v, x) + reject(v, x)"), vector("v"));
        // Two spreads (0.5 each) along y's unit direction.
        assert_eq!(vector("scale(x, y, 2)"), vec![1.0, 1.0, 0.0]);
        assert_eq!(vector("scale(x, y, -1)"), vec![1.0, -0.5, 0.0]);
    }

    #[test]
    fn slerp_follows_the_arc_and_keeps_its_ends() {
        assert_eq!(vector("slerp(x, y, 0)"), vec![1.0, 0.0, 0.0]);
        assert_eq!(vector("slerp(x, y, 1)"), vec![0.0, 2.0, 0.0]);
        let mid = vector("slerp(norm(x), norm(y), 0.5)");
        let half = std::f32::consts::FRAC_1_SQRT_2;
        assert!((mid[0] - half).abs() < 1e-6 && (mid[1] - half).abs() < 1e-6, "{mid:?}");
        // Parallel vectors: the arc is degenerate, so it interpolates linearly.
        assert_eq!(vector("slerp(x, 3*x, 0.5)"), vec![2.0, 0.0, 0.0]);
    }

    #[test]
    fn unknown_names_carry_their_span_and_suggestions() {
        let err = error("x + kign");
        assert_eq!(err.span, Span::new(4, 8));
        assert_eq!(err.kind, EvalErrorKind::UnknownName { name: "kign".into(), suggestions: vec!["x".into()] });
        assert_eq!(err.to_string(), "unknown word \"kign\"; did you mean \"x\"?");
    }

    #[test]
    fn type_and_shape_errors_name_the_operation() {
        assert!(error("x * y").to_string().contains("multiply two vectors"));
        assert!(error("x + 1").to_string().contains("add a vector and a number"));
        assert!(error("2 / x").to_string().contains("divide a number by a vector"));
        assert!(error("slerp(x, y, x)").to_string().contains("argument 3 of slerp(a, b, t)"));
        assert!(error("cos(1, x)").to_string().contains("argument 1"));
        assert_eq!(error("x / 0").kind, EvalErrorKind::DivisionByZero);
        assert_eq!(error("norm(zero)").kind, EvalErrorKind::ZeroVector { operation: "norm" });
        assert_eq!(error("reject(x, zero)").kind, EvalErrorKind::ZeroVector { operation: "reject" });
        assert_eq!(error("short").kind, EvalErrorKind::DimensionMismatch { expected: 3, found: 1 });
        assert!(matches!(error("broken").kind, EvalErrorKind::ResolveFailed { .. }));
        assert_eq!(error("1e300 * 1e300 * x").kind, EvalErrorKind::NonFinite);
        assert_eq!(error("scale(x, zero, 1)").kind, EvalErrorKind::ZeroVector { operation: "scale" });
    }
}
