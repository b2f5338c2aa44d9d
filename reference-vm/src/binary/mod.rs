//! Binary format (spec chapter 5): decoding of modules.
//!
//! The decoder follows the reference interpreter's stream discipline: sections
//! and function bodies are read from one stream and their declared sizes are
//! checked afterwards (`section size mismatch`), so that error messages agree
//! with the official test suite.

pub mod custom;
mod reader;

use std::fmt;

use crate::Features;
use crate::syntax::*;
pub(crate) use reader::Reader;

/// A malformed module. `Display` is the reference interpreter's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Input ended early.
    UnexpectedEnd,
    /// `magic header not detected`
    MagicHeader,
    /// `unknown binary version`
    UnknownVersion,
    /// `malformed section id`
    MalformedSectionId,
    /// `section size mismatch`
    SectionSizeMismatch,
    /// `unexpected content after last section`
    UnexpectedContent,
    /// `integer representation too long`
    IntegerTooLong,
    /// `integer too large`
    IntegerTooLarge,
    /// `length out of bounds`
    LengthOutOfBounds,
    /// `malformed UTF-8 encoding`
    MalformedUtf8,
    /// `too many locals`
    TooManyLocals,
    /// `malformed number type`
    MalformedNumType,
    /// `malformed reference type`
    MalformedRefType,
    /// `malformed heap type`
    MalformedHeapType,
    /// `malformed function type`
    MalformedFuncType,
    /// `malformed block type`
    MalformedBlockType,
    /// `malformed mutability`
    MalformedMutability,
    /// `malformed import kind`
    MalformedImportKind,
    /// `malformed export kind`
    MalformedExportKind,
    /// `malformed elements segment kind`
    MalformedElemSegmentKind,
    /// `malformed element kind`
    MalformedElemKind,
    /// `malformed data segment kind`
    MalformedDataSegmentKind,
    /// `malformed memop flags`
    MalformedMemopFlags,
    /// `malformed limits flags`
    MalformedLimitsFlags,
    /// `illegal opcode XX` (prefix, code)
    IllegalOpcode(u8, Option<u32>),
    /// `zero byte expected`
    ZeroByteExpected,
    /// `END opcode expected`
    EndExpected,
    /// `function and code section have inconsistent lengths`
    FuncCodeMismatch,
    /// `data count and data section have inconsistent lengths`
    DataCountMismatch,
    /// `data count section required`
    DataCountRequired,
    /// `malformed lane index` (shuffle immediates are bytes; validated later)
    MalformedLaneIndex,
    /// `invalid custom page size` (a page size that does not fit in 64 bits)
    InvalidCustomPageSize,
    /// `malformed definition type`
    MalformedDefType,

    /// `malformed storage type`
    MalformedStorageType,
    /// `malformed tag attribute`
    MalformedTagAttribute,
    /// `malformed catch clause`
    MalformedCatch,
    /// `malformed table type` (table with initialiser)
    MalformedTable,
    /// `invalid UTF-8 encoding` (1.0 wording of [`DecodeError::MalformedUtf8`])
    InvalidUtf8,
    /// `invalid mutability` (1.0 wording of [`DecodeError::MalformedMutability`])
    InvalidMutability,
    /// `invalid section id` (1.0 wording of [`DecodeError::MalformedSectionId`])
    InvalidSectionId,
    /// `invalid value type` (1.0 wording of a malformed value or block type)
    InvalidValueType,
    /// `zero flag expected` (pre-2.0 wording of [`DecodeError::ZeroByteExpected`])
    ZeroFlagExpected,
    /// `junk after last section` (pre-2.0 wording of [`DecodeError::UnexpectedContent`])
    JunkAfterLastSection,
    /// Something the enabled feature set does not allow: the message names the feature.
    FeatureDisabled {
        /// The reference interpreter's message for the construct.
        what: String,
        /// The proposal that would allow it.
        feature: &'static str,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DecodeError::*;
        let s = match self {
            UnexpectedEnd => "unexpected end of section or function",
            MagicHeader => "magic header not detected",
            UnknownVersion => "unknown binary version",
            MalformedSectionId => "malformed section id",
            SectionSizeMismatch => "section size mismatch",
            UnexpectedContent => "unexpected content after last section",
            IntegerTooLong => "integer representation too long",
            IntegerTooLarge => "integer too large",
            LengthOutOfBounds => "length out of bounds",
            MalformedUtf8 => "malformed UTF-8 encoding",
            TooManyLocals => "too many locals",
            MalformedNumType => "malformed number type",
            MalformedRefType => "malformed reference type",
            MalformedHeapType => "malformed heap type",
            MalformedFuncType => "malformed function type",
            MalformedBlockType => "malformed block type",
            MalformedMutability => "malformed mutability",
            MalformedImportKind => "malformed import kind",
            MalformedExportKind => "malformed export kind",
            MalformedElemSegmentKind => "malformed elements segment kind",
            MalformedElemKind => "malformed element kind",
            MalformedDataSegmentKind => "malformed data segment kind",
            MalformedMemopFlags => "malformed memop flags",
            MalformedLimitsFlags => "malformed limits flags",
            IllegalOpcode(p, None) => return write!(f, "illegal opcode {p:02x}"),
            IllegalOpcode(p, Some(c)) => return write!(f, "illegal opcode {p:02x} {c:02x}"),
            ZeroByteExpected => "zero byte expected",
            EndExpected => "END opcode expected",
            FuncCodeMismatch => "function and code section have inconsistent lengths",
            DataCountMismatch => "data count and data section have inconsistent lengths",
            DataCountRequired => "data count section required",
            MalformedLaneIndex => "malformed lane index",
            InvalidCustomPageSize => "invalid custom page size",
            MalformedDefType => "malformed definition type",

            MalformedStorageType => "malformed storage type",
            MalformedTagAttribute => "malformed tag attribute",
            MalformedCatch => "malformed catch clause",
            MalformedTable => "malformed table",
            InvalidUtf8 => "invalid UTF-8 encoding",
            InvalidMutability => "invalid mutability",
            InvalidSectionId => "invalid section id",
            InvalidValueType => "invalid value type",
            ZeroFlagExpected => "zero flag expected",
            JunkAfterLastSection => "junk after last section",
            FeatureDisabled { what, feature } => {
                return write!(f, "{what} (feature {feature} is not enabled)");
            }
        };
        f.write_str(s)
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    /// The error in the words of the release the feature set follows: the
    /// one table of the decoder's wording changes. 1.0 (binary format of the
    /// 2019 Recommendation) said "invalid" where 2.0 says "malformed"; the
    /// interpreters before 2.0 said "zero flag expected" and "junk after
    /// last section".
    fn reworded(self, f: &Features) -> DecodeError {
        use DecodeError::*;
        let v1 = f.legacy_v1_messages();
        let pre_v2 = f.pre_v2_rules();
        match self {
            MalformedUtf8 if v1 => InvalidUtf8,
            MalformedMutability if v1 => InvalidMutability,
            MalformedSectionId if v1 => InvalidSectionId,
            MalformedNumType | MalformedBlockType if v1 => InvalidValueType,
            // 1.0: a block type is 0x40 or a value type; anything else
            // (a type index, with multi-value off) is an invalid value type.
            FeatureDisabled { what, feature }
                if v1
                    && (what == MalformedBlockType.to_string()
                        || what.starts_with(&MalformedNumType.to_string())) =>
            {
                FeatureDisabled {
                    what: InvalidValueType.to_string(),
                    feature,
                }
            }
            ZeroByteExpected if pre_v2 => ZeroFlagExpected,
            UnexpectedContent if pre_v2 => JunkAfterLastSection,
            e => e,
        }
    }
}

