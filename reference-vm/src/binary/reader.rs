//! A byte stream with the binary format's primitive decoders (spec: Binary › Values).

use super::{DecodeError, Result};

/// The core decoder's reader (the component decoder reads its signed
/// integers through it too).
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Section sizes and name lengths are bounded by the input's length
    /// (before 2.0) rather than by the bytes left.
    pub input_bounded_lengths: bool,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader {
            bytes,
            pos: 0,
            input_bounded_lengths: false,
        }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.bytes.len());
    }

    pub fn byte(&mut self) -> Result<u8> {
        let b = self.peek().ok_or(DecodeError::UnexpectedEnd)?;
        self.pos += 1;
        Ok(b)
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::UnexpectedEnd)?;
        let s = self
            .bytes
            .get(self.pos..end)
            .ok_or(DecodeError::UnexpectedEnd)?;
        self.pos = end;
        Ok(s)
    }

    pub fn array16(&mut self) -> Result<[u8; 16]> {
        let mut a = [0u8; 16];
        a.copy_from_slice(self.bytes(16)?);
        Ok(a)
    }

    pub fn u32_fixed(&mut self) -> Result<u32> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.bytes(4)?);
        Ok(u32::from_le_bytes(a))
    }

    pub fn u64_fixed(&mut self) -> Result<u64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.bytes(8)?);
        Ok(u64::from_le_bytes(a))
    }

    /// binary: uN — unsigned LEB128 of at most `bits` bits.
    pub fn leb_u(&mut self, bits: u32) -> Result<u64> {
        let mut result = 0u64;
        let mut shift = 0u32;
        let mut n = bits as i32;
        loop {
            if n <= 0 {
                return Err(DecodeError::IntegerTooLong);
            }
            let b = self.byte()?;
            if n < 7 && u32::from(b & 0x7f) >= (1u32 << n) {
                return Err(DecodeError::IntegerTooLarge);
            }
            if shift < 64 {
                result |= u64::from(b & 0x7f) << shift;
            }
            if b & 0x80 == 0 {
                return Ok(result);
            }
            shift += 7;
            n -= 7;
        }
    }

    /// binary: sN — signed LEB128 of at most `bits` bits.
    pub fn leb_s(&mut self, bits: u32) -> Result<i64> {
        let mut result = 0i64;
        let mut shift = 0u32;
        let mut n = bits as i32;
        loop {
            if n <= 0 {
                return Err(DecodeError::IntegerTooLong);
            }
            let b = self.byte()?;
            if n < 7 {
                let mask = ((-1i32 << (n - 1)) & 0x7f) as u8;
                let m = b & mask;
                if m != 0 && m != mask {
                    return Err(DecodeError::IntegerTooLarge);
                }
            }
            if shift < 64 {
                result |= i64::from(b & 0x7f) << shift;
            }
            if b & 0x80 == 0 {
                if b & 0x40 != 0 && shift + 7 < 64 {
                    result |= -1i64 << (shift + 7);
                }
                return Ok(result);
            }
            shift += 7;
            n -= 7;
        }
    }

    pub fn u32(&mut self) -> Result<u32> {
        Ok(self.leb_u(32)? as u32)
    }

    pub fn u64(&mut self) -> Result<u64> {
        self.leb_u(64)
    }

    pub fn s32(&mut self) -> Result<i32> {
        Ok(self.leb_s(32)? as i32)
    }

    pub fn s33(&mut self) -> Result<i64> {
        self.leb_s(33)
    }

    pub fn s64(&mut self) -> Result<i64> {
        self.leb_s(64)
    }

    /// A vector length or byte count: must not exceed the whole input's length.
    pub fn len32(&mut self) -> Result<usize> {
        let n = self.u32()? as usize;
        if n > self.bytes.len() {
            return Err(DecodeError::LengthOutOfBounds);
        }
        Ok(n)
    }

    /// A section's size or a name's length: must not exceed the bytes left in the input.
    pub fn section_len(&mut self) -> Result<usize> {
        if self.input_bounded_lengths {
            return self.len32();
        }
        let n = self.u32()? as usize;
        if n > self.bytes.len() - self.pos.min(self.bytes.len()) {
            return Err(DecodeError::LengthOutOfBounds);
        }
        Ok(n)
    }

    /// binary: name — UTF-8.
    pub fn name(&mut self) -> Result<String> {
        // A name's length is bounded by the bytes left, like a section's size.
        let n = self.section_len()?;
        let b = self.bytes(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| DecodeError::MalformedUtf8)
    }
}
