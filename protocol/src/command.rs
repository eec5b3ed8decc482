//! Query text to commands: split a simple query into its statements and
//! read each one, with the cursor statements sqlparser does not know
//! (`DECLARE ... CURSOR`, `FETCH`/`MOVE` in all of PostgreSQL's forms,
//! `CLOSE`) parsed here.
//!
//! Splitting happens at top-level semicolons: never inside `'...'` (with
//! `''`), `E'...'` (with backslash escapes), `"..."`, `$tag$...$tag$`,
//! `-- ...` or nested `/* ... */`. Each statement keeps its own text, which
//! is what the general engine is given. Every statement is parsed before any
//! runs, so a syntax error anywhere runs nothing (as in PostgreSQL).

use sqlparser::ast::Statement;

use crate::error::{SqlError, SqlResult};
use crate::sql::parse::parse_sql;

/// One statement: its text and what it says.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub text: String,
    pub cmd: Command,
}

#[derive(Debug, Clone)]
pub enum Command {
    Sql(Box<Statement>),
    Declare(Declare),
    Fetch(Fetch),
    /// `CLOSE name`; `None` is `CLOSE ALL`.
    Close(Option<String>),
}

/// `DECLARE name [BINARY] [ASENSITIVE|INSENSITIVE] [[NO] SCROLL] CURSOR
/// [{WITH|WITHOUT} HOLD] FOR query`.
#[derive(Debug, Clone)]
pub struct Declare {
    pub name: String,
    pub binary: bool,
    pub no_scroll: bool,
    pub hold: bool,
    pub query_text: String,
    pub query: Box<Statement>,
}

/// `FETCH` or `MOVE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    pub name: String,
    pub direction: Direction,
    pub is_move: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `FORWARD n` (`NEXT` is 1, `n` alone too); negative goes backward.
    Forward(i64),
    /// `FORWARD ALL` / `ALL`.
    ForwardAll,
    BackwardAll,
    Absolute(i64),
    Relative(i64),
}

impl Direction {
    pub fn is_backward(self) -> bool {
        match self {
            Direction::Forward(n) => n < 0,
            Direction::ForwardAll => false,
            Direction::BackwardAll | Direction::Absolute(_) | Direction::Relative(_) => true,
        }
    }
}

