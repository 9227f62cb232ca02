//! Why an expression did not parse: the error the lexer and the parser both return.

use std::fmt;

use super::{Function, MAX_DEPTH, Span};

/// Why an expression did not parse, with the source and the span of the offending part.
/// Its message shows the expression with a caret under that part.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub source: String,
    pub span: Span,
    pub kind: ParseErrorKind,
}

#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    Empty,
    UnexpectedChar(char),
    BadNumber,
    NeedsQuotes,
    EmptyName,
    BadEscape(char),
    UnterminatedQuote,
    Unexpected { expected: &'static str, found: String },
    UnknownFunction { name: String, suggestion: Option<&'static str> },
    WrongArgumentCount { function: Function, given: usize },
    TooDeep,
}

impl ParseError {
    pub(crate) fn new(source: &str, span: Span, kind: ParseErrorKind) -> Self {
        ParseError { source: source.to_owned(), span, kind }
    }

    /// The one-line description, without the caret picture.
    pub fn message(&self) -> String {
        match &self.kind {
            ParseErrorKind::Empty => "empty expression".into(),
            ParseErrorKind::UnexpectedChar(c) => format!("unexpected character {c:?}"),
            ParseErrorKind::BadNumber => "malformed or out-of-range number".into(),
            ParseErrorKind::NeedsQuotes => "a name that starts with a digit must be quoted, like \"3d\"".into(),
            ParseErrorKind::EmptyName => "empty quoted name".into(),
            ParseErrorKind::BadEscape(c) => {
                format!("unknown escape \\{c} (only \\\", \\' and \\\\ are allowed)")
            }
            ParseErrorKind::UnterminatedQuote => {
                "quote is never closed (to name a word that holds a quote, use the other quote: \"'s\")".into()
            }
            ParseErrorKind::Unexpected { expected, found } => {
                format!("expected {expected}, found {found}")
            }
            ParseErrorKind::UnknownFunction { name, suggestion } => {
                let known: Vec<&str> = Function::ALL.iter().map(|f| f.name()).collect();
                match suggestion {
                    Some(s) => format!("unknown function {name:?}; did you mean {s:?}?"),
                    None => format!("unknown function {name:?}; functions are {}", known.join(", ")),
                }
            }
            ParseErrorKind::WrongArgumentCount { function, given } => {
                format!("{} takes {}, given {given}", function.name(), describe_arity(*function))
            }
            ParseErrorKind::TooDeep => {
                format!("expression is deeper than {MAX_DEPTH} levels (nesting, or terms in one chain)")
            }
        }
    }
}

fn describe_arity(function: Function) -> String {
    match function.arity() {
        (min, None) => format!("at least {min} argument{}: {}", plural(min), function.signature()),
        (min, Some(max)) if min == max => {
            format!("{min} argument{}: {}", plural(min), function.signature())
        }
        (min, Some(max)) => format!("{min} to {max} arguments: {}", function.signature()),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n{}", self.message(), self.span.underline(&self.source))
    }
}

impl std::error::Error for ParseError {}