type Result<T> = std::result::Result<T, DecodeError>;

/// Decodes a module from its binary representation.
pub fn decode_module(bytes: &[u8], features: &Features) -> Result<Module> {
    let mut r = Reader::new(bytes);
    // binary (before 2.0): section sizes and name lengths were bounded by
    // the module's length, not by the bytes left ("unexpected end" then).
    r.input_bounded_lengths = features.pre_v2_rules();
    Decoder {
        r,
        f: *features,
        uses_data_index: false,
        offsets: None,
        offsets_base: 0,
        open: Vec::new(),
    }
    .module()
    .map_err(|e| e.reworded(features))
}

/// Core items the component binary format embeds (Binary.md: `core:rectype`,
/// `core:import`, `core:externtype`, `core:valtype`): which one to decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoreItem {
    /// A `rectype`: a `rec` group or one `subtype` (with GC, `0x50` or `0x4f`).
    RecType,
    /// An `import`.
    Import,
    /// An `externtype` (the part of an import after its names).
    ExternType,
    /// A `valtype`.
    ValType,
}

/// A core item decoded by [`decode_core_item`].
#[derive(Clone, Debug, PartialEq)]
pub enum CoreItemValue {
    /// The sub types of a rec group (one for a lone `subtype`).
    RecType(Vec<SubType>),
    /// An import.
    Import(Import),
    /// An extern type (function types by index).
    ExternType(ImportDesc),
    /// A value type.
    ValType(ValType),
}

/// Decodes one core item at the start of `bytes` under `features`; returns it
/// with the number of bytes read (the component binary format embeds these).
pub fn decode_core_item(
    bytes: &[u8],
    item: CoreItem,
    features: &Features,
) -> Result<(CoreItemValue, usize)> {
    let mut d = Decoder {
        r: Reader::new(bytes),
        f: *features,
        uses_data_index: false,
        offsets: None,
        offsets_base: 0,
        open: Vec::new(),
    };
    let v = match item {
        CoreItem::RecType => {
            CoreItemValue::RecType(d.rec_type().map_err(|e| e.reworded(features))?)
        }
        CoreItem::Import => CoreItemValue::Import(d.import().map_err(|e| e.reworded(features))?),
        CoreItem::ExternType => {
            CoreItemValue::ExternType(d.import_desc().map_err(|e| e.reworded(features))?)
        }
        CoreItem::ValType => {
            CoreItemValue::ValType(d.val_type().map_err(|e| e.reworded(features))?)
        }
    };
    Ok((v, d.r.pos()))
}

struct Decoder<'a> {
    r: Reader<'a>,
    f: Features,
    uses_data_index: bool,
    /// While decoding a function body: each instruction's start position,
    /// relative to [`Decoder::offsets_base`].
    offsets: Option<Vec<u32>>,
    /// The function's start (its locals), where code metadata such as
    /// branch hints count instruction offsets from.
    offsets_base: u32,
    /// Scratch stack of [`Decoder::expr`], kept between expressions.
    open: Vec<u8>,
}

// Section ids in their required order.
const ORDER: [u8; 13] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

