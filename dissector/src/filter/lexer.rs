//! Tokens of the display-filter language (Wireshark 4 syntax, `wireshark-filter(4)`).
//!
//! Field names and unquoted literals share one token, [`Tok::Word`]: a run of letters,
//! digits and `_ . : - /`, so `ip.src`, `10.0.0.0/8`, `00:21:6a`, `0x800`, `-5` and the
//! slice bodies `0:3` / `1-3` are all words, interpreted by the parser from context (the
//! type of the field on the other side), as Wireshark does. A word never contains `..`,
//! which is the range operator of sets (`{1..5}`).

use super::FilterError;

/// One token with its byte span in the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    /// What it is.
    pub tok: Tok<'a>,
    /// Byte offset of its first character.
    pub pos: usize,
    /// Its length in bytes.
    pub len: usize,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok<'a> {
    /// A field name or an unquoted literal.
    Word(&'a str),
    /// A quoted string, escapes resolved (octets: `\xNN` may make it non-UTF-8).
    Str(Vec<u8>),
    /// A character constant `'a'`, as its value.
    Char(u8),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// `#` (layer operator)
    Hash,
    /// `..`
    DotDot,
    /// `&&` or `and`
    And,
    /// `||` or `or`
    Or,
    /// `^^` or `xor`
    Xor,
    /// `!` or `not`
    Not,
    /// `&` (bitwise and)
    BitAnd,
    /// A comparison operator.
    Cmp(CmpOp),
    /// `contains`
    Contains,
    /// `matches` or `~`
    Matches,
    /// `in`
    In,
    /// End of input.
    Eof,
}

/// Comparison operators and their quantifier over repeated fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`, `eq`, `any_eq`: some occurrence is equal.
    Eq,
    /// `!=`, `ne`, `all_ne`: the field is present and no occurrence is equal (Wireshark 4).
    AllNe,
    /// `===`, `all_eq`: the field is present and every occurrence is equal.
    AllEq,
    /// `!==`, `~=`, `any_ne`: some occurrence is not equal.
    AnyNe,
    /// `<`, `lt`
    Lt,
    /// `<=`, `le`
    Le,
    /// `>`, `gt`
    Gt,
    /// `>=`, `ge`
    Ge,
}

impl CmpOp {
    /// The operator with its operands swapped (`a < b` is `b > a`).
    pub fn mirrored(self) -> Self {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }

    /// How the operator is written in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::AllNe => "!=",
            CmpOp::AllEq => "===",
            CmpOp::AnyNe => "!==",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-' | b'/')
}

fn keyword(w: &str) -> Option<Tok<'static>> {
    Some(match w {
        "and" => Tok::And,
        "or" => Tok::Or,
        "xor" => Tok::Xor,
        "not" => Tok::Not,
        "eq" | "any_eq" => Tok::Cmp(CmpOp::Eq),
        "ne" | "all_ne" => Tok::Cmp(CmpOp::AllNe),
        "all_eq" => Tok::Cmp(CmpOp::AllEq),
        "any_ne" => Tok::Cmp(CmpOp::AnyNe),
        "lt" => Tok::Cmp(CmpOp::Lt),
        "le" => Tok::Cmp(CmpOp::Le),
        "gt" => Tok::Cmp(CmpOp::Gt),
        "ge" => Tok::Cmp(CmpOp::Ge),
        "contains" => Tok::Contains,
        "matches" => Tok::Matches,
        "in" => Tok::In,
        _ => return None,
    })
}

