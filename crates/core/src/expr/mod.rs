//! The expression language shared by every kind of space.
//!
//! `king - man + woman`, `0.5*(happy - sad)`, `slerp(a, b, 0.3)`: an expression parses to a tree
//! ([`Expr`]) and evaluates against a [`Resolver`] that turns names into vectors. The language
//! knows nothing about words; a word space, an image generator's latent space and a language
//! model's activations each supply their own resolver.
//!
//! Grammar (lowest precedence first):
//!
//! ```text
//! sum     := product (('+' | '-') product)*
//! product := unary (('*' | '/') unary)*
//! unary   := '-' unary | primary
//! primary := NUMBER | NAME | FUNCTION '(' args ')' | '(' sum ')'
//! NAME    := identifier | "double-quoted" | 'single-quoted'
//! ```
//!
//! Identifiers start with a letter, `_` or `@` and continue with letters, digits and `_`;
//! `:` may join identifier parts (`seed:12`). Anything else (`new_york` is fine, `u.s.` or `'s`
//! is not) is written quoted; inside quotes `\"`, `\'` and `\\` escape.
//!
//! ```
//! use vecspace_core::expr::{parse, Expr};
//!
//! let expr = parse("king - man + woman")?;
//! assert_eq!(expr.to_string(), "king - man + woman");
//! assert_eq!(expr.names(), vec!["king", "man", "woman"]);
//! # Ok::<(), vecspace_core::expr::ParseError>(())
//! ```

mod eval;
mod lexer;
mod parse_error;
mod parser;

use std::fmt;

pub use eval::{EvalError, EvalErrorKind, ResolveError, Resolver, Value, evaluate, lerp, slerp};
pub use parse_error::ParseError;
pub use parser::parse;

/// Trees deeper than this are refused, so hostile input cannot overflow the stack when the tree
/// is parsed, printed, evaluated or dropped. Parentheses, unary minus, calls and each operator
/// of a chain like `a + b + c` add one level.
pub(crate) const MAX_DEPTH: usize = 256;

/// A byte range in the source text, for pointing at the part of an expression an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// The source line with a caret line under this span, for error messages.
    pub fn underline(&self, source: &str) -> String {
        let start = self.start.min(source.len());
        let end = self.end.clamp(start, source.len());
        let column = source[..start].chars().count();
        let width = source[start..end].chars().count().max(1);
        format!("  {source}\n  {}{}", " ".repeat(column), "^".repeat(width))
    }
}

/// A parsed expression: a node and the source span it came from.
#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// The kinds of expression nodes.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Name(String),
    Negate(Box<Expr>),
    Binary { op: BinaryOp, lhs: Box<Expr>, rhs: Box<Expr> },
    Call { function: Function, args: Vec<Expr> },
}

/// Two expressions are equal when their trees are, wherever they came from in the source.
impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    Divide,
}

impl BinaryOp {
    fn symbol(self) -> char {
        match self {
            BinaryOp::Add => '+',
            BinaryOp::Subtract => '-',
            BinaryOp::Multiply => '*',
            BinaryOp::Divide => '/',
        }
    }

    fn precedence(self) -> u8 {
        match self {
            BinaryOp::Add | BinaryOp::Subtract => 1,
            BinaryOp::Multiply | BinaryOp::Divide => 2,
        }
    }
}

/// The built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `mean(a, b, …)`: the arithmetic mean of one or more vectors.
    Mean,
    /// `norm(x)`: `x` scaled to unit length.
    Norm,
    /// `lerp(a, b, t)`: `a + t·(b − a)`.
    Lerp,
    /// `slerp(a, b, t)`: spherical interpolation along the great circle from `a` to `b`.
    Slerp,
    /// `proj(x, d)`: the component of `x` along `d`.
    Proj,
    /// `reject(x, d)`: `x` with its component along `d` removed.
    Reject,
    /// `cos(a, b)`: cosine similarity (a number).
    Cos,
    /// `dot(a, b)`: dot product (a number).
    Dot,
    /// `len(x)`: Euclidean length (a number).
    Len,
    /// `scale(x, d, k)`: `x` moved `k` standard deviations of the space's spread along `d`.
    Scale,
}

