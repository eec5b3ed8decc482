//! Byte-level encodings used inside segment sections. All integers are
//! little-endian; every read is bounds-checked (a malformed section is an
//! error, never a panic).
//!
//! ## Bit-packed integers (`Packed`)
//! ```text
//! u8 width (0..=64) | ceil(n * width / 8) bytes, value i at bit i*width (LSB first) | 9 zero bytes
//! ```
//! Width 0 means every value is 0. The padding lets a read load 8 bytes (+1)
//! at any value's first byte.
//!
//! ## Float column (`FloatCodec`)
//! ```text
//! u8 kind
//!   kind 0 (raw):     n x f64
//!   kind 1 (decimal): u8 exp | i64 base | Packed (v*10^exp - base)
//!                     | u32 n_exc | n_exc x (u32 row | f64 value), rows ascending
//!                     decode(i) = (base + packed[i]) as f64 / 10^exp, checked bit-exact
//!                     at encode; values that do not round-trip (-0.0, NaN, more
//!                     digits; at most n/32 of them) are exceptions
//! Nulls
//! ```
//! ## Integer column (`IntCodec`, timestamps in µs)
//! ```text
//! u8 kind
//!   kind 0 (raw): n x i64
//!   kind 1 (frame of reference): i64 base | u64 step | Packed ((v - base) / step)
//! Nulls
//! ```
//! ## Nulls
//! ```text
//! u32 len | serialized roaring bitmap of NULL rows (len 0 = no NULLs)
//! ```
//! NULL rows hold the codec's zero (raw 0 / packed 0) in the value area.

use roaring::RoaringBitmap;

use crate::error::{IndexError, Result};

pub fn malformed(what: &str) -> IndexError {
    IndexError::Internal(format!("malformed segment section: {what}"))
}

/// Appends little-endian values to a byte buffer.
#[derive(Default)]
pub struct ByteWriter {
    pub buf: Vec<u8>,
}

impl ByteWriter {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    pub fn len(&self) -> usize {
        self.buf.len()
    }
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    /// A roaring bitmap as `u32 len | bytes`.
    pub fn bitmap(&mut self, b: &RoaringBitmap) {
        if b.is_empty() {
            self.u32(0);
            return;
        }
        let mut b = b.clone();
        b.optimize();
        let mut bytes = Vec::with_capacity(b.serialized_size());
        // Writing into a Vec cannot fail.
        let _ = b.serialize_into(&mut bytes);
        self.u32(bytes.len() as u32);
        self.bytes(&bytes);
    }
}

/// Reads little-endian values from a slice, failing on short input.
#[derive(Clone, Copy)]
pub struct ByteReader<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> ByteReader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        ByteReader { buf, pos: 0 }
    }
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| malformed("short read"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.arr::<1>()?[0])
    }
    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.arr()?))
    }
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.arr()?))
    }
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.arr()?))
    }
    pub fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.arr()?))
    }
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos.min(self.buf.len())..]
    }
    /// A `u32 len | bytes` roaring bitmap.
    pub fn bitmap(&mut self) -> Result<RoaringBitmap> {
        let len = self.u32()? as usize;
        if len == 0 {
            return Ok(RoaringBitmap::new());
        }
        let bytes = self.take(len)?;
        RoaringBitmap::deserialize_from(bytes).map_err(|_| malformed("roaring bitmap"))
    }
}

/// Reads the u32 at `index` of a u32 array starting at `base`.
pub fn u32_at(buf: &[u8], base: usize, index: usize) -> Result<u32> {
    let at = base
        .checked_add(index.checked_mul(4).ok_or_else(|| malformed("index"))?)
        .ok_or_else(|| malformed("index"))?;
    let s = buf.get(at..at + 4).ok_or_else(|| malformed("u32 array"))?;
    let mut a = [0u8; 4];
    a.copy_from_slice(s);
    Ok(u32::from_le_bytes(a))
}

/// Bits needed for values up to `max`.
pub fn width_for(max: u64) -> u8 {
    (64 - max.leading_zeros()) as u8
}