impl Decoder<'_> {
    /// binary: module
    fn module(mut self) -> Result<Module> {
        let magic = self.r.u32_fixed()?;
        if magic != 0x6d73_6100 {
            return Err(DecodeError::MagicHeader);
        }
        let version = self.r.u32_fixed()?;
        if version != 1 {
            return Err(DecodeError::UnknownVersion);
        }
        let mut m = Module::default();
        let mut func_types: Vec<u32> = Vec::new();
        let mut code_count: Option<usize> = None;
        let mut order_pos = 0;
        while let Some(id) = self.r.peek() {
            // The data count section (12) came with bulk memory, tags (13) with exceptions.
            if id > 13 || (id == 13 && !self.f.exceptions) || (id == 12 && !self.f.bulk_memory) {
                return Err(DecodeError::MalformedSectionId);
            }
            if id == 0 {
                self.r.byte()?;
                self.custom_section(&mut m)?;
                continue;
            }
            // Sections must come in order, each at most once; anything else ends the module.
            let Some(idx) = ORDER[order_pos..].iter().position(|&s| s == id) else {
                break;
            };
            order_pos += idx + 1;
            self.r.byte()?;
            let size = self.r.section_len()?;
            let start = self.r.pos();
            match id {
                1 => self.type_section(&mut m)?,
                13 => m.tags = self.vec(|d| d.tag_type())?,
                2 => m.imports = self.vec(|d| d.import())?,
                3 => func_types = self.vec(|d| d.r.u32())?,
                4 => m.tables = self.vec(|d| d.table())?,
                5 => m.mems = self.vec(|d| d.mem_type())?,
                6 => m.globals = self.vec(|d| d.global())?,
                7 => m.exports = self.vec(|d| d.export())?,
                8 => m.start = Some(self.r.u32()?),
                9 => m.elems = self.vec(|d| d.elem())?,
                12 => m.data_count = Some(self.r.u32()?),
                10 => {
                    let n = self.r.len32()?;
                    let mut funcs = Vec::with_capacity(n.min(4096));
                    for i in 0..n {
                        let ty = func_types.get(i).copied().unwrap_or(0);
                        funcs.push(self.code(ty)?);
                    }
                    m.funcs = funcs;
                    code_count = Some(n);
                }
                11 => m.datas = self.vec(|d| d.data())?,
                _ => return Err(DecodeError::MalformedSectionId),
            }
            if self.r.pos() != start + size {
                return Err(DecodeError::SectionSizeMismatch);
            }
        }
        if !self.r.at_end() {
            return Err(DecodeError::UnexpectedContent);
        }
        if code_count.unwrap_or(0) != func_types.len() {
            return Err(DecodeError::FuncCodeMismatch);
        }
        if let Some(n) = m.data_count
            && n as usize != m.datas.len()
        {
            return Err(DecodeError::DataCountMismatch);
        }
        if m.data_count.is_none() && self.uses_data_index {
            return Err(DecodeError::DataCountRequired);
        }
        Ok(m)
    }

    fn vec<T>(&mut self, mut f: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        let n = self.r.len32()?;
        let mut v = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            v.push(f(self)?);
        }
        Ok(v)
    }

    fn disabled<T>(&self, what: impl Into<String>, feature: &'static str) -> Result<T> {
        Err(DecodeError::FeatureDisabled {
            what: what.into(),
            feature,
        })
    }

    /// binary: customsec
    fn custom_section(&mut self, m: &mut Module) -> Result<()> {
        let size = self.r.section_len()?;
        let start = self.r.pos();
        let name = self.r.name()?;
        let used = self.r.pos() - start;
        let rest = size.checked_sub(used).ok_or(DecodeError::UnexpectedEnd)?;
        let data = self.r.bytes(rest)?.to_vec();
        m.customs.push(Custom { name, data });
        Ok(())
    }

    /// binary: valtype
    fn val_type(&mut self) -> Result<ValType> {
        let b = self.r.peek().ok_or(DecodeError::UnexpectedEnd)?;
        match b {
            0x7f => Ok(self.skip(ValType::I32)),
            0x7e => Ok(self.skip(ValType::I64)),
            0x7d => Ok(self.skip(ValType::F32)),
            0x7c => Ok(self.skip(ValType::F64)),
            0x7b => {
                if !self.f.simd {
                    return self.disabled("malformed number type v128", "simd");
                }
                Ok(self.skip(ValType::V128))
            }
            b if b > 0x74 => Err(DecodeError::MalformedNumType),
            _ => {
                let rt = self.ref_type()?;
                if !self.f.reference_types {
                    return self
                        .disabled("malformed number type (reference type)", "reference_types");
                }
                Ok(ValType::Ref(rt))
            }
        }
    }

    fn skip<T>(&mut self, t: T) -> T {
        self.r.advance(1);
        t
    }

    /// binary: reftype (`0x63 ht`, `0x64 ht`, or an abstract shorthand)
    fn ref_type(&mut self) -> Result<RefType> {
        let b = self.r.peek().ok_or(DecodeError::UnexpectedEnd)?;
        match b {
            0x63 | 0x64 => {
                if !self.f.function_references {
                    return self.disabled("malformed reference type", "function_references");
                }
                self.r.advance(1);
                let heap = self.heap_type()?;
                Ok(RefType::new(b == 0x63, heap))
            }
            _ => {
                let x = self.r.s33()?;
                match self.abstract_heap(x) {
                    Some(h) => Ok(RefType::new(true, h)),
                    None if x >= 0 || self.f.gc => Err(DecodeError::MalformedRefType),
                    None => Err(DecodeError::MalformedRefType),
                }
            }
        }
    }

    /// binary: absheaptype — `None` if not an (enabled) abstract heap type.
    fn abstract_heap(&self, x: i64) -> Option<HeapType> {
        let h = match x {
            -0x10 => HeapType::Func,
            -0x11 => HeapType::Extern,
            -0x12 => HeapType::Any,
            -0x13 => HeapType::Eq,
            -0x14 => HeapType::I31,
            -0x15 => HeapType::Struct,
            -0x16 => HeapType::Array,
            -0x0f => HeapType::None,
            -0x0e => HeapType::NoExtern,
            -0x0d => HeapType::NoFunc,
            -0x17 => HeapType::Exn,
            -0x0c => HeapType::NoExn,
            _ => return None,
        };
        let ok = match h {
            HeapType::Func | HeapType::Extern => true,
            HeapType::Exn => self.f.exceptions,
            HeapType::NoExn => self.f.exceptions && self.f.gc,
            _ => self.f.gc,
        };
        ok.then_some(h)
    }

    /// binary: heaptype
    fn heap_type(&mut self) -> Result<HeapType> {
        // custom-descriptors: binary format — `0x62 x` is the exact heap type
        // `(exact x)`; the index is an s33 that must be non-negative.
        if self.f.custom_descriptors && self.r.peek() == Some(0x62) {
            self.r.advance(1);
            let x = self.r.s33()?;
            if x < 0 {
                return Err(DecodeError::MalformedHeapType);
            }
            return Ok(HeapType::Exact(x as u32));
        }
        let x = self.r.s33()?;
        if x >= 0 {
            if !self.f.function_references {
                return Err(DecodeError::MalformedHeapType);
            }
            return Ok(HeapType::Concrete(x as u32));
        }
        self.abstract_heap(x).ok_or(DecodeError::MalformedHeapType)
    }

    /// binary: rectype — a `rec` group (GC) or one sub type.
    fn rec_type(&mut self) -> Result<Vec<SubType>> {
        if self.r.peek() == Some(0x4e) && self.f.gc {
            self.r.advance(1);
            return self.vec(|d| d.sub_type());
        }
        Ok(vec![self.sub_type()?])
    }

    /// binary: typesec — recursive groups of sub types.
    fn type_section(&mut self, m: &mut Module) -> Result<()> {
        let n = self.r.len32()?;
        for _ in 0..n {
            let start = m.type_defs.len() as u32;
            if self.r.peek() == Some(0x4e) && self.f.gc {
                self.r.advance(1);
                let k = self.r.len32()?;
                for _ in 0..k {
                    let st = self.sub_type()?;
                    m.types.push(match &st.comp {
                        CompType::Func(ft) => ft.clone(),
                        _ => FuncType::default(),
                    });
                    m.type_defs.push(st);
                }
            } else {
                let st = self.sub_type()?;
                m.types.push(match &st.comp {
                    CompType::Func(ft) => ft.clone(),
                    _ => FuncType::default(),
                });
                m.type_defs.push(st);
            }
            let len = m.type_defs.len() as u32 - start;
            m.rec_groups.push((start, len));
        }
        Ok(())
    }

    /// binary: subtype
    fn sub_type(&mut self) -> Result<SubType> {
        let (is_final, supers) = match self.r.peek() {
            Some(b @ (0x50 | 0x4f)) if self.f.gc => {
                self.r.advance(1);
                (b == 0x4f, self.vec(|d| d.r.u32())?)
            }
            _ => (true, Vec::new()),
        };
        // custom-descriptors: binary format — `0x4C x` (describes) then
        // `0x4D y` (descriptor), each at most once, before the composite type.
        let (mut describes, mut descriptor) = (None, None);
        if self.f.custom_descriptors {
            if self.r.peek() == Some(0x4c) {
                self.r.advance(1);
                describes = Some(self.r.u32()?);
            }
            if self.r.peek() == Some(0x4d) {
                self.r.advance(1);
                descriptor = Some(self.r.u32()?);
            }
        }
        Ok(SubType {
            is_final,
            supers,
            describes,
            descriptor,
            comp: self.comp_type()?,
        })
    }

    /// binary: comptype
    fn comp_type(&mut self) -> Result<CompType> {
        match self.r.peek() {
            Some(0x60) => Ok(CompType::Func(self.func_type()?)),
            Some(0x5f) if self.f.gc => {
                self.r.advance(1);
                Ok(CompType::Struct(self.vec(|d| d.field_type())?))
            }
            Some(0x5e) if self.f.gc => {
                self.r.advance(1);
                Ok(CompType::Array(self.field_type()?))
            }
            // The form is a signed 7-bit LEB128 (`integer representation too long`).
            _ => {
                self.r.leb_s(7)?;
                Err(if self.f.gc {
                    DecodeError::MalformedDefType
                } else {
                    DecodeError::MalformedFuncType
                })
            }
        }
    }

    /// binary: fieldtype
    fn field_type(&mut self) -> Result<FieldType> {
        let storage = match self.r.peek() {
            Some(0x78) => self.skip(StorageType::I8),
            Some(0x77) => self.skip(StorageType::I16),
            // binary: storagetype — when neither a value type nor a packed
            // type, the reference interpreter reports the storage type.
            _ if self.f.custom_descriptors => match self.val_type() {
                Ok(t) => StorageType::Val(t),
                Err(
                    DecodeError::MalformedRefType
                    | DecodeError::MalformedHeapType
                    | DecodeError::MalformedNumType,
                ) => return Err(DecodeError::MalformedStorageType),
                Err(e) => return Err(e),
            },
            _ => StorageType::Val(self.val_type()?),
        };
        let mutable = match self.r.byte()? {
            0 => false,
            1 => true,
            _ => return Err(DecodeError::MalformedMutability),
        };
        Ok(FieldType { storage, mutable })
    }

    /// binary: tagtype
    fn tag_type(&mut self) -> Result<TagType> {
        if self.r.byte()? != 0 {
            return Err(DecodeError::MalformedTagAttribute);
        }
        Ok(TagType { ty: self.r.u32()? })
    }

    /// binary: functype
    fn func_type(&mut self) -> Result<FuncType> {
        // binary: functype — the form is a signed 7-bit LEB128 (-0x20).
        if self.r.leb_s(7)? != -0x20 {
            return Err(DecodeError::MalformedFuncType);
        }
        let params = self.vec(|d| d.val_type())?;
        let results = self.vec(|d| d.val_type())?;
        if results.len() > 1 && !self.f.multi_value {
            return self.disabled("invalid result arity", "multi_value");
        }
        Ok(FuncType { params, results })
    }

    /// binary: limits — flags bit 0: maximum present, bit 1: shared (threads),
    /// bit 2: 64-bit addresses (memory64), bit 3: custom page size follows.
    /// Returns the limits, shared, idx64 and the page size's log2.
    fn limits(&mut self, memory: bool) -> Result<(Limits, bool, bool, u32)> {
        let legacy = self.f.legacy_v2_messages();
        let flags = if legacy {
            self.r.leb_u(1)? as u8
        } else {
            self.r.byte()?
        };
        let mut allowed = 1u8;
        if memory && self.f.threads {
            allowed |= 2;
        }
        if self.f.memory64 {
            allowed |= 4;
        }
        if memory && self.f.custom_page_sizes {
            allowed |= 8;
        }
        if flags & !allowed != 0 {
            return Err(DecodeError::MalformedLimitsFlags);
        }
        let (has_max, shared, idx64) = (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0);
        // spec: 3.0 limits are u64 in the binary format; validation bounds them.
        let rd = |d: &mut Self| {
            if legacy {
                d.r.u32().map(u64::from)
            } else {
                d.r.u64()
            }
        };
        let min = rd(self)?;
        let max = if has_max { Some(rd(self)?) } else { None };
        let page_size_log2 = if flags & 8 != 0 {
            // binary: custom-page-sizes — a page size of 2^p with p < 64.
            let p = self.r.u32()?;
            if p >= 64 {
                return Err(DecodeError::InvalidCustomPageSize);
            }
            p
        } else {
            16
        };
        Ok((Limits { min, max }, shared, idx64, page_size_log2))
    }

    /// binary: tabletype
    fn table_type(&mut self) -> Result<TableType> {
        let elem = self.ref_type()?;
        let (limits, _, idx64, _) = self.limits(false)?;
        Ok(TableType {
            elem,
            limits,
            idx64,
        })
    }

    /// binary: memtype
    fn mem_type(&mut self) -> Result<MemType> {
        let (limits, shared, idx64, page_size_log2) = self.limits(true)?;
        Ok(MemType {
            limits,
            idx64,
            shared,
            page_size_log2,
        })
    }

    /// binary: globaltype
    fn global_type(&mut self) -> Result<GlobalType> {
        let ty = self.val_type()?;
        let mutable = match self.r.byte()? {
            0 => false,
            1 => true,
            _ => return Err(DecodeError::MalformedMutability),
        };
        Ok(GlobalType { mutable, ty })
    }

    /// binary: import
    fn import(&mut self) -> Result<Import> {
        let module = self.r.name()?;
        let name = self.r.name()?;
        let desc = self.import_desc()?;
        Ok(Import { module, name, desc })
    }

    /// binary: externtype (an import's description)
    fn import_desc(&mut self) -> Result<ImportDesc> {
        Ok(match self.r.byte()? {
            0 => ImportDesc::Func(self.r.u32()?),
            1 => ImportDesc::Table(self.table_type()?),
            2 => ImportDesc::Mem(self.mem_type()?),
            3 => ImportDesc::Global(self.global_type()?),
            4 if self.f.exceptions => ImportDesc::Tag(self.tag_type()?),
            // custom-descriptors: binary format — exact function imports.
            0x20 if self.f.custom_descriptors => ImportDesc::FuncExact(self.r.u32()?),
            _ => return Err(DecodeError::MalformedImportKind),
        })
    }

    /// binary: table (3.0: `0x40 0x00 tabletype expr`)
    fn table(&mut self) -> Result<Table> {
        if self.r.peek() == Some(0x40) && self.f.function_references {
            self.r.advance(1);
            if self.r.byte()? != 0 {
                return Err(DecodeError::MalformedTable);
            }
            let ty = self.table_type()?;
            let init = self.expr()?;
            return Ok(Table {
                ty,
                init: Some(init),
            });
        }
        Ok(Table {
            ty: self.table_type()?,
            init: None,
        })
    }

    fn global(&mut self) -> Result<Global> {
        let ty = self.global_type()?;
        let init = self.expr()?;
        Ok(Global { ty, init })
    }

    /// binary: export
    fn export(&mut self) -> Result<Export> {
        let name = self.r.name()?;
        let kind = self.r.byte()?;
        let idx = self.r.u32()?;
        let desc = match kind {
            0 => ExportDesc::Func(idx),
            1 => ExportDesc::Table(idx),
            2 => ExportDesc::Mem(idx),
            3 => ExportDesc::Global(idx),
            4 if self.f.exceptions => ExportDesc::Tag(idx),
            _ => return Err(DecodeError::MalformedExportKind),
        };
        Ok(Export { name, desc })
    }

    /// binary: elemkind — function indices are non-null with typed references.
    fn elem_kind(&mut self) -> Result<RefType> {
        match self.r.byte()? {
            0 => Ok(self.func_index_elem_type()),
            _ => Err(DecodeError::MalformedElemKind),
        }
    }

    fn func_index_elem_type(&self) -> RefType {
        if self.f.function_references {
            RefType::new(false, HeapType::Func)
        } else {
            RefType::FUNCREF
        }
    }

    fn func_indices(&mut self) -> Result<Vec<Expr>> {
        self.vec(|d| {
            let x = d.r.u32()?;
            Ok(vec![
                Instr {
                    op: Opcode::RefFunc,
                    imm: Imm::Idx(x),
                },
                Instr {
                    op: Opcode::End,
                    imm: Imm::None,
                },
            ])
        })
    }

    /// binary: elem (the eight segment encodings)
    fn elem(&mut self) -> Result<Elem> {
        let flags = self.r.u32()?;
        // binary 1.0: `elem ::= x:tableidx e:expr y*:vec(funcidx)`. The 2.0
        // flags extend it (flags 0 is table 0); of the 2.0 forms, 1.0 text
        // tools emit flags 2 (explicit table, funcref), so it is read as in 2.0.
        if !self.f.bulk_memory && !self.f.reference_types && flags != 2 {
            let offset = self.expr()?;
            return Ok(Elem {
                ty: self.func_index_elem_type(),
                init: self.func_indices()?,
                mode: ElemMode::Active {
                    table: flags,
                    offset,
                },
            });
        }
        let (ty, init, mode) = match flags {
            0 => {
                let offset = self.expr()?;
                (
                    self.func_index_elem_type(),
                    self.func_indices()?,
                    ElemMode::Active { table: 0, offset },
                )
            }
            1 => {
                let ty = self.elem_kind()?;
                (ty, self.func_indices()?, ElemMode::Passive)
            }
            2 => {
                let table = self.r.u32()?;
                let offset = self.expr()?;
                let ty = self.elem_kind()?;
                (ty, self.func_indices()?, ElemMode::Active { table, offset })
            }
            3 => {
                let ty = self.elem_kind()?;
                (ty, self.func_indices()?, ElemMode::Declarative)
            }
            4 => {
                let offset = self.expr()?;
                (
                    RefType::FUNCREF,
                    self.vec(|d| d.expr())?,
                    ElemMode::Active { table: 0, offset },
                )
            }
            5 => {
                let ty = self.ref_type()?;
                (ty, self.vec(|d| d.expr())?, ElemMode::Passive)
            }
            6 => {
                let table = self.r.u32()?;
                let offset = self.expr()?;
                let ty = self.ref_type()?;
                (
                    ty,
                    self.vec(|d| d.expr())?,
                    ElemMode::Active { table, offset },
                )
            }
            7 => {
                let ty = self.ref_type()?;
                (ty, self.vec(|d| d.expr())?, ElemMode::Declarative)
            }
            _ => return Err(DecodeError::MalformedElemSegmentKind),
        };
        Ok(Elem { ty, init, mode })
    }

    /// binary: data
    fn data(&mut self) -> Result<Data> {
        let flags = self.r.u32()?;
        let mode = match flags {
            // binary 1.0: `data ::= x:memidx e:expr b*:vec(byte)`.
            x if !self.f.bulk_memory && !self.f.multi_memory => DataMode::Active {
                mem: x,
                offset: self.expr()?,
            },
            0 => DataMode::Active {
                mem: 0,
                offset: self.expr()?,
            },
            1 if self.f.bulk_memory => DataMode::Passive,
            2 if self.f.bulk_memory || self.f.multi_memory => {
                let mem = self.r.u32()?;
                DataMode::Active {
                    mem,
                    offset: self.expr()?,
                }
            }
            _ => return Err(DecodeError::MalformedDataSegmentKind),
        };
        let n = self.r.len32()?;
        let init = self.r.bytes(n)?.to_vec();
        Ok(Data { init, mode })
    }

    /// binary: code (locals and body)
    fn code(&mut self, ty: u32) -> Result<Func> {
        let size = self.r.len32()?;
        let start = self.r.pos();
        let nruns = self.r.len32()?;
        let mut locals = Vec::with_capacity(nruns.min(1024));
        let mut total: u64 = 0;
        for _ in 0..nruns {
            let n = self.r.u32()?;
            let t = self.val_type()?;
            total += u64::from(n);
            locals.push((n, t));
        }
        if total >= 1 << 32 {
            return Err(DecodeError::TooManyLocals);
        }
        // Room for the body's instructions up front (most take at least two
        // bytes), so that the vectors rarely grow.
        let cap = (start + size).saturating_sub(self.r.pos()) / 2 + 2;
        self.offsets = Some(Vec::with_capacity(cap));
        self.offsets_base = start as u32;
        let body = self.expr_with_capacity(cap);
        let offsets = self.offsets.take().unwrap_or_default();
        let body = body?;
        if self.r.pos() != start + size {
            return Err(DecodeError::SectionSizeMismatch);
        }
        Ok(Func {
            ty,
            locals,
            body,
            offsets,
        })
    }

    /// binary: expr — a nested instruction sequence up to and including its `end`.
    fn expr(&mut self) -> Result<Expr> {
        self.expr_with_capacity(2)
    }

    /// [`Decoder::expr`] into a vector with room for `cap` instructions.
    fn expr_with_capacity(&mut self, cap: usize) -> Result<Expr> {
        let mut out = Vec::with_capacity(cap);
        // Open constructs: 1 for an `if` that has not seen `else` yet, 2 for a
        // legacy `try`, 0 otherwise.
        let mut open = std::mem::take(&mut self.open);
        open.clear();
        open.push(0);
        let r = self.expr_into(&mut out, &mut open);
        self.open = open;
        r.map(|()| out)
    }

    /// Decodes the instructions of an expression into `out`, `open` holding
    /// the constructs not yet closed (see [`Decoder::expr_with_capacity`]).
    fn expr_into(&mut self, out: &mut Vec<Instr>, open: &mut Vec<u8>) -> Result<()> {
        loop {
            let Some(b) = self.r.peek() else {
                return Err(DecodeError::UnexpectedEnd);
            };
            if b == 0x05 {
                match open.last_mut() {
                    Some(k @ 1) => *k = 0,
                    _ => return Err(DecodeError::EndExpected),
                }
            }
            if let Some(o) = &mut self.offsets {
                o.push(self.r.pos() as u32 - self.offsets_base);
            }
            let i = self.instr()?;
            match i.op {
                Opcode::Block | Opcode::Loop | Opcode::TryTable => open.push(0),
                Opcode::If => open.push(1),
                Opcode::Try => open.push(2),
                Opcode::End | Opcode::Delegate => {
                    open.pop();
                }
                _ => {}
            }
            out.push(i);
            if open.is_empty() {
                return Ok(());
            }
        }
    }

    fn zero(&mut self) -> Result<u32> {
        if self.r.byte()? != 0 {
            return Err(DecodeError::ZeroByteExpected);
        }
        Ok(0)
    }

    fn mem_idx(&mut self) -> Result<u32> {
        if self.f.multi_memory {
            self.r.u32()
        } else {
            self.zero()
        }
    }

    /// binary: memarg
    fn memarg(&mut self) -> Result<MemArg> {
        let flags = self.r.u32()?;
        let (align, mem) = if flags < 0x40 {
            (flags, 0)
        } else if flags < 0x80 && self.f.multi_memory {
            (flags - 0x40, self.r.u32()?)
        } else {
            return Err(DecodeError::MalformedMemopFlags);
        };
        if self.f.legacy_v2_messages() && align >= 32 {
            return Err(DecodeError::MalformedMemopFlags);
        }
        let offset = if self.f.memory64 {
            self.r.u64()?
        } else {
            u64::from(self.r.u32()?)
        };
        Ok(MemArg { align, offset, mem })
    }

    fn block_type(&mut self) -> Result<BlockType> {
        let b = self.r.peek().ok_or(DecodeError::UnexpectedEnd)?;
        if b == 0x40 {
            self.r.advance(1);
            return Ok(BlockType::Empty);
        }
        if b & 0xc0 == 0x40 {
            return Ok(BlockType::Val(self.val_type()?));
        }
        let x = self.r.s33()?;
        if x < 0 {
            return Err(DecodeError::MalformedBlockType);
        }
        if !self.f.multi_value {
            return self.disabled("malformed block type", "multi_value");
        }
        Ok(BlockType::Func(x as u32))
    }

    /// binary: instr — one instruction (blocks are flat: `end`/`else` are instructions).
    fn instr(&mut self) -> Result<Instr> {
        let b = self.r.byte()?;
        let (op, code) = match b {
            // binary: the 0xFE prefix exists only with threads (else `illegal opcode fe`).
            0xfb..=0xfe if b != 0xfe || self.f.threads => {
                let c = self.r.u32()?;
                (
                    Opcode::from_encoding(b, c).ok_or(DecodeError::IllegalOpcode(b, Some(c)))?,
                    Some(c),
                )
            }
            _ => (
                Opcode::from_encoding(0, u32::from(b))
                    .ok_or(DecodeError::IllegalOpcode(b, None))?,
                None,
            ),
        };
        let feat = op.feature();
        if !feat.enabled(&self.f) {
            let what = DecodeError::IllegalOpcode(b, code).to_string();
            return self.disabled(what, feat.name());
        }
        let imm = match op.imm_kind() {
            ImmKind::None if op == Opcode::AtomicFence => {
                // binary: atomic.fence carries one reserved zero byte.
                self.zero()?;
                Imm::None
            }
            ImmKind::None => Imm::None,
            ImmKind::Block => Imm::Block(self.block_type()?),
            ImmKind::Label | ImmKind::Func | ImmKind::Local | ImmKind::Global | ImmKind::Elem => {
                Imm::Idx(self.r.u32()?)
            }
            ImmKind::Table => Imm::Idx(self.r.u32()?),
            ImmKind::Data => {
                self.uses_data_index = true;
                Imm::Idx(self.r.u32()?)
            }
            ImmKind::BrTable => {
                let mut v = self.vec(|d| d.r.u32())?;
                v.push(self.r.u32()?);
                Imm::BrTable(v.into_boxed_slice())
            }
            ImmKind::CallIndirect => {
                let ty = self.r.u32()?;
                let table = if self.f.reference_types {
                    self.r.u32()?
                } else {
                    self.zero()?
                };
                Imm::Idx2(ty, table)
            }
            ImmKind::TableCopy | ImmKind::TableInit => {
                let x = self.r.u32()?;
                let y = self.r.u32()?;
                Imm::Idx2(x, y)
            }
            ImmKind::MemoryInit => {
                self.uses_data_index = true;
                let x = self.r.u32()?;
                let y = self.mem_idx()?;
                Imm::Idx2(x, y)
            }
            ImmKind::Mem => Imm::Idx(self.mem_idx()?),
            ImmKind::MemCopy => {
                let x = self.mem_idx()?;
                let y = self.mem_idx()?;
                Imm::Idx2(x, y)
            }
            ImmKind::MemArg => Imm::MemArg(self.memarg()?),
            ImmKind::I32 => Imm::I32(self.r.s32()? as u32),
            ImmKind::I64 => Imm::I64(self.r.s64()? as u64),
            ImmKind::F32 => Imm::F32(self.r.u32_fixed()?),
            ImmKind::F64 => Imm::F64(self.r.u64_fixed()?),
            ImmKind::V128 => Imm::V128(self.r.array16()?),
            ImmKind::Shuffle => Imm::Shuffle(self.r.array16()?),
            ImmKind::Lane => Imm::Lane(self.r.byte()?),
            ImmKind::MemArgLane => {
                let m = self.memarg()?;
                Imm::MemArgLane(m, self.r.byte()?)
            }
            ImmKind::HeapType => Imm::Heap(self.heap_type()?),
            ImmKind::SelectT => Imm::Types(self.vec(|d| d.val_type())?.into_boxed_slice()),
            ImmKind::Tag | ImmKind::TypeIdx => Imm::Idx(self.r.u32()?),
            ImmKind::TypeField => {
                let x = self.r.u32()?;
                Imm::Idx2(x, self.r.u32()?)
            }
            ImmKind::TypeData => {
                let x = self.r.u32()?;
                Imm::Idx2(x, self.r.u32()?)
            }
            ImmKind::RefTest => {
                let nullable = matches!(
                    op,
                    Opcode::RefTestNull | Opcode::RefCastNull | Opcode::RefCastDescEqNull
                );
                Imm::Ref(RefType::new(nullable, self.heap_type()?))
            }
            ImmKind::BrOnCast => {
                let flags = self.r.byte()?;
                if flags > 3 {
                    return Err(DecodeError::MalformedRefType);
                }
                let l = self.r.u32()?;
                let h1 = self.heap_type()?;
                let h2 = self.heap_type()?;
                Imm::Cast(Box::new((
                    l,
                    RefType::new(flags & 1 != 0, h1),
                    RefType::new(flags & 2 != 0, h2),
                )))
            }
            ImmKind::TryTable => {
                let bt = self.block_type()?;
                let catches = self.vec(|d| {
                    let kind = match d.r.byte()? {
                        0 => CatchKind::Catch,
                        1 => CatchKind::CatchRef,
                        2 => CatchKind::CatchAll,
                        3 => CatchKind::CatchAllRef,
                        _ => return Err(DecodeError::MalformedCatch),
                    };
                    let tag = match kind {
                        CatchKind::Catch | CatchKind::CatchRef => d.r.u32()?,
                        _ => 0,
                    };
                    Ok(Catch {
                        kind,
                        tag,
                        label: d.r.u32()?,
                    })
                })?;
                Imm::TryTable(Box::new((bt, catches)))
            }
        };
        Ok(Instr { op, imm })
    }
}

