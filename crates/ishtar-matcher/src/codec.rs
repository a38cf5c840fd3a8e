//! Vector encodings for a Postgres `bytea` column.
//!
//! Store one row per (heart hash, model) with the encoding's name and the dimension next
//! to the bytes; [`decode`] checks the length against the dimension.
//! - [`Encoding::F32Le`]: IEEE-754 f32, little-endian, `4·d` bytes (1,536 at d = 384,
//!   under Postgres's ~2 kB TOAST threshold, so the row stays inline). Lossless.
//! - [`Encoding::Bf16Le`]: the top 16 bits of each f32 rounded to nearest-even,
//!   little-endian, `2·d` bytes. About 3 significant digits: a cosine moves by well under
//!   0.01 at d = 384, the same precision the HNSW index stores; use it when storage
//!   matters more than exact ties.

/// How a vector is laid out in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    F32Le,
    Bf16Le,
}

/// Why bytes are not a vector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("{got} bytes is not {dims} dims of {encoding}")]
    Length {
        encoding: &'static str,
        dims: usize,
        got: usize,
    },
    #[error("unknown vector encoding {0:?}")]
    Unknown(String),
}

impl Encoding {
    /// The name to store next to the bytes.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::F32Le => "f32le",
            Encoding::Bf16Le => "bf16le",
        }
    }

    /// Parses [`Encoding::as_str`].
    ///
    /// # Errors
    /// Any other name.
    pub fn parse(s: &str) -> Result<Self, CodecError> {
        match s {
            "f32le" => Ok(Encoding::F32Le),
            "bf16le" => Ok(Encoding::Bf16Le),
            other => Err(CodecError::Unknown(other.to_owned())),
        }
    }

    /// Bytes per component.
    #[must_use]
    pub fn width(self) -> usize {
        match self {
            Encoding::F32Le => 4,
            Encoding::Bf16Le => 2,
        }
    }
}

/// f32 → bf16 bits, round to nearest, ties to even; NaN stays NaN.
#[must_use]
pub fn to_bf16(x: f32) -> u16 {
    let bits = x.to_bits();
    if x.is_nan() {
        return ((bits >> 16) as u16) | 0x0040;
    }
    let round = 0x7FFF + ((bits >> 16) & 1);
    (bits.wrapping_add(round) >> 16) as u16
}

/// bf16 bits → f32 (exact).
#[must_use]
pub fn from_bf16(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

/// Encodes `v`.
#[must_use]
pub fn encode(encoding: Encoding, v: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * encoding.width());
    match encoding {
        Encoding::F32Le => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Encoding::Bf16Le => v
            .iter()
            .for_each(|&x| out.extend_from_slice(&to_bf16(x).to_le_bytes())),
    }
    out
}

/// Decodes `bytes` holding `dims` components.
///
/// # Errors
/// The length does not match `dims`.
pub fn decode(encoding: Encoding, bytes: &[u8], dims: usize) -> Result<Vec<f32>, CodecError> {
    if bytes.len() != dims * encoding.width() {
        return Err(CodecError::Length {
            encoding: encoding.as_str(),
            dims,
            got: bytes.len(),
        });
    }
    Ok(match encoding {
        Encoding::F32Le => bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        Encoding::Bf16Le => bytes
            .chunks_exact(2)
            .map(|c| from_bf16(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn f32_is_lossless_and_little_endian() {
        let v = [1.0f32, -0.5, 3.25e-8];
        let b = encode(Encoding::F32Le, &v);
        assert_eq!(&b[..4], &1.0f32.to_le_bytes());
        assert_eq!(decode(Encoding::F32Le, &b, 3).unwrap(), v);
        assert!(decode(Encoding::F32Le, &b, 2).is_err());
        assert_eq!(Encoding::parse("bf16le"), Ok(Encoding::Bf16Le));
        assert!(Encoding::parse("f16").is_err());
    }

    #[test]
    fn bf16_rounds_to_nearest_even() {
        assert_eq!(to_bf16(1.0), 0x3F80);
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1.0).
        assert_eq!(to_bf16(1.0 + 1.0 / 256.0), 0x3F80);
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6: rounds up.
        assert_eq!(to_bf16(1.0 + 3.0 / 256.0), 0x3F82);
        assert!(from_bf16(to_bf16(f32::NAN)).is_nan());
        assert_eq!(from_bf16(to_bf16(f32::INFINITY)), f32::INFINITY);
    }

    proptest! {
        #[test]
        fn bf16_is_within_half_an_ulp(x in -1.0e30f32..1.0e30) {
            let y = decode(Encoding::Bf16Le, &encode(Encoding::Bf16Le, &[x]), 1).unwrap()[0];
            prop_assert!((x - y).abs() <= x.abs() / 256.0);
        }
    }
}