/// Writes `values` bit-packed at `width` bits each (see module docs).
pub fn write_packed(w: &mut ByteWriter, values: &[u64], width: u8) {
    w.u8(width);
    let start = w.buf.len();
    let nbytes = (values.len() * width as usize).div_ceil(8);
    w.buf.resize(start + nbytes + 9, 0);
    if width == 0 {
        return;
    }
    let out = &mut w.buf[start..];
    for (i, &v) in values.iter().enumerate() {
        let bit = i * width as usize;
        let byte = bit / 8;
        let shift = bit % 8;
        let wide = u128::from(v) << shift;
        let mut lo = [0u8; 16];
        lo.copy_from_slice(&wide.to_le_bytes());
        for (k, b) in lo
            .iter()
            .enumerate()
            .take((shift + width as usize).div_ceil(8))
        {
            out[byte + k] |= *b;
        }
    }
}

/// A view of bit-packed values inside a section.
#[derive(Clone, Copy, Debug)]
pub struct Packed<'a> {
    bytes: &'a [u8],
    width: u8,
    mask: u64,
    n: usize,
}

impl<'a> Packed<'a> {
    /// Reads the header of `n` packed values from `r`, advancing past them.
    pub fn read(r: &mut ByteReader<'a>, n: usize) -> Result<Packed<'a>> {
        let width = r.u8()?;
        if width > 64 {
            return Err(malformed("bit width"));
        }
        let nbytes = (n
            .checked_mul(width as usize)
            .ok_or_else(|| malformed("packed size"))?)
        .div_ceil(8);
        let bytes = r.take(nbytes + 9)?;
        let mask = if width == 64 {
            u64::MAX
        } else {
            (1u64 << width) - 1
        };
        Ok(Packed {
            bytes,
            width,
            mask,
            n,
        })
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Value `i` (`i < len`; larger indexes read padding and return garbage, never panic).
    #[inline]
    pub fn get(&self, i: usize) -> u64 {
        if self.width == 0 {
            return 0;
        }
        let bit = i.min(self.n) * self.width as usize;
        let byte = bit / 8;
        let shift = (bit % 8) as u32;
        let mut word = [0u8; 8];
        if let Some(s) = self.bytes.get(byte..byte + 8) {
            word.copy_from_slice(s);
        }
        let mut v = u64::from_le_bytes(word) >> shift;
        if shift + u32::from(self.width) > 64 {
            let hi = u64::from(self.bytes.get(byte + 8).copied().unwrap_or(0));
            v |= hi << (64 - shift);
        }
        v & self.mask
    }
}

/// NULL rows as a bitmap (see module docs).
pub fn write_nulls(w: &mut ByteWriter, valid: &[bool]) {
    let nulls: RoaringBitmap = valid
        .iter()
        .enumerate()
        .filter(|(_, v)| !**v)
        .map(|(i, _)| i as u32)
        .collect();
    w.bitmap(&nulls);
}

/// Encodes a float column, choosing the decimal codec when it is exact for
/// all but a few values (those become exceptions).
pub fn write_floats(w: &mut ByteWriter, values: &[f64], valid: &[bool]) {
    match decimal_plan(values, valid) {
        Some(plan) => {
            w.u8(1);
            w.u8(plan.exp);
            w.i64(plan.base);
            let packed: Vec<u64> = plan
                .scaled
                .iter()
                .map(|&s| s.wrapping_sub(plan.base) as u64)
                .collect();
            write_packed(w, &packed, plan.width);
            w.u32(plan.exceptions.len() as u32);
            for (row, v) in &plan.exceptions {
                w.u32(*row);
                w.f64(*v);
            }
        }
        None => {
            w.u8(0);
            for (v, ok) in values.iter().zip(valid) {
                w.f64(if *ok { *v } else { 0.0 });
            }
        }
    }
    write_nulls(w, valid);
}

const POW10: [f64; 5] = [1.0, 10.0, 100.0, 1000.0, 10_000.0];

#[inline]
fn decimal_decode(scaled: i64, exp: u8) -> f64 {
    scaled as f64 / POW10[exp as usize]
}

struct DecimalPlan {
    exp: u8,
    base: i64,
    width: u8,
    scaled: Vec<i64>,
    exceptions: Vec<(u32, f64)>,
}

/// The smallest exponent at which all but 1/32 of the valid values round-trip
/// bit-exactly through `scaled / 10^exp`.
fn decimal_plan(values: &[f64], valid: &[bool]) -> Option<DecimalPlan> {
    let budget = values.len() / 32;
    'exp: for exp in 0u8..POW10.len() as u8 {
        let p = POW10[exp as usize];
        let mut scaled = Vec::with_capacity(values.len());
        let mut exceptions = Vec::new();
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for (row, (v, ok)) in values.iter().zip(valid).enumerate() {
            if !*ok {
                scaled.push(None);
                continue;
            }
            let s = (v * p).round();
            let fits = s.is_finite()
                && s.abs() <= 9.0e15
                && decimal_decode(s as i64, exp).to_bits() == v.to_bits();
            if !fits {
                exceptions.push((row as u32, *v));
                if exceptions.len() > budget {
                    continue 'exp;
                }
                scaled.push(None);
                continue;
            }
            let s = s as i64;
            lo = lo.min(s);
            hi = hi.max(s);
            scaled.push(Some(s));
        }
        if lo > hi {
            (lo, hi) = (0, 0);
        }
        return Some(DecimalPlan {
            exp,
            base: lo,
            width: width_for((hi - lo) as u64),
            scaled: scaled.into_iter().map(|s| s.unwrap_or(lo)).collect(),
            exceptions,
        });
    }
    None
}

/// A decoded float column view.
pub struct FloatColumn<'a> {
    kind: FloatKind<'a>,
    pub nulls: RoaringBitmap,
}