/// Splits `sql` at top-level semicolons; pieces keep their text, trimmed.
pub fn split_statements(sql: &str) -> Vec<&str> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' => {
                let escapes =
                    i > 0 && (b[i - 1] == b'e' || b[i - 1] == b'E') && (i < 2 || !ident(b[i - 2]));
                i += 1;
                while i < b.len() {
                    if escapes && b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'"' => {
                i += 1;
                while i < b.len() {
                    if b[i] == b'"' {
                        if b.get(i + 1) == Some(&b'"') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'$' if i == 0 || !ident(b[i - 1]) => {
                let mut j = i + 1;
                while j < b.len() && ident(b[j]) && b[j] != b'$' {
                    j += 1;
                }
                let tag_ok =
                    j < b.len() && b[j] == b'$' && !b.get(i + 1).is_some_and(u8::is_ascii_digit);
                if tag_ok {
                    let tag = &sql[i..=j];
                    match sql[j + 1..].find(tag) {
                        Some(end) => i = j + 1 + end + tag.len(),
                        None => i = b.len(),
                    }
                } else {
                    i += 1;
                }
            }
            b';' => {
                out.push(sql[start..i].trim());
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < sql.len() {
        out.push(sql[start..].trim());
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Parses every statement of a query string.
pub fn parse_commands(sql: &str) -> SqlResult<Vec<Parsed>> {
    let mut out = Vec::new();
    for piece in split_statements(sql) {
        out.extend(parse_one(piece)?);
    }
    Ok(out)
}

/// Parses one statement's text (none if it is only comments).
pub fn parse_one(text: &str) -> SqlResult<Vec<Parsed>> {
    let mut t = Tokens::new(text);
    let first = t.peek_word();
    let cmd = match first.as_deref() {
        Some("declare") => Some(Command::Declare(parse_declare(text)?)),
        Some("fetch") | Some("move") => Some(Command::Fetch(parse_fetch(text)?)),
        Some("close") => Some(Command::Close(parse_close(text)?)),
        _ => None,
    };
    if let Some(cmd) = cmd {
        return Ok(vec![Parsed {
            text: text.to_owned(),
            cmd,
        }]);
    }
    let statements = parse_sql(text)?;
    let single = statements.len() == 1;
    Ok(statements
        .into_iter()
        .map(|s| Parsed {
            text: if single {
                text.to_owned()
            } else {
                s.to_string()
            },
            cmd: Command::Sql(Box::new(s)),
        })
        .collect())
}

fn syntax(near: Option<&str>) -> SqlError {
    match near {
        Some(w) => SqlError::Syntax(format!("syntax error at or near \"{w}\"")),
        None => SqlError::Syntax("syntax error at end of input".into()),
    }
}

fn parse_declare(text: &str) -> SqlResult<Declare> {
    let mut t = Tokens::new(text);
    t.expect("declare")?;
    let name = t.ident()?;
    let (mut binary, mut no_scroll, mut hold) = (false, false, false);
    loop {
        match t.word().as_deref() {
            Some("binary") => binary = true,
            Some("asensitive") | Some("insensitive") | Some("scroll") => {}
            Some("no") => {
                t.expect("scroll")?;
                no_scroll = true;
            }
            Some("cursor") => break,
            other => return Err(syntax(other)),
        }
    }
    match t.word().as_deref() {
        Some("for") => {}
        Some(w @ ("with" | "without")) => {
            hold = w == "with";
            t.expect("hold")?;
            t.expect("for")?;
        }
        other => return Err(syntax(other)),
    }
    let query_text = text[t.pos..].trim().to_owned();
    let mut statements = parse_sql(&query_text)?;
    let query = match (statements.pop(), statements.is_empty()) {
        (Some(q @ Statement::Query(_)), true) => q,
        (None, _) => return Err(syntax(None)),
        _ => return Err(SqlError::Syntax("DECLARE CURSOR needs one SELECT".into())),
    };
    Ok(Declare {
        name,
        binary,
        no_scroll,
        hold,
        query_text,
        query: Box::new(query),
    })
}

fn parse_fetch(text: &str) -> SqlResult<Fetch> {
    let mut t = Tokens::new(text);
    let is_move = t.word().as_deref() == Some("move");
    let direction = match t.peek_word().as_deref() {
        Some("next") => {
            t.word();
            Direction::Forward(1)
        }
        Some("prior") => {
            t.word();
            Direction::Forward(-1)
        }
        Some("first") => {
            t.word();
            Direction::Absolute(1)
        }
        Some("last") => {
            t.word();
            Direction::Absolute(-1)
        }
        Some("absolute") => {
            t.word();
            Direction::Absolute(t.count()?)
        }
        Some("relative") => {
            t.word();
            Direction::Relative(t.count()?)
        }
        Some("all") => {
            t.word();
            Direction::ForwardAll
        }
        Some(w @ ("forward" | "backward")) => {
            let back = w == "backward";
            t.word();
            if t.peek_word().as_deref() == Some("all") {
                t.word();
                if back {
                    Direction::BackwardAll
                } else {
                    Direction::ForwardAll
                }
            } else {
                let n = if t.peek_is_count() { t.count()? } else { 1 };
                Direction::Forward(if back { -n } else { n })
            }
        }
        _ if t.peek_is_count() => Direction::Forward(t.count()?),
        _ => Direction::Forward(1),
    };
    if matches!(t.peek_word().as_deref(), Some("from" | "in")) {
        t.word();
    }
    let name = t.ident()?;
    t.end()?;
    Ok(Fetch {
        name,
        direction,
        is_move,
    })
}

fn parse_close(text: &str) -> SqlResult<Option<String>> {
    let mut t = Tokens::new(text);
    t.expect("close")?;
    if t.peek_word().as_deref() == Some("all") && !t.peek_quoted() {
        t.word();
        t.end()?;
        return Ok(None);
    }
    let name = t.ident()?;
    t.end()?;
    Ok(Some(name))
}

/// A tiny tokenizer for the cursor statements: words, quoted identifiers,
/// signed integers; whitespace and comments skipped.
struct Tokens<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Tokens { text, pos: 0 }
    }

    fn skip(&mut self) {
        let b = self.text.as_bytes();
        loop {
            while self.pos < b.len() && b[self.pos].is_ascii_whitespace() {
                self.pos += 1;
            }
            if self.text[self.pos..].starts_with("--") {
                while self.pos < b.len() && b[self.pos] != b'\n' {
                    self.pos += 1;
                }
            } else if self.text[self.pos..].starts_with("/*") {
                match self.text[self.pos..].find("*/") {
                    Some(e) => self.pos += e + 2,
                    None => self.pos = b.len(),
                }
            } else {
                return;
            }
        }
    }

    fn rest(&mut self) -> &'a str {
        self.skip();
        &self.text[self.pos..]
    }

    fn word_len(&mut self) -> usize {
        self.rest()
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c >= 0x80)
            .count()
    }

    fn peek_word(&mut self) -> Option<String> {
        let n = self.word_len();
        (n > 0).then(|| self.rest()[..n].to_lowercase())
    }

    fn peek_quoted(&mut self) -> bool {
        self.rest().starts_with('"')
    }

    fn word(&mut self) -> Option<String> {
        let w = self.peek_word()?;
        self.pos += w.len();
        Some(w)
    }

    fn expect(&mut self, w: &str) -> SqlResult<()> {
        match self.word() {
            Some(got) if got == w => Ok(()),
            other => Err(syntax(other.as_deref())),
        }
    }

    fn ident(&mut self) -> SqlResult<String> {
        let rest = self.rest();
        if let Some(body) = rest.strip_prefix('"') {
            let mut name = String::new();
            let mut chars = body.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                if c == '"' {
                    if chars.peek().map(|p| p.1) == Some('"') {
                        chars.next();
                        name.push('"');
                        continue;
                    }
                    self.pos += i + 2;
                    return Ok(name);
                }
                name.push(c);
            }
            return Err(SqlError::Syntax("unterminated quoted identifier".into()));
        }
        match self.word() {
            Some(w) if !w.as_bytes()[0].is_ascii_digit() => Ok(w),
            other => Err(syntax(other.as_deref())),
        }
    }

    fn peek_is_count(&mut self) -> bool {
        let r = self.rest();
        let r = r.strip_prefix(['-', '+']).unwrap_or(r);
        r.bytes().next().is_some_and(|c| c.is_ascii_digit())
    }

    fn count(&mut self) -> SqlResult<i64> {
        let rest = self.rest();
        let sign_len = usize::from(rest.starts_with(['-', '+']));
        let digits = rest[sign_len..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if digits == 0 {
            return Err(syntax(rest.split_whitespace().next()));
        }
        let s = &rest[..sign_len + digits];
        self.pos += s.len();
        s.parse()
            .map_err(|_| SqlError::NumericOutOfRange(format!("value \"{s}\" is out of range")))
    }

    fn end(&mut self) -> SqlResult<()> {
        let rest = self.rest();
        if rest.is_empty() {
            Ok(())
        } else {
            Err(syntax(rest.split_whitespace().next()))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn splits_at_top_level_semicolons_only() {
        assert_eq!(
            split_statements("select 1; select ';' ; select \"a;b\";"),
            vec!["select 1", "select ';'", "select \"a;b\""]
        );
        assert_eq!(
            split_statements(
                "select 'it''s;'; select E'\\';' -- x;y\n; select $$a;b$$; select $t$;$t$"
            ),
            vec![
                "select 'it''s;'",
                "select E'\\';' -- x;y",
                "select $$a;b$$",
                "select $t$;$t$"
            ]
        );
        assert_eq!(
            split_statements("/* a; /* b; */ c; */ select $1;select 2"),
            vec!["/* a; /* b; */ c; */ select $1", "select 2"]
        );
        assert!(split_statements(" ; ;").is_empty());
    }

    #[test]
    fn parses_cursor_statements() {
        let p = parse_commands("declare \"C\" binary no scroll cursor with hold for select 1; fetch 5 from \"C\"; move backward all in c; close all; close c").unwrap();
        assert_eq!(p.len(), 5);
        let Command::Declare(d) = &p[0].cmd else {
            panic!("not a declare")
        };
        assert_eq!(
            (
                d.name.as_str(),
                d.binary,
                d.no_scroll,
                d.hold,
                d.query_text.as_str()
            ),
            ("C", true, true, true, "select 1")
        );
        let Command::Fetch(f) = &p[1].cmd else {
            panic!("not a fetch")
        };
        assert_eq!(
            f,
            &Fetch {
                name: "C".into(),
                direction: Direction::Forward(5),
                is_move: false
            }
        );
        let Command::Fetch(m) = &p[2].cmd else {
            panic!("not a move")
        };
        assert!(m.is_move && m.direction == Direction::BackwardAll && m.name == "c");
        assert!(matches!(p[3].cmd, Command::Close(None)));
        assert!(matches!(&p[4].cmd, Command::Close(Some(n)) if n == "c"));
    }

    #[test]
    fn fetch_forms() {
        let dir = |s: &str| match parse_one(s).unwrap().pop().unwrap().cmd {
            Command::Fetch(f) => f.direction,
            _ => panic!("not a fetch"),
        };
        assert_eq!(dir("FETCH c"), Direction::Forward(1));
        assert_eq!(dir("FETCH NEXT FROM c"), Direction::Forward(1));
        assert_eq!(dir("FETCH PRIOR c"), Direction::Forward(-1));
        assert_eq!(dir("FETCH ALL IN c"), Direction::ForwardAll);
        assert_eq!(dir("FETCH FORWARD 3 c"), Direction::Forward(3));
        assert_eq!(dir("FETCH FORWARD c"), Direction::Forward(1));
        assert_eq!(dir("FETCH -2 FROM c"), Direction::Forward(-2));
        assert_eq!(dir("FETCH ABSOLUTE -1 c"), Direction::Absolute(-1));
        assert_eq!(dir("FETCH LAST c"), Direction::Absolute(-1));
        assert_eq!(dir("FETCH RELATIVE 0 c"), Direction::Relative(0));
        assert!(parse_one("FETCH 1 FROM").is_err());
        assert!(parse_one("FETCH 1 FROM c d").is_err());
        assert!(parse_one("DECLARE c CURSOR FOR").is_err());
    }

    #[test]
    fn comment_only_is_nothing_and_errors_stop_everything() {
        assert!(parse_commands("-- nothing").unwrap().is_empty());
        assert!(parse_commands("select 1; selec 2").is_err());
        let p = parse_commands("select 1 ; show all").unwrap();
        assert_eq!(p[0].text, "select 1");
        assert_eq!(p[1].text, "show all");
    }
}