/// Splits `src` into tokens; the last one is [`Tok::Eof`].
pub fn tokenize(src: &str) -> Result<Vec<Token<'_>>, FilterError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let at = |n: usize| b.get(i + n).copied().unwrap_or(0);
        let (tok, len) = match c {
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'{' => (Tok::LBrace, 1),
            b'}' => (Tok::RBrace, 1),
            b'[' => (Tok::LBracket, 1),
            b']' => (Tok::RBracket, 1),
            b',' => (Tok::Comma, 1),
            b'#' => (Tok::Hash, 1),
            b'.' if at(1) == b'.' => (Tok::DotDot, 2),
            b'&' if at(1) == b'&' => (Tok::And, 2),
            b'&' => (Tok::BitAnd, 1),
            b'|' if at(1) == b'|' => (Tok::Or, 2),
            b'^' if at(1) == b'^' => (Tok::Xor, 2),
            b'=' if at(1) == b'=' && at(2) == b'=' => (Tok::Cmp(CmpOp::AllEq), 3),
            b'=' if at(1) == b'=' => (Tok::Cmp(CmpOp::Eq), 2),
            b'!' if at(1) == b'=' && at(2) == b'=' => (Tok::Cmp(CmpOp::AnyNe), 3),
            b'!' if at(1) == b'=' => (Tok::Cmp(CmpOp::AllNe), 2),
            b'!' => (Tok::Not, 1),
            b'~' if at(1) == b'=' => (Tok::Cmp(CmpOp::AnyNe), 2),
            b'~' => (Tok::Matches, 1),
            b'<' if at(1) == b'=' => (Tok::Cmp(CmpOp::Le), 2),
            b'<' => (Tok::Cmp(CmpOp::Lt), 1),
            b'>' if at(1) == b'=' => (Tok::Cmp(CmpOp::Ge), 2),
            b'>' => (Tok::Cmp(CmpOp::Gt), 1),
            b'"' => string(src, i)?,
            b'\'' => char_const(src, i)?,
            c if is_word_byte(c) => {
                let mut j = i;
                while j < b.len() && is_word_byte(b[j]) && !(b[j] == b'.' && b.get(j + 1) == Some(&b'.')) {
                    j += 1;
                }
                let w = &src[i..j];
                (keyword(w).unwrap_or(Tok::Word(w)), j - i)
            }
            b'=' => {
                return Err(FilterError::new(
                    src,
                    i,
                    1,
                    "\"=\" is not an operator; use \"==\" to compare",
                ))
            }
            b'|' => {
                return Err(FilterError::new(
                    src,
                    i,
                    1,
                    "\"|\" is not an operator; use \"||\" or \"or\"",
                ))
            }
            _ => {
                let len = src[i..].chars().next().map_or(1, char::len_utf8);
                return Err(FilterError::new(
                    src,
                    i,
                    len,
                    format!("unexpected character {:?}", &src[i..i + len]),
                ));
            }
        };
        out.push(Token { tok, pos: i, len });
        i += len;
    }
    out.push(Token {
        tok: Tok::Eof,
        pos: src.len(),
        len: 0,
    });
    Ok(out)
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// One escape sequence after a backslash at `b[i]`: (octet, bytes consumed incl. backslash).
fn escape(src: &str, i: usize) -> Result<(u8, usize), FilterError> {
    let b = src.as_bytes();
    let c = b
        .get(i + 1)
        .copied()
        .ok_or_else(|| FilterError::new(src, i, 1, "unterminated escape sequence"))?;
    Ok(match c {
        b'n' => (b'\n', 2),
        b't' => (b'\t', 2),
        b'r' => (b'\r', 2),
        b'a' => (0x07, 2),
        b'b' => (0x08, 2),
        b'f' => (0x0c, 2),
        b'v' => (0x0b, 2),
        b'0'..=b'7' => {
            let mut v: u32 = 0;
            let mut n = 0;
            while n < 3 {
                match b.get(i + 1 + n) {
                    Some(d @ b'0'..=b'7') => v = v * 8 + u32::from(d - b'0'),
                    _ => break,
                }
                n += 1;
            }
            let v = u8::try_from(v).map_err(|_| FilterError::new(src, i, n + 1, "octal escape above \\377"))?;
            (v, n + 1)
        }
        b'x' => {
            let h1 = b.get(i + 2).copied().and_then(hex_val);
            let h2 = b.get(i + 3).copied().and_then(hex_val);
            match (h1, h2) {
                (Some(a), Some(b2)) => (a * 16 + b2, 4),
                (Some(a), None) => (a, 3),
                _ => return Err(FilterError::new(src, i, 2, "\\x needs a hex digit")),
            }
        }
        c if c.is_ascii() => (c, 2),
        _ => return Err(FilterError::new(src, i, 1, "invalid escape sequence")),
    })
}

fn string(src: &str, start: usize) -> Result<(Tok<'static>, usize), FilterError> {
    let b = src.as_bytes();
    let mut v = Vec::new();
    let mut i = start + 1;
    loop {
        match b.get(i) {
            None => {
                return Err(FilterError::new(
                    src,
                    start,
                    1,
                    "unterminated string: missing closing '\"'",
                ))
            }
            Some(b'"') => return Ok((Tok::Str(v), i + 1 - start)),
            Some(b'\\') => {
                let (o, n) = escape(src, i)?;
                v.push(o);
                i += n;
            }
            Some(&c) => {
                v.push(c);
                i += 1;
            }
        }
    }
}

fn char_const(src: &str, start: usize) -> Result<(Tok<'static>, usize), FilterError> {
    let b = src.as_bytes();
    let (v, n) = match b.get(start + 1) {
        Some(b'\\') => escape(src, start + 1)?,
        Some(&c) if c.is_ascii() && c != b'\'' => (c, 1),
        _ => return Err(FilterError::new(src, start, 1, "invalid character constant")),
    };
    if b.get(start + 1 + n) != Some(&b'\'') {
        return Err(FilterError::new(
            src,
            start,
            1 + n,
            "unterminated character constant: missing \"'\"",
        ));
    }
    Ok((Tok::Char(v), n + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok<'_>> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn words_operators_and_ranges() {
        assert_eq!(
            kinds("ip.src==10.0.0.0/8&&!x in {1..5}"),
            vec![
                Tok::Word("ip.src"),
                Tok::Cmp(CmpOp::Eq),
                Tok::Word("10.0.0.0/8"),
                Tok::And,
                Tok::Not,
                Tok::Word("x"),
                Tok::In,
                Tok::LBrace,
                Tok::Word("1"),
                Tok::DotDot,
                Tok::Word("5"),
                Tok::RBrace,
                Tok::Eof
            ]
        );
        assert_eq!(kinds("a ~= b")[1], Tok::Cmp(CmpOp::AnyNe));
        assert_eq!(kinds("a !== b")[1], Tok::Cmp(CmpOp::AnyNe));
        assert_eq!(kinds("a === b")[1], Tok::Cmp(CmpOp::AllEq));
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(kinds(r#""a\"b\x41\101\n""#)[0], Tok::Str(b"a\"bAA\n".to_vec()));
        assert_eq!(kinds(r"'\x41'")[0], Tok::Char(0x41));
        let e = tokenize("x == \"abc").unwrap_err();
        assert_eq!(e.pos, 5);
        assert_eq!(tokenize("a = b").unwrap_err().pos, 2);
    }
}
