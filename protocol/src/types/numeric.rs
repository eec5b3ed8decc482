//! `numeric`: text parsing and PostgreSQL's binary wire format.
//!
//! Binary layout (all big-endian):
//! ```text
//! i16 ndigits | i16 weight | u16 sign | i16 dscale | ndigits x i16 digit
//! ```
//! Digits are base 10000, the first one multiplied by `10000^weight`; sign is
//! `0x0000` positive, `0x4000` negative, `0xC000` NaN; `dscale` is the number
//! of decimal digits after the point. Leading and trailing zero digits are
//! not sent; zero is `ndigits = 0, weight = 0`.

use bytes::{BufMut, BytesMut};
use isotherm_indexer::Numeric;

const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;

/// Base-10000 digits of |n| (no leading or trailing zero digits) and the
/// weight of the first; zero is `([], 0)`.
pub fn to_nbase(n: Numeric) -> (Vec<i16>, i16) {
    let scale = usize::from(n.scale);
    let digits = n.unscaled.unsigned_abs().to_string();
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    // Integer part grouped from the point leftwards, fraction rightwards.
    let int_pad = (4 - int.len() % 4) % 4;
    let int_str = format!("{}{int}", "0".repeat(int_pad));
    let frac_pad = (4 - frac.len() % 4) % 4;
    let frac_str = format!("{frac}{}", "0".repeat(frac_pad));
    let group = |s: &str| -> Vec<i16> {
        s.as_bytes()
            .chunks(4)
            .map(|c| c.iter().fold(0i16, |acc, b| acc * 10 + i16::from(b - b'0')))
            .collect()
    };
    let mut groups = group(&int_str);
    let mut weight = groups.len() as i16 - 1;
    groups.extend(group(&frac_str));
    let leading = groups.iter().take_while(|&&g| g == 0).count();
    groups.drain(..leading);
    weight -= leading as i16;
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    (groups, weight)
}

/// Weight and value of the first base-10000 digit (what PostgreSQL's
/// division uses to choose a result scale).
pub fn nbase_head(n: Numeric) -> (i32, i32) {
    let (digits, weight) = to_nbase(n);
    match digits.first() {
        Some(d) => (i32::from(weight), i32::from(*d)),
        None => (0, 0),
    }
}

/// Appends the binary form of `n`.
pub fn encode_binary(n: Numeric, buf: &mut BytesMut) {
    let (groups, weight) = to_nbase(n);
    buf.put_i16(groups.len() as i16);
    buf.put_i16(weight);
    buf.put_u16(if n.unscaled < 0 && !groups.is_empty() {
        NUMERIC_NEG
    } else {
        NUMERIC_POS
    });
    buf.put_i16(i16::from(n.scale));
    for g in groups {
        buf.put_i16(g);
    }
}

/// Reads the binary form; `None` if malformed, NaN, or too large for i128.
pub fn decode_binary(b: &[u8]) -> Option<Numeric> {
    let rd = |i: usize| -> Option<i16> { Some(i16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?])) };
    let ndigits = usize::try_from(rd(0)?).ok()?;
    let weight = i32::from(rd(2)?);
    let sign = rd(4)? as u16;
    let dscale = u8::try_from(rd(6)?).ok()?;
    if sign != NUMERIC_POS && sign != NUMERIC_NEG {
        return None;
    }
    if b.len() != 8 + 2 * ndigits {
        return None;
    }
    // value = sum d_i * 10^(4*(weight-i)); unscaled = value * 10^dscale.
    let mut unscaled: i128 = 0;
    for i in 0..ndigits {
        let d = i128::from(rd(8 + 2 * i)?);
        let exp = 4 * (weight - i as i32) + i32::from(dscale);
        if exp >= 0 {
            let p = 10i128.checked_pow(u32::try_from(exp).ok()?)?;
            unscaled = unscaled.checked_add(d.checked_mul(p)?)?;
        } else if exp > -4 {
            unscaled += d / 10i128.pow(exp.unsigned_abs());
        }
    }
    if sign == NUMERIC_NEG {
        unscaled = -unscaled;
    }
    Some(Numeric {
        unscaled,
        scale: dscale,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn enc(unscaled: i128, scale: u8) -> Vec<u8> {
        let mut b = BytesMut::new();
        encode_binary(Numeric { unscaled, scale }, &mut b);
        b.to_vec()
    }

    #[test]
    fn binary_matches_postgres() {
        // 0 with scale 2: ndigits 0, weight 0, sign 0, dscale 2
        assert_eq!(enc(0, 2), vec![0, 0, 0, 0, 0, 0, 0, 2]);
        // 12345.678 -> digits [1, 2345, 6780], weight 1, dscale 3
        assert_eq!(
            enc(12_345_678, 3),
            vec![0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1A, 0x7C]
        );
        // -0.05 -> digits [500], weight -1, negative, dscale 2
        assert_eq!(
            enc(-5, 2),
            vec![0, 1, 0xFF, 0xFF, 0x40, 0, 0, 2, 0x01, 0xF4]
        );
        // 20000 -> digits [2], weight 1
        assert_eq!(enc(20_000, 0), vec![0, 1, 0, 1, 0, 0, 0, 0, 0, 2]);
    }

    #[test]
    fn binary_round_trip() {
        for (u, s) in [
            (0, 0),
            (1, 0),
            (-12_345_678, 3),
            (1_717_200_000_000_000, 6),
            (5, 10),
        ] {
            let n = Numeric {
                unscaled: u,
                scale: s,
            };
            assert_eq!(decode_binary(&enc(u, s)), Some(n));
        }
    }
}
