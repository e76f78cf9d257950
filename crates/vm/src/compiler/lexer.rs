//! The lexer: source bytes to tokens.

use super::SyntaxError;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A byte that starts no token: PUC-Rio's lexer passes it on as a
    /// one-character token, which the parser rejects where it stands.
    Char(u8),
    Name(Vec<u8>),
    Str(Vec<u8>),
    Int(i64),
    Flt(f64),
    // keywords
    And,
    Break,
    Do,
    Else,
    Elseif,
    End,
    False,
    For,
    Function,
    Goto,
    If,
    In,
    Local,
    Nil,
    Not,
    Or,
    Repeat,
    Return,
    Then,
    True,
    Until,
    While,
    // symbols
    Plus,
    Minus,
    Star,
    Slash,
    DSlash,
    Percent,
    Caret,
    Hash,
    Amp,
    Tilde,
    Pipe,
    Shl,
    Shr,
    Concat,
    Dots,
    Eq,
    Ne,
    Le,
    Ge,
    Lt,
    Gt,
    Assign,
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    DColon,
    Semi,
    Colon,
    Comma,
    Dot,
    Eof,
}

pub struct Lexer<'s> {
    src: &'s [u8],
    pos: usize,
    pub line: u32,
    line_start: usize,
    chunk: Vec<u8>,
    /// Source offset where the last token read starts.
    pub tok_start: usize,
}

fn keyword(name: &[u8]) -> Option<Tok> {
    Some(match name {
        b"and" => Tok::And,
        b"break" => Tok::Break,
        b"do" => Tok::Do,
        b"else" => Tok::Else,
        b"elseif" => Tok::Elseif,
        b"end" => Tok::End,
        b"false" => Tok::False,
        b"for" => Tok::For,
        b"function" => Tok::Function,
        b"goto" => Tok::Goto,
        b"if" => Tok::If,
        b"in" => Tok::In,
        b"local" => Tok::Local,
        b"nil" => Tok::Nil,
        b"not" => Tok::Not,
        b"or" => Tok::Or,
        b"repeat" => Tok::Repeat,
        b"return" => Tok::Return,
        b"then" => Tok::Then,
        b"true" => Tok::True,
        b"until" => Tok::Until,
        b"while" => Tok::While,
        _ => return None,
    })
}

/// How a token is shown in "near" messages.
pub fn tok_text(t: &Tok) -> String {
    let s = match t {
        Tok::Name(n) => return String::from_utf8_lossy(n).into_owned(),
        Tok::Str(s) => return String::from_utf8_lossy(s).into_owned(),
        Tok::Int(i) => return i.to_string(),
        Tok::Flt(f) => return f.to_string(),
        Tok::Eof => return "<eof>".into(),
        Tok::Char(c) if c.is_ascii_graphic() => return (*c as char).to_string(),
        Tok::Char(c) => return format!("<\\{c}>"),
        Tok::And => "and",
        Tok::Break => "break",
        Tok::Do => "do",
        Tok::Else => "else",
        Tok::Elseif => "elseif",
        Tok::End => "end",
        Tok::False => "false",
        Tok::For => "for",
        Tok::Function => "function",
        Tok::Goto => "goto",
        Tok::If => "if",
        Tok::In => "in",
        Tok::Local => "local",
        Tok::Nil => "nil",
        Tok::Not => "not",
        Tok::Or => "or",
        Tok::Repeat => "repeat",
        Tok::Return => "return",
        Tok::Then => "then",
        Tok::True => "true",
        Tok::Until => "until",
        Tok::While => "while",
        Tok::Plus => "+",
        Tok::Minus => "-",
        Tok::Star => "*",
        Tok::Slash => "/",
        Tok::DSlash => "//",
        Tok::Percent => "%",
        Tok::Caret => "^",
        Tok::Hash => "#",
        Tok::Amp => "&",
        Tok::Tilde => "~",
        Tok::Pipe => "|",
        Tok::Shl => "<<",
        Tok::Shr => ">>",
        Tok::Concat => "..",
        Tok::Dots => "...",
        Tok::Eq => "==",
        Tok::Ne => "~=",
        Tok::Le => "<=",
        Tok::Ge => ">=",
        Tok::Lt => "<",
        Tok::Gt => ">",
        Tok::Assign => "=",
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::LBrace => "{",
        Tok::RBrace => "}",
        Tok::LBracket => "[",
        Tok::RBracket => "]",
        Tok::DColon => "::",
        Tok::Semi => ";",
        Tok::Colon => ":",
        Tok::Comma => ",",
        Tok::Dot => ".",
    };
    s.to_string()
}

