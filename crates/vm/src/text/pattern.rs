//! Lua 5.4 pattern matching on byte strings (`string.find`, `match`,
//! `gmatch`, `gsub`), with PUC-Rio's error messages and limits.

use std::fmt;

mod class;

use class::{find_byte, match_class};

/// Maximum number of captures in one pattern.
pub const MAX_CAPTURES: usize = 32;
/// Maximum nesting of recursive matching calls (PUC's MAXCCALLS).
const MAX_DEPTH: usize = 200;
/// Steps between calls of the budget callback.
const BUDGET_INTERVAL: usize = 4096;

/// Bytes that make `string.find` use the pattern matcher instead of a plain search.
const SPECIALS: &[u8] = b"^$*+?.([%-";

/// A pattern error or an interruption requested by the budget callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternError {
    /// A Lua-visible error with PUC-Rio's message.
    Message(String),
    /// The budget callback asked to stop.
    Interrupted,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternError::Message(m) => f.write_str(m),
            PatternError::Interrupted => f.write_str("pattern matching interrupted"),
        }
    }
}

impl std::error::Error for PatternError {}

fn err<T>(msg: &str) -> Result<T, PatternError> {
    Err(PatternError::Message(msg.to_string()))
}

fn bad_index<T>(i: usize) -> Result<T, PatternError> {
    Err(PatternError::Message(format!("invalid capture index %{i}")))
}

/// Whether `string.find` must run the matcher (else a plain search suffices).
pub fn has_specials(pattern: &[u8]) -> bool {
    pattern.iter().any(|b| SPECIALS.contains(b))
}

/// Plain substring search from byte offset `init`; returns the match start.
pub fn find_plain(subject: &[u8], needle: &[u8], init: usize) -> Option<usize> {
    let hay = subject.get(init..)?;
    let Some((&first, rest)) = needle.split_first() else {
        return Some(init);
    };
    let last_start = hay.len().checked_sub(needle.len())?;
    let mut i = 0;
    while i <= last_start {
        i += find_byte(first, &hay[i..=last_start])?;
        if &hay[i + 1..i + needle.len()] == rest {
            return Some(init + i);
        }
        i += 1;
    }
    None
}

/// A capture value: a byte range of the subject or a 0-based position
/// (Lua reports `pos + 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// Captured substring `subject[start..end]`.
    Str(usize, usize),
    /// Position capture `()`.
    Pos(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CapState {
    Closed(usize),
    Unfinished,
    Position,
}

/// A successful match: the matched range and its raw captures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Byte offset where the match starts.
    pub start: usize,
    /// Byte offset just past the match.
    pub end: usize,
    caps: Vec<(usize, CapState)>,
}

impl Match {
    /// Number of captures the pattern made (0 if it has none).
    pub fn capture_count(&self) -> usize {
        self.caps.len()
    }

    /// Capture `i` (0-based); with no captures, index 0 is the whole match.
    /// Errors like Lua when the index is invalid or the capture unfinished.
    pub fn capture(&self, i: usize) -> Result<Capture, PatternError> {
        match self.caps.get(i) {
            None if i == 0 => Ok(Capture::Str(self.start, self.end)),
            None => bad_index(i + 1),
            Some(&(_, CapState::Unfinished)) => err("unfinished capture"),
            Some(&(s, CapState::Position)) => Ok(Capture::Pos(s)),
            Some(&(s, CapState::Closed(len))) => Ok(Capture::Str(s, s + len)),
        }
    }

    /// The values `string.match`/`gmatch` return: all captures, or the whole match.
    pub fn results(&self) -> Result<Vec<Capture>, PatternError> {
        (0..self.caps.len().max(1))
            .map(|i| self.capture(i))
            .collect()
    }
}

struct State<'a, 'b> {
    src: &'a [u8],
    pat: &'a [u8],
    caps: Vec<(usize, CapState)>,
    depth: usize,
    steps: usize,
    budget: &'b mut dyn FnMut() -> bool,
    /// Why matching stopped, when a step returned `Halt`.
    error: Option<PatternError>,
}

/// Matching stopped with an error (kept in `State::error`). Steps return
/// it instead of the error itself so their results fit in registers.
struct Halt;

type Step = Result<Option<usize>, Halt>;

impl State<'_, '_> {
    fn fail(&mut self, e: PatternError) -> Halt {
        self.error = Some(e);
        Halt
    }