enum FloatKind<'a> {
    Raw(&'a [u8]),
    Decimal {
        exp: u8,
        base: i64,
        packed: Packed<'a>,
        exception_rows: RoaringBitmap,
        exceptions: Vec<(u32, f64)>,
    },
}

impl<'a> FloatColumn<'a> {
    pub fn read(r: &mut ByteReader<'a>, n: usize) -> Result<FloatColumn<'a>> {
        let kind = match r.u8()? {
            0 => FloatKind::Raw(r.take(n.checked_mul(8).ok_or_else(|| malformed("size"))?)?),
            1 => {
                let exp = r.u8()?;
                if exp as usize >= POW10.len() {
                    return Err(malformed("decimal exponent"));
                }
                let base = r.i64()?;
                let packed = Packed::read(r, n)?;
                let n_exc = r.u32()? as usize;
                let mut exceptions = Vec::with_capacity(n_exc.min(n));
                for _ in 0..n_exc {
                    exceptions.push((r.u32()?, r.f64()?));
                }
                let exception_rows = exceptions.iter().map(|(row, _)| *row).collect();
                FloatKind::Decimal {
                    exp,
                    base,
                    packed,
                    exception_rows,
                    exceptions,
                }
            }
            _ => return Err(malformed("float codec")),
        };
        let nulls = r.bitmap()?;
        Ok(FloatColumn { kind, nulls })
    }

    /// The value of row `i`, ignoring nullness.
    #[inline]
    pub fn raw(&self, i: usize) -> f64 {
        match &self.kind {
            FloatKind::Raw(b) => {
                let mut a = [0u8; 8];
                if let Some(s) = b.get(i * 8..i * 8 + 8) {
                    a.copy_from_slice(s);
                }
                f64::from_le_bytes(a)
            }
            FloatKind::Decimal {
                exp,
                base,
                packed,
                exception_rows,
                exceptions,
            } => {
                if !exceptions.is_empty() && exception_rows.contains(i as u32) {
                    let at = exceptions.partition_point(|(row, _)| (*row as usize) < i);
                    return exceptions.get(at).map_or(0.0, |(_, v)| *v);
                }
                decimal_decode(base.wrapping_add(packed.get(i) as i64), *exp)
            }
        }
    }

    /// Every row: values (NULL rows hold 0.0) and validity.
    pub fn decode_all(&self, n: usize) -> (Vec<f64>, Vec<bool>) {
        let mut values: Vec<f64> = match &self.kind {
            FloatKind::Raw(_) => (0..n).map(|i| self.raw(i)).collect(),
            FloatKind::Decimal {
                exp,
                base,
                packed,
                exceptions,
                ..
            } => {
                let mut v: Vec<f64> = (0..n)
                    .map(|i| decimal_decode(base.wrapping_add(packed.get(i) as i64), *exp))
                    .collect();
                for (row, x) in exceptions {
                    if let Some(slot) = v.get_mut(*row as usize) {
                        *slot = *x;
                    }
                }
                v
            }
        };
        let mut valid = vec![true; n];
        for row in &self.nulls {
            if let Some(slot) = valid.get_mut(row as usize) {
                *slot = false;
                values[row as usize] = 0.0;
            }
        }
        (values, valid)
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<f64> {
        if !self.nulls.is_empty() && self.nulls.contains(i as u32) {
            None
        } else {
            Some(self.raw(i))
        }
    }
}

/// Encodes an integer column with frame of reference and a common step.
pub fn write_ints(w: &mut ByteWriter, values: &[i64], valid: &[bool]) {
    let present = values
        .iter()
        .zip(valid)
        .filter(|(_, ok)| **ok)
        .map(|(v, _)| *v);
    let (lo, hi) = present
        .clone()
        .fold((i64::MAX, i64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        w.u8(1);
        w.i64(0);
        w.u64(1);
        write_packed(w, &vec![0; values.len()], 0);
        write_nulls(w, valid);
        return;
    }
    let mut step: u64 = 0;
    for v in present {
        step = gcd(step, (i128::from(v) - i128::from(lo)) as u64);
    }
    let step = step.max(1);
    let range = ((i128::from(hi) - i128::from(lo)) as u128 / u128::from(step)) as u64;
    let width = width_for(range);
    if width >= 60 {
        w.u8(0);
        for (v, ok) in values.iter().zip(valid) {
            w.i64(if *ok { *v } else { 0 });
        }
    } else {
        w.u8(1);
        w.i64(lo);
        w.u64(step);
        let packed: Vec<u64> = values
            .iter()
            .zip(valid)
            .map(|(v, ok)| {
                if *ok {
                    ((i128::from(*v) - i128::from(lo)) as u128 / u128::from(step)) as u64
                } else {
                    0
                }
            })
            .collect();
        write_packed(w, &packed, width);
    }
    write_nulls(w, valid);
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

pub struct IntColumn<'a> {
    kind: IntKind<'a>,
    pub nulls: RoaringBitmap,
}

enum IntKind<'a> {
    Raw(&'a [u8]),
    For {
        base: i64,
        step: u64,
        packed: Packed<'a>,
    },
}

impl<'a> IntColumn<'a> {
    pub fn read(r: &mut ByteReader<'a>, n: usize) -> Result<IntColumn<'a>> {
        let kind = match r.u8()? {
            0 => IntKind::Raw(r.take(n.checked_mul(8).ok_or_else(|| malformed("size"))?)?),
            1 => {
                let base = r.i64()?;
                let step = r.u64()?;
                IntKind::For {
                    base,
                    step,
                    packed: Packed::read(r, n)?,
                }
            }
            _ => return Err(malformed("int codec")),
        };
        let nulls = r.bitmap()?;
        Ok(IntColumn { kind, nulls })
    }

    #[inline]
    pub fn raw(&self, i: usize) -> i64 {
        match &self.kind {
            IntKind::Raw(b) => {
                let mut a = [0u8; 8];
                if let Some(s) = b.get(i * 8..i * 8 + 8) {
                    a.copy_from_slice(s);
                }
                i64::from_le_bytes(a)
            }
            IntKind::For { base, step, packed } => {
                base.wrapping_add(packed.get(i).wrapping_mul(*step) as i64)
            }
        }
    }

    /// Every row: values (NULL rows hold 0) and validity.
    pub fn decode_all(&self, n: usize) -> (Vec<i64>, Vec<bool>) {
        let values: Vec<i64> = (0..n).map(|i| self.raw(i)).collect();
        let mut valid = vec![true; n];
        for row in &self.nulls {
            if let Some(slot) = valid.get_mut(row as usize) {
                *slot = false;
            }
        }
        (values, valid)
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<i64> {
        if !self.nulls.is_empty() && self.nulls.contains(i as u32) {
            None
        } else {
            Some(self.raw(i))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn packed_round_trip(values: &[u64], width: u8) {
        let mut w = ByteWriter::new();
        write_packed(&mut w, values, width);
        let mut r = ByteReader::new(&w.buf);
        let p = Packed::read(&mut r, values.len()).unwrap();
        for (i, v) in values.iter().enumerate() {
            assert_eq!(p.get(i), *v, "width {width} index {i}");
        }
        assert!(r.rest().is_empty());
    }

    proptest! {
        #[test]
        fn packing_round_trips(values in proptest::collection::vec(any::<u64>(), 0..200), width in 0u8..=64) {
            let mask = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
            let values: Vec<u64> = values.into_iter().map(|v| v & mask).collect();
            packed_round_trip(&values, width);
        }

        #[test]
        fn floats_round_trip_bit_exact(values in proptest::collection::vec(
            prop_oneof![any::<f64>(), (-500i64..500).prop_map(|v| v as f64 / 10.0), Just(-0.0), Just(f64::NAN)], 0..100),
            nulls in proptest::collection::vec(any::<bool>(), 100)) {
            let valid: Vec<bool> = values.iter().enumerate().map(|(i, _)| !nulls[i]).collect();
            let mut w = ByteWriter::new();
            write_floats(&mut w, &values, &valid);
            let mut r = ByteReader::new(&w.buf);
            let c = FloatColumn::read(&mut r, values.len()).unwrap();
            for (i, v) in values.iter().enumerate() {
                match c.get(i) {
                    None => prop_assert!(!valid[i]),
                    Some(x) => { prop_assert!(valid[i]); prop_assert_eq!(x.to_bits(), v.to_bits()); }
                }
            }
        }

        #[test]
        fn ints_round_trip(values in proptest::collection::vec(prop_oneof![any::<i64>(), (0i64..1440).prop_map(|m| 1_700_000_000_000_000 + m * 60_000_000)], 0..100),
            nulls in proptest::collection::vec(any::<bool>(), 100)) {
            let valid: Vec<bool> = values.iter().enumerate().map(|(i, _)| !nulls[i]).collect();
            let mut w = ByteWriter::new();
            write_ints(&mut w, &values, &valid);
            let mut r = ByteReader::new(&w.buf);
            let c = IntColumn::read(&mut r, values.len()).unwrap();
            for (i, v) in values.iter().enumerate() {
                prop_assert_eq!(c.get(i), valid[i].then_some(*v));
            }
        }
    }

    #[test]
    fn decimal_codec_is_small_for_tenths() {
        let mut values: Vec<f64> = (0..10_000)
            .map(|i| f64::from(i % 700 - 300) / 10.0)
            .collect();
        values[17] = -0.0;
        values[18] = f64::NAN;
        values[19] = 0.123_456;
        let valid = vec![true; values.len()];
        let mut w = ByteWriter::new();
        write_floats(&mut w, &values, &valid);
        assert!(w.len() < values.len() * 2, "{} bytes", w.len());
        let c = FloatColumn::read(&mut ByteReader::new(&w.buf), values.len()).unwrap();
        for (i, v) in values.iter().enumerate() {
            assert_eq!(c.get(i).map(f64::to_bits), Some(v.to_bits()), "row {i}");
        }
        let minutes: Vec<i64> = (0..10_000)
            .map(|i| 1_717_200_000_000_000 + (i % 1440) * 60_000_000)
            .collect();
        let mut w = ByteWriter::new();
        write_ints(&mut w, &minutes, &valid);
        assert!(w.len() < values.len() * 2, "{} bytes", w.len());
    }

    #[test]
    fn short_input_is_an_error() {
        let mut w = ByteWriter::new();
        write_floats(&mut w, &[1.5, 2.5], &[true, true]);
        let cut = &w.buf[..w.buf.len() - 3];
        assert!(FloatColumn::read(&mut ByteReader::new(cut), 2).is_err());
    }
}