impl Function {
    pub const ALL: [Function; 10] = [
        Function::Mean,
        Function::Norm,
        Function::Lerp,
        Function::Slerp,
        Function::Proj,
        Function::Reject,
        Function::Cos,
        Function::Dot,
        Function::Len,
        Function::Scale,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Function::Mean => "mean",
            Function::Norm => "norm",
            Function::Lerp => "lerp",
            Function::Slerp => "slerp",
            Function::Proj => "proj",
            Function::Reject => "reject",
            Function::Cos => "cos",
            Function::Dot => "dot",
            Function::Len => "len",
            Function::Scale => "scale",
        }
    }

    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }

    /// How many arguments the function takes: `(min, max)`, `max = None` for "any number".
    pub fn arity(self) -> (usize, Option<usize>) {
        match self {
            Function::Mean => (1, None),
            Function::Norm | Function::Len => (1, Some(1)),
            Function::Proj | Function::Reject | Function::Cos | Function::Dot => (2, Some(2)),
            Function::Lerp | Function::Slerp | Function::Scale => (3, Some(3)),
        }
    }

    /// The call signature, as shown in error messages.
    pub fn signature(self) -> &'static str {
        match self {
            Function::Mean => "mean(v1, v2, …)",
            Function::Norm => "norm(x)",
            Function::Lerp => "lerp(a, b, t)",
            Function::Slerp => "slerp(a, b, t)",
            Function::Proj => "proj(x, d)",
            Function::Reject => "reject(x, d)",
            Function::Cos => "cos(a, b)",
            Function::Dot => "dot(a, b)",
            Function::Len => "len(x)",
            Function::Scale => "scale(x, d, k)",
        }
    }
}

impl Expr {
    /// The distinct names the expression refers to, in order of first appearance.
    pub fn names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        self.visit_names(&mut |name| {
            if !names.contains(&name) {
                names.push(name);
            }
        });
        names
    }

    fn visit_names<'a>(&'a self, visit: &mut impl FnMut(&'a str)) {
        match &self.kind {
            ExprKind::Number(_) => {}
            ExprKind::Name(name) => visit(name),
            ExprKind::Negate(inner) => inner.visit_names(visit),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.visit_names(visit);
                rhs.visit_names(visit);
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|arg| arg.visit_names(visit)),
        }
    }

    fn precedence(&self) -> u8 {
        match &self.kind {
            ExprKind::Binary { op, .. } => op.precedence(),
            ExprKind::Negate(_) => 3,
            _ => 4,
        }
    }
}

/// Whether `name` can be written without quotes.
pub fn is_plain_name(name: &str) -> bool {
    lexer::plain_name_length(name) == Some(name.len())
}