    fn fail_msg(&mut self, msg: &str) -> Halt {
        self.fail(PatternError::Message(msg.to_string()))
    }

    #[inline]
    fn tick(&mut self, n: usize) -> Result<(), Halt> {
        self.steps = self.steps.saturating_add(n);
        if self.steps >= BUDGET_INTERVAL {
            self.steps = 0;
            if !(self.budget)() {
                return Err(self.fail(PatternError::Interrupted));
            }
        }
        Ok(())
    }

    /// Pattern byte at `p`, or 0 past the end (like C's terminator).
    fn pb(&self, p: usize) -> u8 {
        self.pat.get(p).copied().unwrap_or(0)
    }

    /// End of the single-character class starting at `p`.
    fn class_end(&mut self, p: usize) -> Result<usize, Halt> {
        item_end(self.pat, p).map_err(|m| self.fail_msg(m))
    }

    /// Whether `c` is in the set `pat[p..=ec]` where `pat[p]` is '[' and `pat[ec]` is ']'.
    fn match_bracket(&self, c: u8, mut p: usize, ec: usize) -> bool {
        let mut sig = true;
        if self.pb(p + 1) == b'^' {
            sig = false;
            p += 1;
        }
        p += 1;
        while p < ec {
            let pc = self.pat[p];
            if pc == b'%' {
                p += 1;
                if match_class(c, self.pb(p)) {
                    return sig;
                }
            } else if self.pb(p + 1) == b'-' && p + 2 < ec {
                if (pc..=self.pat[p + 2]).contains(&c) {
                    return sig;
                }
                p += 2;
            } else if pc == c {
                return sig;
            }
            p += 1;
        }
        !sig
    }

    /// Whether subject byte at `s` matches the class `pat[p..ep]`.
    fn single(&self, s: usize, p: usize, ep: usize) -> bool {
        let Some(&c) = self.src.get(s) else {
            return false;
        };
        self.single_byte(c, p, ep)
    }

    /// Whether byte `c` matches the class `pat[p..ep]`.
    #[inline]
    fn single_byte(&self, c: u8, p: usize, ep: usize) -> bool {
        match self.pat[p] {
            b'.' => true,
            b'%' => match_class(c, self.pb(p + 1)),
            b'[' => self.match_bracket(c, p, ep - 1),
            pc => pc == c,
        }
    }

    fn do_match(&mut self, s: usize, p: usize) -> Step {
        if self.depth == 0 {
            return Err(self.fail_msg("pattern too complex"));
        }
        self.depth -= 1;
        let r = self.match_body(s, p);
        self.depth += 1;
        r
    }

    fn match_body(&mut self, mut s: usize, mut p: usize) -> Step {
        loop {
            self.tick(1)?;
            if p >= self.pat.len() {
                return Ok(Some(s));
            }
            match self.pat[p] {
                b'(' if self.pb(p + 1) == b')' => {
                    return self.start_capture(s, p + 2, CapState::Position);
                }
                b'(' => return self.start_capture(s, p + 1, CapState::Unfinished),
                b')' => return self.end_capture(s, p + 1),
                b'$' if p + 1 == self.pat.len() => {
                    return Ok((s == self.src.len()).then_some(s));
                }
                b'%' if self.pb(p + 1) == b'b' => match self.match_balance(s, p + 2)? {
                    Some(e) => {
                        s = e;
                        p += 4;
                        continue;
                    }
                    None => return Ok(None),
                },
                b'%' if self.pb(p + 1) == b'f' => {
                    p += 2;
                    if self.pb(p) != b'[' {
                        return Err(self.fail_msg("missing '[' after '%f' in pattern"));
                    }
                    let ep = self.class_end(p)?;
                    let prev = if s == 0 { 0 } else { self.src[s - 1] };
                    let cur = self.src.get(s).copied().unwrap_or(0);
                    if !self.match_bracket(prev, p, ep - 1) && self.match_bracket(cur, p, ep - 1) {
                        p = ep;
                        continue;
                    }
                    return Ok(None);
                }
                b'%' if self.pb(p + 1).is_ascii_digit() => {
                    match self.match_backref(s, self.pb(p + 1))? {
                        Some(e) => {
                            s = e;
                            p += 2;
                            continue;
                        }
                        None => return Ok(None),
                    }
                }
                _ => {}
            }
            // A single-character class, possibly followed by a quantifier.
            let ep = self.class_end(p)?;
            let q = self.pb(ep);
            if !self.single(s, p, ep) {
                if matches!(q, b'*' | b'?' | b'-') {
                    p = ep + 1;
                    continue;
                }
                return Ok(None);
            }
            match q {
                b'?' => {
                    if let Some(e) = self.do_match(s + 1, ep + 1)? {
                        return Ok(Some(e));
                    }
                    p = ep + 1;
                }
                b'+' => return self.max_expand(s + 1, p, ep),
                b'*' => return self.max_expand(s, p, ep),
                b'-' => return self.min_expand(s, p, ep),
                _ => {
                    s += 1;
                    p = ep;
                }
            }
        }
    }