impl<'s> Lexer<'s> {
    pub fn new(src: &'s [u8], chunk: &[u8]) -> Self {
        // A first line starting with '#' is skipped by the file loaders,
        // not here: `load` of a string takes it as code.
        Lexer {
            src,
            pos: 0,
            line: 1,
            line_start: 0,
            chunk: chunk.to_vec(),
            tok_start: 0,
        }
    }

    pub fn error(&self, msg: &str, near: Option<&str>) -> SyntaxError {
        let rest = match near {
            Some("<eof>") => format!(":{}: {msg} near <eof>", self.line),
            Some(n) => format!(":{}: {msg} near '{n}'", self.line),
            None => format!(":{}: {msg}", self.line),
        };
        let mut bytes = super::chunk_id(&self.chunk);
        bytes.extend_from_slice(rest.as_bytes());
        SyntaxError {
            message: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
            line: self.line,
            column: (self.pos - self.line_start) as u32 + 1,
        }
    }

    /// The source text from `start` to the current position.
    pub fn raw(&self, start: usize) -> String {
        let end = self.pos.min(self.src.len());
        String::from_utf8_lossy(self.src.get(start..end).unwrap_or(b"")).into_owned()
    }

    fn peek(&self, off: usize) -> u8 {
        self.src.get(self.pos + off).copied().unwrap_or(0)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn newline(&mut self) {
        let c = self.src[self.pos];
        self.pos += 1;
        if !self.at_end() {
            let d = self.src[self.pos];
            if (d == b'\n' || d == b'\r') && d != c {
                self.pos += 1;
            }
        }
        self.line += 1;
        self.line_start = self.pos;
    }

    pub fn next(&mut self) -> Result<Tok, SyntaxError> {
        loop {
            if self.at_end() {
                return Ok(Tok::Eof);
            }
            let c = self.src[self.pos];
            match c {
                b'\n' | b'\r' => self.newline(),
                b' ' | b'\t' | 0x0b | 0x0c => self.pos += 1,
                b'-' if self.peek(1) == b'-' => {
                    self.pos += 2;
                    if self.peek(0) == b'[' {
                        if let Some(level) = self.long_bracket_level() {
                            self.long_string(level, true)?;
                            continue;
                        }
                    }
                    while !self.at_end() && !matches!(self.src[self.pos], b'\n' | b'\r') {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
        self.tok_start = self.pos;
        let c = self.src[self.pos];
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = self.pos;
            while !self.at_end()
                && (self.src[self.pos].is_ascii_alphanumeric() || self.src[self.pos] == b'_')
            {
                self.pos += 1;
            }
            let name = &self.src[start..self.pos];
            return Ok(keyword(name).unwrap_or_else(|| Tok::Name(name.to_vec())));
        }
        if c.is_ascii_digit() || (c == b'.' && self.peek(1).is_ascii_digit()) {
            return self.number();
        }
        self.pos += 1;
        let two = |l: &mut Self, next: u8, yes: Tok, no: Tok| {
            if l.peek(0) == next {
                l.pos += 1;
                yes
            } else {
                no
            }
        };
        Ok(match c {
            b'+' => Tok::Plus,
            b'-' => Tok::Minus,
            b'*' => Tok::Star,
            b'/' => two(self, b'/', Tok::DSlash, Tok::Slash),
            b'%' => Tok::Percent,
            b'^' => Tok::Caret,
            b'#' => Tok::Hash,
            b'&' => Tok::Amp,
            b'~' => two(self, b'=', Tok::Ne, Tok::Tilde),
            b'|' => Tok::Pipe,
            b'<' => {
                if self.peek(0) == b'<' {
                    self.pos += 1;
                    Tok::Shl
                } else {
                    two(self, b'=', Tok::Le, Tok::Lt)
                }
            }
            b'>' => {
                if self.peek(0) == b'>' {
                    self.pos += 1;
                    Tok::Shr
                } else {
                    two(self, b'=', Tok::Ge, Tok::Gt)
                }
            }
            b'=' => two(self, b'=', Tok::Eq, Tok::Assign),
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'{' => Tok::LBrace,
            b'}' => Tok::RBrace,
            b']' => Tok::RBracket,
            b';' => Tok::Semi,
            b',' => Tok::Comma,
            b':' => two(self, b':', Tok::DColon, Tok::Colon),
            b'.' => {
                if self.peek(0) == b'.' {
                    self.pos += 1;
                    two(self, b'.', Tok::Dots, Tok::Concat)
                } else {
                    Tok::Dot
                }
            }
            b'[' => {
                self.pos -= 1;
                if let Some(level) = self.long_bracket_level() {
                    return Ok(Tok::Str(self.long_string(level, false)?));
                }
                self.pos += 1;
                Tok::LBracket
            }
            b'"' | b'\'' => return self.string(c),
            _ => Tok::Char(c),
        })
    }

    /// At '[': returns the level of a long bracket `[==[`, consuming it.
    fn long_bracket_level(&mut self) -> Option<usize> {
        let mut p = self.pos + 1;
        let mut level = 0;
        while self.src.get(p) == Some(&b'=') {
            level += 1;
            p += 1;
        }
        if self.src.get(p) == Some(&b'[') {
            self.pos = p + 1;
            Some(level)
        } else {
            None
        }
    }

    fn long_string(&mut self, level: usize, comment: bool) -> Result<Vec<u8>, SyntaxError> {
        let start_line = self.line;
        let mut out = Vec::new();
        if !self.at_end() && matches!(self.src[self.pos], b'\n' | b'\r') {
            self.newline();
        }
        loop {
            if self.at_end() {
                let what = if comment {
                    "unfinished long comment"
                } else {
                    "unfinished long string"
                };
                let msg = format!("{what} (starting at line {start_line})");
                return Err(self.error(&msg, Some("<eof>")));
            }
            let c = self.src[self.pos];
            match c {
                b']' => {
                    let mut p = self.pos + 1;
                    let mut l = 0;
                    while self.src.get(p) == Some(&b'=') {
                        l += 1;
                        p += 1;
                    }
                    if l == level && self.src.get(p) == Some(&b']') {
                        self.pos = p + 1;
                        return Ok(out);
                    }
                    out.push(c);
                    self.pos += 1;
                }
                b'\n' | b'\r' => {
                    self.newline();
                    out.push(b'\n');
                }
                _ => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn string(&mut self, quote: u8) -> Result<Tok, SyntaxError> {
        let mut out = Vec::new();
        loop {
            if self.at_end() {
                return Err(self.error("unfinished string", Some("<eof>")));
            }
            let c = self.src[self.pos];
            if c == quote {
                self.pos += 1;
                return Ok(Tok::Str(out));
            }
            match c {
                b'\n' | b'\r' => {
                    let shown = shown_string(quote, &out, b"");
                    return Err(self.error("unfinished string", Some(&shown)));
                }
                b'\\' => {
                    let esc = self.pos;
                    let escape_error = |lx: &Self, out: &[u8], msg: &str| {
                        // The escape is shown as written, up to the bad character.
                        let end = (lx.pos + 1).min(lx.src.len());
                        let shown = shown_string(quote, out, &lx.src[esc..end]);
                        lx.error(msg, Some(&shown))
                    };
                    self.pos += 1;
                    let e = self.peek(0);
                    match e {
                        b'n' => {
                            out.push(b'\n');
                            self.pos += 1;
                        }
                        b't' => {
                            out.push(b'\t');
                            self.pos += 1;
                        }
                        b'r' => {
                            out.push(b'\r');
                            self.pos += 1;
                        }
                        b'a' => {
                            out.push(7);
                            self.pos += 1;
                        }
                        b'b' => {
                            out.push(8);
                            self.pos += 1;
                        }
                        b'f' => {
                            out.push(12);
                            self.pos += 1;
                        }
                        b'v' => {
                            out.push(11);
                            self.pos += 1;
                        }
                        b'\\' | b'"' | b'\'' => {
                            out.push(e);
                            self.pos += 1;
                        }
                        b'\n' | b'\r' => {
                            self.newline();
                            out.push(b'\n');
                        }
                        b'x' => {
                            self.pos += 1;
                            let h = |c: u8| (c as char).to_digit(16);
                            match (h(self.peek(0)), h(self.peek(1))) {
                                (Some(a), Some(b)) => {
                                    out.push((a * 16 + b) as u8);
                                    self.pos += 2;
                                }
                                (first, _) => {
                                    if first.is_some() {
                                        self.pos += 1;
                                    }
                                    return Err(escape_error(
                                        self,
                                        &out,
                                        "hexadecimal digit expected",
                                    ));
                                }
                            }
                        }
                        b'z' => {
                            self.pos += 1;
                            while !self.at_end()
                                && (self.src[self.pos].is_ascii_whitespace()
                                    || self.src[self.pos] == 0x0b)
                            {
                                if matches!(self.src[self.pos], b'\n' | b'\r') {
                                    self.newline();
                                } else {
                                    self.pos += 1;
                                }
                            }
                        }
                        b'u' => {
                            self.pos += 1;
                            if self.peek(0) != b'{' {
                                return Err(escape_error(self, &out, "missing '{'"));
                            }
                            self.pos += 1;
                            let mut v: u64 = 0;
                            let mut any = false;
                            while let Some(d) = (self.peek(0) as char).to_digit(16) {
                                v = v * 16 + d as u64;
                                any = true;
                                if v > 0x7FFF_FFFF {
                                    return Err(escape_error(self, &out, "UTF-8 value too large"));
                                }
                                self.pos += 1;
                            }
                            if !any {
                                return Err(escape_error(self, &out, "hexadecimal digit expected"));
                            }
                            if self.peek(0) != b'}' {
                                return Err(escape_error(self, &out, "missing '}'"));
                            }
                            self.pos += 1;
                            utf8_encode(v as u32, &mut out);
                        }
                        d if d.is_ascii_digit() => {
                            let mut v: u32 = 0;
                            let mut n = 0;
                            while n < 3 && self.peek(0).is_ascii_digit() {
                                v = v * 10 + (self.peek(0) - b'0') as u32;
                                self.pos += 1;
                                n += 1;
                            }
                            if v > 255 {
                                return Err(escape_error(self, &out, "decimal escape too large"));
                            }
                            out.push(v as u8);
                        }
                        // At the end of the source the string is unfinished.
                        _ if self.at_end() => {}
                        _ => return Err(escape_error(self, &out, "invalid escape sequence")),
                    }
                }
                _ => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn number(&mut self) -> Result<Tok, SyntaxError> {
        let start = self.pos;
        let hex = self.peek(0) == b'0' && (self.peek(1) | 0x20) == b'x';
        if hex {
            self.pos += 2;
        }
        loop {
            let c = self.peek(0);
            let exp = if hex {
                c | 0x20 == b'p'
            } else {
                c | 0x20 == b'e'
            };
            if exp {
                self.pos += 1;
                if matches!(self.peek(0), b'+' | b'-') {
                    self.pos += 1;
                }
            } else if c.is_ascii_hexdigit() || c == b'.' {
                self.pos += 1;
            } else {
                break;
            }
        }
        // A numeral touching a letter is malformed; show one letter of it.
        if self.peek(0).is_ascii_alphabetic() || self.peek(0) == b'_' {
            self.pos += 1;
        }
        let text = &self.src[start..self.pos];
        match crate::vm::convert::str_to_number(text) {
            Some(crate::vm::convert::Number::Int(i)) => Ok(Tok::Int(i)),
            Some(crate::vm::convert::Number::Float(f)) => Ok(Tok::Flt(f)),
            None => Err(self.error("malformed number", Some(&String::from_utf8_lossy(text)))),
        }
    }
}

/// Encodes a code point as (extended, up to 6-byte) UTF-8.
pub fn utf8_encode(v: u32, out: &mut Vec<u8>) {
    if v < 0x80 {
        out.push(v as u8);
        return;
    }
    let mut buf = [0u8; 6];
    let mut n = 0;
    let mut x = v;
    let mut limit = 0x3f;
    while x > limit {
        buf[5 - n] = 0x80 | (x & 0x3f) as u8;
        x >>= 6;
        n += 1;
        limit >>= 1;
    }
    let first = ((!limit << 1) as u8) | x as u8;
    out.push(first);
    out.extend_from_slice(&buf[6 - n..]);
}

/// A string token being read, as PUC-Rio shows it in a lexical error: the
/// opening quote, the value so far (escapes decoded), then `tail`.
fn shown_string(quote: u8, value: &[u8], tail: &[u8]) -> String {
    let mut b = vec![quote];
    b.extend_from_slice(value);
    b.extend_from_slice(tail);
    String::from_utf8_lossy(&b).into_owned()
}
