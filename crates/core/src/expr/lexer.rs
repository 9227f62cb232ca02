//! Splits expression text into tokens, each with its span.

use super::Span;
use super::parse_error::{ParseError, ParseErrorKind};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    Number(f64),
    /// A name; `quoted` names are never function calls.
    Name {
        text: String,
        quoted: bool,
    },
    Plus,
    Minus,
    Star,
    Slash,
    OpenParen,
    CloseParen,
    Comma,
    End,
}

impl Token {
    pub(crate) fn describe(&self) -> String {
        match self {
            Token::Number(n) => format!("number {n}"),
            Token::Name { text, .. } => format!("name {text:?}"),
            Token::Plus => "'+'".into(),
            Token::Minus => "'-'".into(),
            Token::Star => "'*'".into(),
            Token::Slash => "'/'".into(),
            Token::OpenParen => "'('".into(),
            Token::CloseParen => "')'".into(),
            Token::Comma => "','".into(),
            Token::End => "end of expression".into(),
        }
    }
}

fn starts_name(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '@'
}

fn continues_name(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Length in bytes of the unquoted name at the start of `text`, if one starts there.
pub(crate) fn plain_name_length(text: &str) -> Option<usize> {
    let mut chars = text.char_indices().peekable();
    let (_, first) = chars.next()?;
    if !starts_name(first) {
        return None;
    }
    let mut end = first.len_utf8();
    // '@' is a prefix, not a name by itself.
    if first == '@' {
        match chars.peek() {
            Some(&(_, c)) if starts_name(c) && c != '@' => {}
            _ => return None,
        }
    }
    while let Some(&(i, c)) = chars.peek() {
        if continues_name(c) {
            end = i + c.len_utf8();
            chars.next();
        } else if c == ':' {
            // `seed:12` — a colon joins two parts, it never ends a name.
            chars.next();
            match chars.peek() {
                Some(&(j, next)) if continues_name(next) => {
                    end = j + next.len_utf8();
                    chars.next();
                }
                _ => break,
            }
        } else {
            break;
        }
    }
    Some(end)
}

pub(crate) fn tokenize(source: &str) -> Result<Vec<(Token, Span)>, ParseError> {
    let mut tokens = Vec::new();
    let mut pos = 0;
    let bytes = source.as_bytes();
    while pos < source.len() {
        let rest = &source[pos..];
        let c = rest.chars().next().expect("pos is on a char boundary");
        if c.is_whitespace() {
            pos += c.len_utf8();
            continue;
        }
        let single = match c {
            '+' => Some(Token::Plus),
            '-' | '−' => Some(Token::Minus),
            '*' | '×' => Some(Token::Star),
            '/' => Some(Token::Slash),
            '(' => Some(Token::OpenParen),
            ')' => Some(Token::CloseParen),
            ',' => Some(Token::Comma),
            _ => None,
        };
        if let Some(token) = single {
            tokens.push((token, Span::new(pos, pos + c.len_utf8())));
            pos += c.len_utf8();
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && bytes.get(pos + 1).is_some_and(u8::is_ascii_digit)) {
            let len = number_length(rest);
            let span = Span::new(pos, pos + len);
            let value: f64 = rest[..len]
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| ParseError::new(source, span, ParseErrorKind::BadNumber))?;
            // `3d` is neither a number nor a name: ask for quotes rather than guess.
            if rest[len..].chars().next().is_some_and(continues_name) {
                let tail: usize = rest[len..].chars().take_while(|&c| continues_name(c)).map(char::len_utf8).sum();
                let end = pos + len + tail;
                return Err(ParseError::new(source, Span::new(pos, end), ParseErrorKind::NeedsQuotes));
            }
            tokens.push((Token::Number(value), span));
            pos += len;
            continue;
        }
        if c == '"' || c == '\'' {
            let (text, len) = quoted(source, pos, c)?;
            let span = Span::new(pos, pos + len);
            if text.is_empty() {
                return Err(ParseError::new(source, span, ParseErrorKind::EmptyName));
            }
            tokens.push((Token::Name { text, quoted: true }, span));
            pos += len;
            continue;
        }
        if let Some(len) = plain_name_length(rest) {
            tokens.push((Token::Name { text: rest[..len].to_owned(), quoted: false }, Span::new(pos, pos + len)));
            pos += len;
            continue;
        }
        let span = Span::new(pos, pos + c.len_utf8());
        return Err(ParseError::new(source, span, ParseErrorKind::UnexpectedChar(c)));
    }
    tokens.push((Token::End, Span::new(source.len(), source.len())));
    Ok(tokens)
}

fn number_length(text: &str) -> usize {
    let bytes = text.as_bytes();
    let digits = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut end = digits(0);
    if bytes.get(end) == Some(&b'.') {
        end = digits(end + 1);
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exponent = end + 1;
        if matches!(bytes.get(exponent), Some(b'+' | b'-')) {
            exponent += 1;
        }
        if bytes.get(exponent).is_some_and(u8::is_ascii_digit) {
            end = digits(exponent);
        }
    }
    end
}

/// The unescaped text of the quoted name starting at `start`, and its length with the quotes.
fn quoted(source: &str, start: usize, quote: char) -> Result<(String, usize), ParseError> {
    let mut text = String::new();
    let mut chars = source[start + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, escaped @ ('\\' | '"' | '\''))) => text.push(escaped),
                Some((j, other)) => {
                    let at = start + 1 + j;
                    let span = Span::new(at - 1, at + other.len_utf8());
                    return Err(ParseError::new(source, span, ParseErrorKind::BadEscape(other)));
                }
                None => break,
            },
            c if c == quote => return Ok((text, i + 2)),
            c => text.push(c),
        }
    }
    Err(ParseError::new(source, Span::new(start, source.len()), ParseErrorKind::UnterminatedQuote))
}