    fn max_expand(&mut self, s: usize, p: usize, ep: usize) -> Step {
        let rest = self.src.get(s..).unwrap_or_default();
        // The longest run of matching bytes, with the class decoded once.
        let mut i = match self.pat[p] {
            b'.' => rest.len(),
            b'%' => {
                let cl = self.pb(p + 1);
                rest.iter().take_while(|&&c| match_class(c, cl)).count()
            }
            b'[' => rest
                .iter()
                .take_while(|&&c| self.match_bracket(c, p, ep - 1))
                .count(),
            pc => rest.iter().take_while(|&&c| c == pc).count(),
        };
        self.tick(i)?;
        let need = self.required_byte(ep + 1);
        loop {
            let hopeless = matches!(need, Some(b) if self.src.get(s + i) != Some(&b));
            if !hopeless {
                if let Some(e) = self.do_match(s + i, ep + 1)? {
                    return Ok(Some(e));
                }
            }
            if i == 0 {
                return Ok(None);
            }
            i -= 1;
        }
    }

    /// The byte a match of `pat[p..]` must begin with, when that is a
    /// literal byte that must occur (after captures that cannot fail): a
    /// position without it can be skipped without matching, as doing so
    /// could not raise an error either.
    fn required_byte(&self, mut p: usize) -> Option<u8> {
        let mut open = self
            .caps
            .iter()
            .filter(|c| c.1 == CapState::Unfinished)
            .count();
        let (mut opened, mut steps) = (0, 0);
        loop {
            match (self.pat.get(p)?, self.pat.get(p + 1)) {
                (b'(', Some(b')')) => {
                    opened += 1;
                    p += 2;
                }
                (b'(', _) => {
                    opened += 1;
                    open += 1;
                    p += 1;
                }
                (b')', _) if open > 0 => {
                    open -= 1;
                    p += 1;
                }
                (b')', _) => return None,
                _ => break,
            }
            steps += 1;
        }
        if self.caps.len() + opened > MAX_CAPTURES || self.depth <= steps + 2 {
            return None;
        }
        let c = self.pat[p];
        let literal = !SPECIALS.contains(&c) && c != b')';
        let optional = matches!(self.pat.get(p + 1), Some(b'*' | b'?' | b'-'));
        (literal && !optional).then_some(c)
    }

    fn min_expand(&mut self, mut s: usize, p: usize, ep: usize) -> Step {
        loop {
            if let Some(e) = self.do_match(s, ep + 1)? {
                return Ok(Some(e));
            }
            if !self.single(s, p, ep) {
                return Ok(None);
            }
            s += 1;
        }
    }

    fn start_capture(&mut self, s: usize, p: usize, what: CapState) -> Step {
        if self.caps.len() >= MAX_CAPTURES {
            return Err(self.fail_msg("too many captures"));
        }
        self.caps.push((s, what));
        let r = self.do_match(s, p)?;
        if r.is_none() {
            self.caps.pop();
        }
        Ok(r)
    }

    fn end_capture(&mut self, s: usize, p: usize) -> Step {
        let Some(l) = self.caps.iter().rposition(|c| c.1 == CapState::Unfinished) else {
            return Err(self.fail_msg("invalid pattern capture"));
        };
        self.caps[l].1 = CapState::Closed(s - self.caps[l].0);
        let r = self.do_match(s, p)?;
        if r.is_none() {
            self.caps[l].1 = CapState::Unfinished;
        }
        Ok(r)
    }

    /// `%bxy` with `p` at `x`.
    fn match_balance(&mut self, s: usize, p: usize) -> Step {
        if p + 1 >= self.pat.len() {
            return Err(self.fail_msg("malformed pattern (missing arguments to '%b')"));
        }
        let (open, close) = (self.pat[p], self.pat[p + 1]);
        if self.src.get(s) != Some(&open) {
            return Ok(None);
        }
        let mut depth = 1usize;
        for (i, &c) in self.src.iter().enumerate().skip(s + 1) {
            if c == close {
                depth -= 1;
                if depth == 0 {
                    self.tick(i - s)?;
                    return Ok(Some(i + 1));
                }
            } else if c == open {
                depth += 1;
            }
        }
        self.tick(self.src.len() - s)?;
        Ok(None)
    }

