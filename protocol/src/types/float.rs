//! `float8out`: PostgreSQL's text form of a double.
//!
//! With `extra_float_digits > 0` (the default, 1) PostgreSQL 12+ prints the
//! shortest decimal that round-trips (Ryū), in fixed notation when the decimal
//! exponent is in `[-4, 15)` and otherwise as `d.ddde+XX` (at least two
//! exponent digits). With `extra_float_digits <= 0` it prints `%.{15+efd}g`.
//! Special values: `NaN`, `Infinity`, `-Infinity`; negative zero is `-0`.
//!
//! Rust's `{:e}` yields the same shortest digits, so only the layout is ours.

/// The digits and decimal exponent of `{:e}` output: `"1.25e-3"` -> (`"125"`, -3).
fn split_exp(s: &str) -> (String, i32) {
    let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    (digits, exp.parse().unwrap_or(0))
}

fn layout(neg: bool, digits: &str, exp: i32, fixed: bool) -> String {
    let mut out = String::with_capacity(digits.len() + 8);
    if neg {
        out.push('-');
    }
    let n = digits.len() as i32;
    if fixed {
        if exp >= 0 {
            if n <= exp + 1 {
                out.push_str(digits);
                out.extend(std::iter::repeat_n('0', (exp + 1 - n) as usize));
            } else {
                let (int, frac) = digits.split_at((exp + 1) as usize);
                out.push_str(int);
                out.push('.');
                out.push_str(frac);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(digits);
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    }
    out
}

/// PostgreSQL's text output of a `double precision` (`float8out`): the
/// shortest decimal that round-trips, fixed notation for exponents in
/// `[-4, 15)`; with `extra_float_digits <= 0`, `%.{15+efd}g`.
pub fn float8_out(v: f64, extra_float_digits: i32) -> String {
    let a = v.abs();
    float_out(
        v,
        15,
        extra_float_digits,
        || format!("{a:e}"),
        |p| format!("{a:.p$e}"),
    )
}

/// PostgreSQL's text output of a `real` (`float4out`): as `float8_out`
/// with the shortest decimal that round-trips as an f32, fixed notation for
/// exponents in `[-4, 6)`; with `extra_float_digits <= 0`, `%.{6+efd}g`.
pub fn float4_out(v: f32, extra_float_digits: i32) -> String {
    let a = v.abs();
    float_out(
        f64::from(v),
        6,
        extra_float_digits,
        || format!("{a:e}"),
        |p| format!("{a:.p$e}"),
    )
}

/// Both outputs: `digits` is the type's precision (15 or 6); `shortest`
/// and `rounded(p)` give |v| in `e` notation, shortest round trip or with
/// `p` digits after the point (in the value's own width).
fn float_out(
    v: f64,
    digits: i32,
    extra_float_digits: i32,
    shortest: impl FnOnce() -> String,
    rounded: impl FnOnce(usize) -> String,
) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let neg = v.is_sign_negative();
    if v == 0.0 {
        return if neg { "-0" } else { "0" }.to_owned();
    }
    if extra_float_digits > 0 {
        let (mantissa, exp) = split_exp(&shortest());
        layout(neg, &mantissa, exp, (-4..digits).contains(&exp))
    } else {
        // %.{p}g: p significant digits, trailing zeros removed.
        let p = (digits + extra_float_digits).max(1);
        let (mantissa, exp) = split_exp(&rounded(usize::try_from(p - 1).unwrap_or(0)));
        let mantissa = mantissa.trim_end_matches('0');
        let mantissa = if mantissa.is_empty() { "0" } else { mantissa };
        layout(neg, mantissa, exp, exp >= -4 && exp < p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_round_trip_like_postgres() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (100.0, "100"),
            (1e20, "1e+20"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123_456_789_012_345_680_000.0, "1.2345678901234568e+20"),
            (1e15, "1e+15"),
            (123_456_789_012_345.6, "123456789012345.6"),
            (999_999_999_999_999.0, "999999999999999"),
            (1.0 / 3.0, "0.3333333333333333"),
            (21.35, "21.35"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (0.30000000000000004, "0.30000000000000004"),
        ];
        for (v, want) in cases {
            assert_eq!(float8_out(*v, 1), *want, "{v:e}");
        }
    }

    #[test]
    fn float4_like_postgres() {
        let cases: &[(f32, &str)] = &[
            (100_000.0, "100000"),
            (1e6, "1e+06"),
            (1_234_567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.1, "1.1"),
            (1.5e-5, "1.5e-05"),
            (123_456.7, "123456.7"),
            (-2.5, "-2.5"),
            (f32::NAN, "NaN"),
        ];
        for (v, want) in cases {
            assert_eq!(float4_out(*v, 1), *want, "{v:e}");
        }
        assert_eq!(float4_out(1.1, 0), "1.1");
        assert_eq!(float4_out(1.0 / 3.0, 0), "0.333333");
    }

    #[test]
    fn legacy_precision_like_printf_g() {
        assert_eq!(float8_out(0.1 + 0.2, 0), "0.3");
        assert_eq!(float8_out(1.0 / 3.0, 0), "0.333333333333333");
        assert_eq!(float8_out(1e20, 0), "1e+20");
        assert_eq!(float8_out(123_456.0, 0), "123456");
        assert_eq!(float8_out(1.0 / 3.0, -14), "0.3");
    }
}
