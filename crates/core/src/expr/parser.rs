//! Recursive-descent parser from tokens to [`Expr`] trees.

use super::lexer::{Token, tokenize};
use super::parse_error::{ParseError, ParseErrorKind};
use super::{BinaryOp, Expr, ExprKind, Function, MAX_DEPTH, Span};

/// Parses `source` into an expression tree.
pub fn parse(source: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(source)?;
    let mut parser = Parser { source, tokens, pos: 0, depth: 0 };
    if parser.peek() == &Token::End {
        return Err(ParseError::new(source, parser.span(), ParseErrorKind::Empty));
    }
    let expr = parser.sum()?;
    match parser.peek() {
        Token::End => Ok(expr),
        Token::CloseParen => Err(parser.error(ParseErrorKind::Unexpected {
            expected: "an operator or the end",
            found: "')' with no matching '('".into(),
        })),
        other => {
            let found = other.describe();
            Err(parser.error(ParseErrorKind::Unexpected { expected: "an operator (+ - * /) or the end", found }))
        }
    }
}

struct Parser<'a> {
    source: &'a str,
    tokens: Vec<(Token, Span)>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos].0
    }

    fn span(&self) -> Span {
        self.tokens[self.pos].1
    }

    fn advance(&mut self) -> (Token, Span) {
        let token = self.tokens[self.pos].clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    fn error(&self, kind: ParseErrorKind) -> ParseError {
        ParseError::new(self.source, self.span(), kind)
    }

    fn descend(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { Err(self.error(ParseErrorKind::TooDeep)) } else { Ok(()) }
    }

    fn sum(&mut self) -> Result<Expr, ParseError> {
        let base = self.depth;
        let mut lhs = self.product()?;
        loop {
            let op = match self.peek() {
                Token::Plus => BinaryOp::Add,
                Token::Minus => BinaryOp::Subtract,
                _ => {
                    self.depth = base;
                    return Ok(lhs);
                }
            };
            self.descend()?;
            self.advance();
            let rhs = self.product()?;
            lhs = binary(op, lhs, rhs);
        }
    }

    fn product(&mut self) -> Result<Expr, ParseError> {
        let base = self.depth;
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek() {
                Token::Star => BinaryOp::Multiply,
                Token::Slash => BinaryOp::Divide,
                _ => {
                    self.depth = base;
                    return Ok(lhs);
                }
            };
            self.descend()?;
            self.advance();
            let rhs = self.unary()?;
            lhs = binary(op, lhs, rhs);
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.peek() == &Token::Minus {
            let (_, span) = self.advance();
            self.descend()?;
            let inner = self.unary()?;
            self.depth -= 1;
            let span = span.to(inner.span);
            return Ok(Expr { kind: ExprKind::Negate(Box::new(inner)), span });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let (token, span) = self.advance();
        match token {
            Token::Number(value) => Ok(Expr { kind: ExprKind::Number(value), span }),
            Token::Name { text, quoted } => {
                if !quoted && self.peek() == &Token::OpenParen {
                    return self.call(text, span);
                }
                Ok(Expr { kind: ExprKind::Name(text), span })
            }
            Token::OpenParen => {
                self.descend()?;
                let inner = self.sum()?;
                self.depth -= 1;
                self.expect_close(span)?;
                Ok(inner)
            }
            other => {
                self.pos -= usize::from(other != Token::End);
                Err(self.error(ParseErrorKind::Unexpected {
                    expected: "a name, a number, a function call or '('",
                    found: other.describe(),
                }))
            }
        }
    }

    fn call(&mut self, name: String, name_span: Span) -> Result<Expr, ParseError> {
        let Some(function) = Function::from_name(&name) else {
            let lowered = name.to_lowercase();
            let suggestion = Function::ALL.iter().map(|f| f.name()).find(|known| {
                let (a, b): (Vec<char>, Vec<char>) = (lowered.chars().collect(), known.chars().collect());
                crate::spelling::bounded_distance(&a, &b, 2).is_some()
            });
            return Err(ParseError::new(self.source, name_span, ParseErrorKind::UnknownFunction { name, suggestion }));
        };
        let (_, open) = self.advance();
        self.descend()?;
        let mut args = Vec::new();
        if self.peek() != &Token::CloseParen {
            loop {
                args.push(self.sum()?);
                if self.peek() != &Token::Comma {
                    break;
                }
                self.advance();
            }
        }
        self.depth -= 1;
        let close = self.expect_close(open)?;
        let span = name_span.to(close);
        let (min, max) = function.arity();
        if args.len() < min || max.is_some_and(|max| args.len() > max) {
            return Err(ParseError::new(
                self.source,
                span,
                ParseErrorKind::WrongArgumentCount { function, given: args.len() },
            ));
        }
        Ok(Expr { kind: ExprKind::Call { function, args }, span })
    }

    fn expect_close(&mut self, open: Span) -> Result<Span, ParseError> {
        match self.peek() {
            Token::CloseParen => Ok(self.advance().1),
            Token::End => Err(ParseError::new(
                self.source,
                open,
                ParseErrorKind::Unexpected { expected: "a matching ')'", found: "end of expression".into() },
            )),
            other => {
                let found = other.describe();
                Err(self.error(ParseErrorKind::Unexpected { expected: "',' or ')'", found }))
            }
        }
    }
}

fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.to(rhs.span);
    Expr { kind: ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(source: &str) -> String {
        parse(source).unwrap_or_else(|e| panic!("{e}")).to_string()
    }

    fn error(source: &str) -> ParseError {
        parse(source).expect_err("should not parse")
    }

    #[test]
    fn precedence_and_associativity_follow_arithmetic() {
        assert_eq!(printed("a - b + c"), "a - b + c");
        assert_eq!(printed("a - (b + c)"), "a - (b + c)");
        assert_eq!(printed("(a - b) + c"), "a - b + c");
        assert_eq!(printed("2 * a + b / 4"), "2 * a + b / 4");
        assert_eq!(printed("2 * (a + b)"), "2 * (a + b)");
        assert_eq!(printed("-a * b"), "-a * b");
        assert_eq!(printed("-(a + b)"), "-(a + b)");
        assert_eq!(printed("a / (b / c)"), "a / (b / c)");
    }

    #[test]
    fn names_can_be_quoted_unicode_or_namespaced() {
        assert_eq!(printed("\"'s\" + \"new york\""), "\"'s\" + \"new york\"");
        assert_eq!(printed("'new_york' + new_york"), "new_york + new_york");
        assert_eq!(printed("\"king\""), "king");
        assert_eq!(printed("café − naïve"), "café - naïve");
        assert_eq!(printed("seed:12 + 1.5*@smile"), "seed:12 + 1.5 * @smile");
        assert_eq!(printed("'say \"hi\"'"), "'say \"hi\"'");
        assert_eq!(printed(r#""back\\slash""#), r#""back\\slash""#);
    }

    #[test]
    fn functions_parse_with_their_arguments() {
        assert_eq!(printed("slerp(a,b,0.3)"), "slerp(a, b, 0.3)");
        assert_eq!(printed("mean(a)"), "mean(a)");
        // A quoted name is a word even when it is spelled like a function.
        assert_eq!(printed("\"mean\" + cos"), "mean + cos");
    }

    #[test]
    fn numbers_accept_decimals_and_exponents() {
        assert_eq!(printed("0.5*x"), "0.5 * x");
        assert_eq!(printed(".5*x"), "0.5 * x");
        assert_eq!(printed("1e-3*x"), "0.001 * x");
    }

    #[test]
    fn errors_point_at_the_offending_token() {
        let err = error("king - - ");
        assert_eq!(err.span, Span::new(9, 9));
        let err = error("king man");
        assert_eq!(err.span, Span::new(5, 8));
        assert!(err.to_string().contains("  king man\n       ^^^"), "{err}");
        let err = error("king $ man");
        assert_eq!(err.kind, ParseErrorKind::UnexpectedChar('$'));
        assert_eq!(err.span, Span::new(5, 6));
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(error("").kind, ParseErrorKind::Empty);
        assert_eq!(error("   ").kind, ParseErrorKind::Empty);
        assert_eq!(error("3d").kind, ParseErrorKind::NeedsQuotes);
        assert_eq!(error("'abc").kind, ParseErrorKind::UnterminatedQuote);
        assert_eq!(error("\"\"").kind, ParseErrorKind::EmptyName);
        assert!(matches!(error("(a + b").kind, ParseErrorKind::Unexpected { .. }));
        assert!(matches!(error("a + b)").kind, ParseErrorKind::Unexpected { .. }));
        assert_eq!(
            error("slerp(a, b)").kind,
            ParseErrorKind::WrongArgumentCount { function: Function::Slerp, given: 2 }
        );
        assert_eq!(error("mean()").kind, ParseErrorKind::WrongArgumentCount { function: Function::Mean, given: 0 });
        let err = error("maen(a, b)");
        assert_eq!(err.kind, ParseErrorKind::UnknownFunction { name: "maen".into(), suggestion: Some("mean") });
        assert_eq!(err.span, Span::new(0, 4));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(error(&deep).kind, ParseErrorKind::TooDeep);
        let negations = format!("{}a", "-".repeat(100_000));
        assert_eq!(error(&negations).kind, ParseErrorKind::TooDeep);
        let chain = vec!["a"; 100_000].join(" + ");
        assert_eq!(error(&chain).kind, ParseErrorKind::TooDeep);
        assert!(parse(&vec!["a"; 200].join(" * ")).is_ok());
    }
}