    /// `%1`..`%9`: the subject must repeat a closed capture here.
    fn match_backref(&mut self, s: usize, digit: u8) -> Step {
        let idx = usize::from(digit - b'0');
        let cap = idx.checked_sub(1).and_then(|l| self.caps.get(l));
        let (start, len) = match cap {
            Some(&(start, CapState::Closed(len))) => (start, len),
            // A position capture has no text and never matches.
            Some(&(_, CapState::Position)) => return Ok(None),
            _ => {
                let e = PatternError::Message(format!("invalid capture index %{idx}"));
                return Err(self.fail(e));
            }
        };
        let want = &self.src[start..start + len];
        let ok = self.src.get(s..s + len) == Some(want);
        self.tick(len)?;
        Ok(ok.then_some(s + len))
    }

    /// Tries a match starting exactly at `s` (pattern from `p`).
    fn try_at(&mut self, s: usize, p: usize) -> Result<Option<Match>, PatternError> {
        self.caps.clear();
        self.depth = MAX_DEPTH;
        match self.do_match(s, p) {
            Ok(end) => Ok(end.map(|end| Match {
                start: s,
                end,
                caps: std::mem::take(&mut self.caps),
            })),
            Err(Halt) => Err(self.error.take().unwrap_or(PatternError::Interrupted)),
        }
    }
}

/// End of the single-character class starting at `pat[p]`.
fn item_end(pat: &[u8], p: usize) -> Result<usize, &'static str> {
    let at = |p: usize| pat.get(p).copied().unwrap_or(0);
    let c = at(p);
    let mut p = p + 1;
    if c == b'%' {
        if p >= pat.len() {
            return Err("malformed pattern (ends with '%')");
        }
        return Ok(p + 1);
    }
    if c == b'[' {
        if at(p) == b'^' {
            p += 1;
        }
        // The first byte of the set is taken literally, even if it is ']'.
        loop {
            if p >= pat.len() {
                return Err("malformed pattern (missing ']')");
            }
            let c = pat[p];
            p += 1;
            if c == b'%' && p < pat.len() {
                p += 1;
            }
            if at(p) == b']' {
                return Ok(p + 1);
            }
        }
    }
    Ok(p)
}

/// The first item of a pattern when every match must begin with one byte
/// it matches (a single-character class without `*`, `?` or `-`, after
/// any opening captures): positions where it fails need no matching.
#[derive(Clone, Copy)]
enum FirstItem {
    /// No such item.
    Any,
    /// A literal byte.
    Byte(u8),
    /// The class `pat[p..ep]`.
    Class(usize, usize),
}

impl FirstItem {
    fn of(pat: &[u8], mut p: usize) -> FirstItem {
        while pat.get(p) == Some(&b'(') {
            p += if pat.get(p + 1) == Some(&b')') { 2 } else { 1 };
        }
        let Some(&c) = pat.get(p) else {
            return FirstItem::Any;
        };
        let special = match c {
            b')' => true,
            b'$' => p + 1 == pat.len(),
            b'%' => matches!(pat.get(p + 1), Some(b'b' | b'f' | b'0'..=b'9')),
            _ => false,
        };
        let Ok(ep) = item_end(pat, p) else {
            return FirstItem::Any;
        };
        if special || matches!(pat.get(ep), Some(b'*' | b'?' | b'-')) {
            return FirstItem::Any;
        }
        match c {
            b'.' | b'%' | b'[' => FirstItem::Class(p, ep),
            _ => FirstItem::Byte(c),
        }
    }
}

/// Finds the first match at or after byte offset `init` (`string.find` /
/// `string.match`); a leading `^` anchors the match at `init`. `budget` is
/// called every few thousand steps and returns false to interrupt.
pub fn find(
    subject: &[u8],
    pattern: &[u8],
    init: usize,
    budget: &mut dyn FnMut() -> bool,
) -> Result<Option<Match>, PatternError> {
    let mut m = GlobalMatcher::new(subject, pattern, init, true);
    Ok(m.next(budget)?.map(|(_, found)| found))
}