impl Features {
    /// True for the 1.0 feature set and the drafts built on it without
    /// changing its binary format (no bulk memory, no reference types): the
    /// decoder then uses the 1.0 wording (binary format, W3C Recommendation
    /// 2019), e.g. "invalid UTF-8 encoding" ([`DecodeError::InvalidUtf8`]).
    pub fn legacy_v1_messages(&self) -> bool {
        self.pre_v2_rules()
            && !self.bulk_memory
            && !self.reference_types
            && self.legacy_v2_messages()
    }

    /// True when no proposal that changed the reference interpreter's error
    /// wording is enabled: the decoder and validator then use the 2.0 wording
    /// where the 2.0 and 3.0 suites differ (limits flags read as a 1-bit
    /// LEB128, memop flags bounded by 32, "global is immutable"). Tail calls,
    /// extended constants, typed function references and relaxed SIMD kept
    /// the 2.0 wording (their proposal suites use it); the memory proposals,
    /// GC, exceptions and the later proposals use the 3.0 wording.
    pub fn legacy_v2_messages(&self) -> bool {
        !(self.multi_memory
            || self.memory64
            || self.gc
            || self.exceptions
            || self.custom_page_sizes
            || self.wide_arithmetic
            || self.custom_descriptors
            || self.threads)
    }
}

#[cfg(test)]
mod tests;
