//! SQL cursors: `DECLARE` materializes its query's result, `FETCH` / `MOVE`
//! walk it with PostgreSQL's position rules, `CLOSE` drops it.
//!
//! A cursor's position is 0 (before the first row), `1..=n` (on a row) or
//! `n + 1` (after the last). Fetching forward past the end leaves it after
//! the last row, backward past the start before the first; `ABSOLUTE` and
//! `RELATIVE` land on one row or off either end. Cursors without `WITH HOLD`
//! close when their transaction ends; `NO SCROLL` ones refuse to move back.

use std::collections::HashMap;
use std::sync::Arc;

use crate::command::{Direction, Fetch};
use crate::error::{SqlError, SqlResult};
use crate::rows::Rows;

#[derive(Debug, Clone)]
pub struct Cursor {
    pub rows: Arc<Rows>,
    pos: usize,
    pub binary: bool,
    pub hold: bool,
    pub no_scroll: bool,
}

impl Cursor {
    pub fn new(rows: Arc<Rows>, binary: bool, hold: bool, no_scroll: bool) -> Self {
        Cursor {
            rows,
            pos: 0,
            binary,
            hold,
            no_scroll,
        }
    }

    /// Moves as `direction` says; returns the 0-based rows passed over, in order.
    pub fn step(&mut self, direction: Direction) -> SqlResult<Vec<usize>> {
        let n = self.rows.len();
        let pos = self.pos;
        let (rows, new_pos): (Vec<usize>, usize) = match direction {
            Direction::Forward(0) | Direction::Relative(0) => {
                let here = (1..=n).contains(&pos).then(|| pos - 1);
                (here.into_iter().collect(), pos)
            }
            Direction::Forward(k) if k > 0 => {
                let k = usize::try_from(k).unwrap_or(usize::MAX);
                let end = pos.saturating_add(k);
                let last = end.min(n);
                let rows = (pos.min(n)..last).collect();
                (rows, if end > n { n + 1 } else { end })
            }
            Direction::ForwardAll => ((pos.min(n)..n).collect(), n + 1),
            Direction::Forward(k) => {
                let k = usize::try_from(k.unsigned_abs()).unwrap_or(usize::MAX);
                let from = pos.min(n + 1);
                let stop = from.saturating_sub(k);
                let rows = (stop.max(1)..from).rev().map(|r| r - 1).collect();
                (rows, if k >= from { 0 } else { stop })
            }
            Direction::BackwardAll => {
                let from = pos.min(n + 1);
                ((1..from).rev().map(|r| r - 1).collect(), 0)
            }
            Direction::Absolute(k) => {
                let target = if k >= 0 {
                    i128::from(k)
                } else {
                    n as i128 + 1 + i128::from(k)
                };
                self.land(target, n)
            }
            Direction::Relative(k) => self.land(pos as i128 + i128::from(k), n),
        };
        if self.no_scroll && new_pos < pos {
            return Err(SqlError::NotInPrerequisiteState(
                "cursor can only scan forward".into(),
            ));
        }
        self.pos = new_pos;
        Ok(rows)
    }

    fn land(&self, target: i128, n: usize) -> (Vec<usize>, usize) {
        if target < 1 {
            (Vec::new(), 0)
        } else if target > n as i128 {
            (Vec::new(), n + 1)
        } else {
            let t = target as usize;
            (vec![t - 1], t)
        }
    }
}

/// A connection's open cursors.
#[derive(Debug, Default)]
pub struct Cursors {
    open: HashMap<String, Cursor>,
}

impl Cursors {
    pub fn declare(&mut self, name: &str, cursor: Cursor) -> SqlResult<()> {
        if self.open.contains_key(name) {
            return Err(SqlError::DuplicateCursor(name.to_owned()));
        }
        self.open.insert(name.to_owned(), cursor);
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&Cursor> {
        self.open.get(name)
    }

    /// `FETCH` / `MOVE`: the cursor's rows and the ones passed over.
    pub fn fetch(&mut self, f: &Fetch) -> SqlResult<(Arc<Rows>, Vec<usize>, bool)> {
        let c = self
            .open
            .get_mut(&f.name)
            .ok_or_else(|| SqlError::UndefinedCursor(f.name.clone()))?;
        let rows = c.step(f.direction)?;
        Ok((c.rows.clone(), rows, c.binary))
    }

    /// `CLOSE name` / `CLOSE ALL`.
    pub fn close(&mut self, name: Option<&str>) -> SqlResult<()> {
        match name {
            None => self.open.clear(),
            Some(n) => {
                self.open
                    .remove(n)
                    .ok_or_else(|| SqlError::UndefinedCursor(n.to_owned()))?;
            }
        }
        Ok(())
    }

    /// The transaction ended: cursors without `WITH HOLD` close.
    pub fn end_transaction(&mut self) {
        self.open.retain(|_, c| c.hold);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::types::PgType;
    use isotherm_indexer::Value;

    fn cursor(n: i64, no_scroll: bool) -> Cursor {
        let rows = Rows::Values {
            fields: vec![crate::sql::Field::new("x", PgType::Int8)],
            rows: (1..=n).map(|i| vec![Value::Int64(i)]).collect(),
        };
        Cursor::new(Arc::new(rows), false, false, no_scroll)
    }

    #[test]
    fn positions_follow_postgres() {
        let mut c = cursor(5, false);
        assert_eq!(c.step(Direction::Forward(2)).unwrap(), vec![0, 1]);
        assert_eq!(c.step(Direction::Forward(0)).unwrap(), vec![1]);
        assert_eq!(c.step(Direction::Forward(10)).unwrap(), vec![2, 3, 4]);
        assert_eq!(c.step(Direction::Forward(1)).unwrap(), Vec::<usize>::new());
        assert_eq!(c.step(Direction::Forward(-2)).unwrap(), vec![4, 3]);
        assert_eq!(c.step(Direction::BackwardAll).unwrap(), vec![2, 1, 0]);
        assert_eq!(c.step(Direction::Forward(-1)).unwrap(), Vec::<usize>::new());
        assert_eq!(c.step(Direction::Absolute(-1)).unwrap(), vec![4]);
        assert_eq!(c.step(Direction::Relative(-2)).unwrap(), vec![2]);
        assert_eq!(c.step(Direction::Absolute(9)).unwrap(), Vec::<usize>::new());
        assert_eq!(c.step(Direction::Forward(-1)).unwrap(), vec![4]);
        assert_eq!(c.step(Direction::ForwardAll).unwrap(), Vec::<usize>::new());
        assert_eq!(c.step(Direction::Absolute(0)).unwrap(), Vec::<usize>::new());
        assert_eq!(c.step(Direction::ForwardAll).unwrap(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn no_scroll_refuses_backward_and_close_all() {
        let mut c = cursor(3, true);
        c.step(Direction::Forward(2)).unwrap();
        assert_eq!(
            c.step(Direction::Forward(-1)).unwrap_err().sqlstate(),
            "55000"
        );
        let mut all = Cursors::default();
        all.declare("a", c).unwrap();
        assert_eq!(
            all.declare("a", cursor(1, false)).unwrap_err().sqlstate(),
            "42P03"
        );
        let mut held = cursor(1, false);
        held.hold = true;
        all.declare("h", held).unwrap();
        all.end_transaction();
        assert!(all.get("a").is_none() && all.get("h").is_some());
        assert_eq!(all.close(Some("a")).unwrap_err().sqlstate(), "34000");
        all.close(None).unwrap();
        assert!(all.get("h").is_none());
    }
}