/// Prints the expression in canonical form: minimal parentheses, names quoted only when needed.
/// Parsing the printed text gives back an equal tree.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(value) => write!(f, "{value}"),
            ExprKind::Name(name) if is_plain_name(name) => f.write_str(name),
            ExprKind::Name(name) => write_quoted(f, name),
            ExprKind::Negate(inner) => {
                f.write_str("-")?;
                write_operand(f, inner, inner.precedence() < 3)
            }
            ExprKind::Binary { op, lhs, rhs } => {
                write_operand(f, lhs, lhs.precedence() < op.precedence())?;
                write!(f, " {} ", op.symbol())?;
                // Operators are left-associative: a right operand of equal precedence needs
                // parentheses (`a - (b - c)`).
                write_operand(f, rhs, rhs.precedence() <= op.precedence())
            }
            ExprKind::Call { function, args } => {
                write!(f, "{}(", function.name())?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
        }
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, expr: &Expr, parenthesize: bool) -> fmt::Result {
    if parenthesize { write!(f, "({expr})") } else { write!(f, "{expr}") }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    let quote = if name.contains('"') && !name.contains('\'') { '\'' } else { '"' };
    write!(f, "{quote}")?;
    for c in name.chars() {
        if c == quote || c == '\\' {
            write!(f, "\\")?;
        }
        write!(f, "{c}")?;
    }
    write!(f, "{quote}")
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn leaf() -> impl Strategy<Value = Expr> {
        let name = prop_oneof![
            "[a-z][a-z0-9_]{0,6}",
            "@[a-z]{1,5}",
            "seed:[0-9]{1,3}",
            "[a-z' .\"\\\\-]{1,6}", // needs quotes
        ];
        prop_oneof![
            (0u32..1000, 0u32..4).prop_map(|(m, e)| f64::from(m) / 10f64.powi(e as i32)).prop_map(ExprKind::Number),
            name.prop_map(ExprKind::Name),
        ]
        .prop_map(|kind| Expr { kind, span: Span::default() })
    }

    fn tree() -> impl Strategy<Value = Expr> {
        leaf().prop_recursive(5, 40, 4, |inner| {
            let op = prop_oneof![
                Just(BinaryOp::Add),
                Just(BinaryOp::Subtract),
                Just(BinaryOp::Multiply),
                Just(BinaryOp::Divide)
            ];
            let function = proptest::sample::select(Function::ALL.to_vec());
            prop_oneof![
                inner.clone().prop_map(|e| ExprKind::Negate(Box::new(e))),
                (op, inner.clone(), inner.clone()).prop_map(|(op, l, r)| ExprKind::Binary {
                    op,
                    lhs: Box::new(l),
                    rhs: Box::new(r)
                }),
                (function, proptest::collection::vec(inner, 3)).prop_map(|(function, mut args)| {
                    let (min, max) = function.arity();
                    args.truncate(max.unwrap_or(3).max(min));
                    ExprKind::Call { function, args }
                }),
            ]
            .prop_map(|kind| Expr { kind, span: Span::default() })
        })
    }

    struct Random(usize);
    impl Resolver for Random {
        fn dims(&self) -> usize {
            self.0
        }
        fn resolve(&self, name: &str) -> Result<Vec<f32>, ResolveError> {
            let mut state =
                name.bytes().fold(14695981039346656037u64, |h, b| (h ^ u64::from(b)).wrapping_mul(1099511628211));
            Ok((0..self.0)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
                })
                .collect())
        }
    }

    fn vector(source: &str, dims: usize) -> Vec<f32> {
        let expr = parse(source).unwrap();
        evaluate(&expr, &Random(dims)).unwrap().into_vector().unwrap()
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_the_same_tree(expr in tree()) {
            let printed = expr.to_string();
            let reparsed = parse(&printed).map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(&reparsed, &expr, "printed as {}", printed);
            prop_assert_eq!(reparsed.to_string(), printed);
        }

        #[test]
        fn subtracting_then_adding_returns_the_vector(a in "[a-z]{1,8}", b in "[a-z]{1,8}", dims in 1usize..64) {
            let round_trip = vector(&format!("({a} - {b}) + {b}"), dims);
            let original = vector(&a, dims);
            for (x, y) in round_trip.iter().zip(&original) {
                prop_assert!((x - y).abs() < 1e-5);
            }
        }

        #[test]
        fn projection_and_rejection_split_a_vector(x in "[a-z]{1,8}", d in "[a-z]{1,8}", dims in 2usize..64) {
            let split = vector(&format!("proj({x}, {d}) + reject({x}, {d})"), dims);
            let original = vector(&x, dims);
            for (s, o) in split.iter().zip(&original) {
                prop_assert!((s - o).abs() < 1e-4);
            }
            let orthogonal = evaluate(&parse(&format!("dot(reject({x}, {d}), {d})")).unwrap(), &Random(dims)).unwrap();
            prop_assert!(matches!(orthogonal, Value::Scalar(v) if v.abs() < 1e-4), "{:?}", orthogonal);
        }

        #[test]
        fn slerp_keeps_unit_vectors_on_the_sphere(a in "[a-z]{1,8}", b in "[a-z]{1,8}", t in 0.0f64..1.0, dims in 2usize..64) {
            prop_assume!(a != b);
            let point = vector(&format!("slerp(norm({a}), norm({b}), {t})"), dims);
            let length: f32 = point.iter().map(|x| x * x).sum::<f32>().sqrt();
            prop_assert!((length - 1.0).abs() < 1e-3, "length {}", length);
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
            let _ = parse(&text);
        }
    }
}
