//! Per-measure statistics kept in rollup groups and value indexes, and the
//! compensated sum they use.
//!
//! Binary form of [`MeasureStats`] (36 bytes):
//! ```text
//! u32 nonnull | f64 sum | f64 compensation | f64 min | f64 max
//! ```
//! `min`/`max` are meaningless (0) when `nonnull == 0`.

use std::cmp::Ordering;

use crate::error::Result;
use crate::segment::encoding::{ByteReader, ByteWriter};
use crate::value::float_cmp;

pub const STATS_BYTES: usize = 36;

/// Neumaier-compensated sum. Non-finite inputs (inf, NaN) switch to plain
/// IEEE addition so infinities and NaN propagate as in PostgreSQL.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct KahanSum {
    pub sum: f64,
    pub comp: f64,
}

impl KahanSum {
    #[inline]
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if t.is_finite() {
            if self.sum.abs() >= x.abs() {
                self.comp += (self.sum - t) + x;
            } else {
                self.comp += (x - t) + self.sum;
            }
        }
        self.sum = t;
    }

    pub fn merge(&mut self, other: &KahanSum) {
        self.add(other.sum);
        if other.comp != 0.0 {
            self.add(other.comp);
        }
    }

    pub fn value(&self) -> f64 {
        if self.sum.is_finite() {
            self.sum + self.comp
        } else {
            self.sum
        }
    }
}

/// count of non-NULL values, their compensated sum, min and max.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MeasureStats {
    pub nonnull: u64,
    pub sum: KahanSum,
    pub min: f64,
    pub max: f64,
}

impl MeasureStats {
    #[inline]
    pub fn add(&mut self, x: f64) {
        if self.nonnull == 0 {
            self.min = x;
            self.max = x;
        } else {
            if float_cmp(x, self.min) == Ordering::Less {
                self.min = x;
            }
            if float_cmp(x, self.max) == Ordering::Greater {
                self.max = x;
            }
        }
        self.nonnull += 1;
        self.sum.add(x);
    }

    pub fn merge(&mut self, o: &MeasureStats) {
        if o.nonnull == 0 {
            return;
        }
        if self.nonnull == 0 {
            self.min = o.min;
            self.max = o.max;
        } else {
            if float_cmp(o.min, self.min) == Ordering::Less {
                self.min = o.min;
            }
            if float_cmp(o.max, self.max) == Ordering::Greater {
                self.max = o.max;
            }
        }
        self.nonnull += o.nonnull;
        self.sum.merge(&o.sum);
    }

    pub fn write(&self, w: &mut ByteWriter) {
        w.u32(self.nonnull as u32);
        w.f64(self.sum.sum);
        w.f64(self.sum.comp);
        w.f64(if self.nonnull == 0 { 0.0 } else { self.min });
        w.f64(if self.nonnull == 0 { 0.0 } else { self.max });
    }

    /// Decodes the 36-byte form.
    #[inline]
    pub fn from_bytes(b: &[u8; STATS_BYTES]) -> MeasureStats {
        let f = |at: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[at..at + 8]);
            f64::from_le_bytes(a)
        };
        MeasureStats {
            nonnull: u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            sum: KahanSum {
                sum: f(4),
                comp: f(12),
            },
            min: f(20),
            max: f(28),
        }
    }

    pub fn read(r: &mut ByteReader<'_>) -> Result<MeasureStats> {
        let nonnull = u64::from(r.u32()?);
        let sum = r.f64()?;
        let comp = r.f64()?;
        let min = r.f64()?;
        let max = r.f64()?;
        Ok(MeasureStats {
            nonnull,
            sum: KahanSum { sum, comp },
            min,
            max,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn compensated_sum_is_accurate() {
        let mut k = KahanSum::default();
        for _ in 0..1_000_000 {
            k.add(0.1);
        }
        assert!((k.value() - 100_000.0).abs() < 1e-9);
        let mut k = KahanSum::default();
        for x in [1e100, 1.0, -1e100] {
            k.add(x);
        }
        assert_eq!(k.value(), 1.0);
    }

    #[test]
    fn infinities_and_nan_propagate() {
        let mut k = KahanSum::default();
        k.add(1.0);
        k.add(f64::INFINITY);
        assert_eq!(k.value(), f64::INFINITY);
        k.add(f64::NEG_INFINITY);
        assert!(k.value().is_nan());
        let mut s = MeasureStats::default();
        for x in [3.0, f64::NAN, -1.0] {
            s.add(x);
        }
        assert!(s.max.is_nan());
        assert_eq!(s.min, -1.0);
    }

    #[test]
    fn stats_round_trip_and_merge() {
        let mut a = MeasureStats::default();
        a.add(2.5);
        a.add(-1.0);
        let mut w = ByteWriter::new();
        a.write(&mut w);
        assert_eq!(w.len(), STATS_BYTES);
        let b = MeasureStats::read(&mut ByteReader::new(&w.buf)).unwrap();
        assert_eq!(a, b);
        let mut m = MeasureStats::default();
        m.merge(&MeasureStats::default());
        m.merge(&b);
        m.merge(&b);
        assert_eq!(
            (m.nonnull, m.sum.value(), m.min, m.max),
            (4, 3.0, -1.0, 2.5)
        );
    }
}