/// Successive non-overlapping matches for `gmatch` and `gsub`: an empty match
/// is never accepted where the previous match ended.
pub struct GlobalMatcher<'a> {
    subject: &'a [u8],
    pattern: &'a [u8],
    pat_start: usize,
    anchored: bool,
    pos: usize,
    last_end: Option<usize>,
    done: bool,
    first: FirstItem,
}

impl<'a> GlobalMatcher<'a> {
    /// Starts at byte offset `init`; `honor_anchor` treats a leading `^` as an
    /// anchor (gsub, find) instead of a literal (gmatch).
    pub fn new(subject: &'a [u8], pattern: &'a [u8], init: usize, honor_anchor: bool) -> Self {
        let anchored = honor_anchor && pattern.first() == Some(&b'^');
        let pat_start = usize::from(anchored);
        GlobalMatcher {
            subject,
            pattern,
            pat_start,
            anchored,
            pos: init,
            last_end: None,
            done: init > subject.len(),
            first: FirstItem::of(pattern, pat_start),
        }
    }

    /// Resumes an iteration whose previous match ended at `last_end`
    /// (`gmatch` keeps its state between calls).
    pub fn with_last_end(mut self, last_end: Option<usize>) -> Self {
        self.last_end = last_end;
        self
    }

    /// The next match and the offset where the unmatched text before it
    /// begins (gsub copies `subject[from..m.start]`), or None when exhausted.
    pub fn next(
        &mut self,
        budget: &mut dyn FnMut() -> bool,
    ) -> Result<Option<(usize, Match)>, PatternError> {
        if self.done {
            return Ok(None);
        }
        let from = self.pos;
        let mut st = State {
            src: self.subject,
            pat: self.pattern,
            caps: Vec::new(),
            depth: MAX_DEPTH,
            steps: 0,
            budget,
            error: None,
        };
        let mut s = from;
        while s <= self.subject.len() {
            // Skip to where the first item can match.
            let skip = match self.first {
                _ if self.anchored => Some(0),
                FirstItem::Any => Some(0),
                FirstItem::Byte(b) => find_byte(b, &self.subject[s..]),
                FirstItem::Class(p, ep) => self.subject[s..]
                    .iter()
                    .position(|&c| st.single_byte(c, p, ep)),
            };
            let Some(skip) = skip else {
                break;
            };
            s += skip;
            if let Some(m) = st.try_at(s, self.pat_start)? {
                if Some(m.end) != self.last_end {
                    self.pos = m.end;
                    self.last_end = Some(m.end);
                    self.done = self.anchored;
                    return Ok(Some((from, m)));
                }
            }
            if self.anchored {
                break;
            }
            s += 1;
        }
        self.done = true;
        Ok(None)
    }

    /// Where the iteration stands (position, end of the last match,
    /// finished), for `resume`.
    pub fn position(&self) -> (usize, Option<usize>, bool) {
        (self.pos, self.last_end, self.done)
    }

    /// Continues an iteration (gsub's) from a `position`.
    pub fn resume(
        subject: &'a [u8],
        pattern: &'a [u8],
        (pos, last_end, done): (usize, Option<usize>, bool),
    ) -> Self {
        let mut m = GlobalMatcher::new(subject, pattern, pos, true).with_last_end(last_end);
        m.done = done || pos > subject.len();
        m
    }

    /// Offset of the text not consumed by matches so far (gsub appends
    /// `subject[rest_start()..]` once `next` returns None).
    pub fn rest_start(&self) -> usize {
        self.pos.min(self.subject.len())
    }
}

/// Appends a gsub replacement string with `%0`-`%9` and `%%` expanded.
pub fn expand_replacement(
    repl: &[u8],
    m: &Match,
    subject: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), PatternError> {
    let mut i = 0;
    while let Some(&b) = repl.get(i) {
        i += 1;
        if b != b'%' {
            out.push(b);
            continue;
        }
        let c = repl.get(i).copied().unwrap_or(0);
        i += 1;
        match c {
            b'%' => out.push(b'%'),
            b'0' => out.extend_from_slice(&subject[m.start..m.end]),
            b'1'..=b'9' => match m.capture(usize::from(c - b'1'))? {
                Capture::Str(a, e) => out.extend_from_slice(&subject[a..e]),
                Capture::Pos(p) => out.extend_from_slice((p + 1).to_string().as_bytes()),
            },
            _ => return err("invalid use of '%' in replacement string"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
