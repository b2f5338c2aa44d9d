//! Binary format of components (Binary.md): decoding of every section into
//! [`super::syntax`]. Core modules go through the core decoder; core types,
//! imports and extern types through its embedded-item entry point
//! ([`crate::binary::decode_core_item`]).
//!
//! Every section is read from a slice of exactly its declared size, so an
//! item running past its section is `unexpected end-of-file`, as in the
//! reference tests. Vector counts are checked against the bytes left before
//! anything is allocated, and nesting (components, component and instance
//! types) is bounded.

use std::fmt;
use std::sync::{Arc, OnceLock};

use super::syntax::*;
use crate::Features;
use crate::binary::{CoreItem, CoreItemValue, decode_core_item};

/// Deepest nesting of components and of component/instance types.
pub const MAX_NESTING: u32 = 100;

/// A malformed component. `Display` is the reference tests' message
/// (wasmparser's wording).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// `unexpected end-of-file`
    UnexpectedEof,
    /// `magic header not detected`
    MagicHeader,
    /// `unknown binary version` (a component version other than `0x0d`)
    UnknownVersion(u16),
    /// `expected a version header for a component` (a module where a
    /// component is expected)
    ExpectedComponent,
    /// `expected a version header for a module` (a component in a core
    /// module section)
    ExpectedModule,
    /// `malformed section id`
    MalformedSectionId(u8),
    /// `section size mismatch`: bytes left at the end of a section
    SectionSizeMismatch,
    /// `section out of order` (inside a core module)
    SectionOutOfOrder,
    /// `integer too large`
    IntegerTooLarge,
    /// `integer representation too long`
    IntegerTooLong,
    /// `malformed UTF-8 encoding`
    MalformedUtf8,
    /// `invalid leading byte (0x..) for <what>`
    InvalidLeadingByte(u8, &'static str),
    /// `invalid boolean value`
    InvalidBoolean,
    /// Nesting deeper than [`MAX_NESTING`].
    TooDeep(&'static str),
    /// The core decoder's error in a nested core module or core type.
    Core(crate::binary::DecodeError),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DecodeError::*;
        match self {
            UnexpectedEof => f.write_str("unexpected end-of-file"),
            MagicHeader => f.write_str("magic header not detected"),
            UnknownVersion(v) => write!(f, "unknown binary version: {v:#x}"),
            ExpectedComponent => f.write_str("expected a version header for a component"),
            ExpectedModule => f.write_str("expected a version header for a module"),
            MalformedSectionId(id) => write!(f, "malformed section id: {id}"),
            SectionSizeMismatch => {
                f.write_str("section size mismatch: unexpected data at the end of the section")
            }
            SectionOutOfOrder => f.write_str("section out of order"),
            IntegerTooLarge => f.write_str("integer too large"),
            IntegerTooLong => f.write_str("integer representation too long"),
            MalformedUtf8 => f.write_str("malformed UTF-8 encoding"),
            InvalidLeadingByte(b, what) => write!(f, "invalid leading byte ({b:#x}) for {what}"),
            InvalidBoolean => f.write_str("invalid boolean value"),
            TooDeep(what) => write!(f, "{what} nesting is too deep"),
            // The core decoder's end of input, in the component format's words.
            Core(crate::binary::DecodeError::UnexpectedEnd) => {
                f.write_str("unexpected end-of-file (unexpected end of section or function)")
            }
            Core(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DecodeError {}

type Result<T> = std::result::Result<T, DecodeError>;

/// Binary: component — decodes a component binary (core modules inside
/// it with the core decoder under `features`).
pub fn decode_component(bytes: &[u8], features: &Features) -> Result<Component> {
    Decoder {
        f: *features,
        depth: 0,
    }
    .component(bytes)
}

/// A byte stream over one section (or the preamble).
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    fn peek(&self) -> Result<u8> {
        self.bytes
            .get(self.pos)
            .copied()
            .ok_or(DecodeError::UnexpectedEof)
    }

    fn byte(&mut self) -> Result<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.left() {
            return Err(DecodeError::UnexpectedEof);
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// core:u32 — unsigned LEB128, at most 5 bytes.
    fn u32(&mut self) -> Result<u32> {
        let mut result = 0u32;
        for i in 0..5 {
            let b = self.byte()?;
            if i == 4 && b & 0x70 != 0 {
                return Err(if b & 0x80 != 0 {
                    DecodeError::IntegerTooLong
                } else {
                    DecodeError::IntegerTooLarge
                });
            }
            result |= u32::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(result);
            }
        }
        Err(DecodeError::IntegerTooLong)
    }

    /// A signed LEB128 of at most `bits` bits (`s33`, `s64`): the core
    /// decoder's, with its errors in the component format's words.
    fn leb_s(&mut self, bits: u32) -> Result<i64> {
        let mut core = crate::binary::Reader::new(self.rest());
        let v = core.leb_s(bits).map_err(|e| match e {
            crate::binary::DecodeError::UnexpectedEnd => DecodeError::UnexpectedEof,
            crate::binary::DecodeError::IntegerTooLong => DecodeError::IntegerTooLong,
            crate::binary::DecodeError::IntegerTooLarge => DecodeError::IntegerTooLarge,
            e => DecodeError::Core(e),
        })?;
        self.pos += core.pos();
        Ok(v)
    }

    /// A vector's length: each element takes at least one byte, so a count
    /// beyond the bytes left is the end of the input.
    fn count(&mut self) -> Result<usize> {
        let n = self.u32()? as usize;
        if n > self.left() {
            return Err(DecodeError::UnexpectedEof);
        }
        Ok(n)
    }

    /// core:name — a length and UTF-8 bytes.
    fn name(&mut self) -> Result<String> {
        let n = self.u32()? as usize;
        let b = self.take(n)?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| DecodeError::MalformedUtf8)
    }

    /// A `0x00`/`0x01` flag (`async?`, `cancel?`, `sh?`).
    fn flag(&mut self) -> Result<bool> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::InvalidBoolean),
        }
    }

    fn vec<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        let n = self.count()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(item(self)?);
        }
        Ok(v)
    }
}

/// Binary: primvaltype — the primitive for a type opcode.
fn prim_val_type(b: u8) -> Option<PrimValType> {
    use PrimValType::*;
    Some(match b {
        0x7f => Bool,
        0x7e => S8,
        0x7d => U8,
        0x7c => S16,
        0x7b => U16,
        0x7a => S32,
        0x79 => U32,
        0x78 => S64,
        0x77 => U64,
        0x76 => F32,
        0x75 => F64,
        0x74 => Char,
        0x73 => String,
        0x64 => ErrorContext,
        _ => return None,
    })
}

/// Binary: core:sort — the core sort for a byte.
fn core_sort(b: u8) -> Option<CoreSort> {
    Some(match b {
        0x00 => CoreSort::Func,
        0x01 => CoreSort::Table,
        0x02 => CoreSort::Memory,
        0x03 => CoreSort::Global,
        0x04 => CoreSort::Tag,
        0x10 => CoreSort::Type,
        0x11 => CoreSort::Module,
        0x12 => CoreSort::Instance,
        _ => return None,
    })
}

/// Binary: canonopt, by opcode (`None` for those with an index).
const CANON_OPTS: [(u8, Option<CanonOpt>); 8] = [
    (0x00, Some(CanonOpt::Utf8)),
    (0x01, Some(CanonOpt::Utf16)),
    (0x02, Some(CanonOpt::Latin1Utf16)),
    (0x03, None),
    (0x04, None),
    (0x05, None),
    (0x06, Some(CanonOpt::Async)),
    (0x07, None),
];

struct Decoder {
    f: Features,
    /// Nesting of components and component/instance types.
    depth: u32,
}

impl Decoder {
    /// Binary: component — preamble, then sections.
    fn component(&mut self, bytes: &[u8]) -> Result<Component> {
        let mut r = Reader::new(bytes);
        if r.take(4)? != b"\0asm" {
            return Err(DecodeError::MagicHeader);
        }
        let version = r.take(2)?;
        let layer = r.take(2)?;
        // Binary: preamble — layer 0x00 0x00 is a core module.
        if layer == [0, 0] {
            return Err(DecodeError::ExpectedComponent);
        }
        let version = u16::from_le_bytes([version[0], version[1]]);
        if version != 0x0d || layer != [1, 0] {
            return Err(DecodeError::UnknownVersion(version));
        }
        let mut c = Component::default();
        while r.left() > 0 {
            let id = r.byte()?;
            if id > 12 {
                return Err(DecodeError::MalformedSectionId(id));
            }
            let size = r.u32()? as usize;
            let body = r.take(size)?;
            let mut s = Reader::new(body);
            self.section(id, &mut s, &mut c)?;
            if s.left() > 0 {
                return Err(DecodeError::SectionSizeMismatch);
            }
        }
        Ok(c)
    }

    /// Binary: section — one section's definitions appended to `c`.
    fn section(&mut self, id: u8, s: &mut Reader, c: &mut Component) -> Result<()> {
        let defs = &mut c.defs;
        match id {
            0 => {
                let name = s.name()?;
                let data = s.take(s.left())?;
                if name == "component-name"
                    && let Some(n) = component_name(data)
                {
                    c.name = Some(n);
                }
            }
            1 => {
                let m = self.core_module(s.take(s.left())?)?;
                defs.push(Definition::CoreModule(Arc::new(m)));
            }
            2 => {
                for _ in 0..s.count()? {
                    defs.push(Definition::CoreInstance(self.core_instance(s)?));
                }
            }
            3 => {
                for _ in 0..s.count()? {
                    defs.push(Definition::CoreType(self.core_type(s)?));
                }
            }
            4 => {
                if self.depth >= MAX_NESTING {
                    return Err(DecodeError::TooDeep("component"));
                }
                self.depth += 1;
                let nested = self.component(s.take(s.left())?);
                self.depth -= 1;
                defs.push(Definition::Component(Arc::new(nested?)));
            }
            5 => {
                for _ in 0..s.count()? {
                    defs.push(Definition::Instance(self.instance(s)?));
                }
            }
            6 => {
                for _ in 0..s.count()? {
                    defs.push(Definition::Alias(self.alias(s)?));
                }
            }
            7 => {
                for _ in 0..s.count()? {
                    defs.push(Definition::Type(self.def_type(s)?));
                }
            }
            8 => {
                for _ in 0..s.count()? {
                    defs.push(Definition::Canon(self.canon(s)?));
                }
            }
            9 => {
                let func = s.u32()?;
                let args = s.vec(Reader::u32)?;
                let results = s.u32()?;
                defs.push(Definition::Start(Start {
                    func,
                    args,
                    results,
                }));
            }
            10 => {
                for _ in 0..s.count()? {
                    let name = self.extern_name(s)?;
                    let desc = self.extern_desc(s)?;
                    defs.push(Definition::Import(Import { name, desc }));
                }
            }
            11 => {
                for _ in 0..s.count()? {
                    let name = self.extern_name(s)?;
                    let item = self.sort_idx(s)?;
                    // Binary: export — `et?:<externtype>?`.
                    let desc = match s.byte()? {
                        0 => None,
                        1 => Some(self.extern_desc(s)?),
                        b => {
                            return Err(DecodeError::InvalidLeadingByte(
                                b,
                                "optional component export type",
                            ));
                        }
                    };
                    defs.push(Definition::Export(Export { name, item, desc }));
                }
            }
            12 => {
                for _ in 0..s.count()? {
                    let ty = self.val_type(s)?;
                    let len = s.u32()? as usize;
                    let bytes = s.take(len)?.to_vec();
                    defs.push(Definition::Value(ValueDef { ty, bytes }));
                }
            }
            _ => return Err(DecodeError::MalformedSectionId(id)),
        }
        Ok(())
    }

    /// Binary: core:module — a whole core module through the core decoder.
    fn core_module(&self, bytes: &[u8]) -> Result<CoreModule> {
        // A component's preamble where a module's is expected.
        if bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[6..8] != [0, 0] {
            return Err(DecodeError::ExpectedModule);
        }
        match crate::binary::decode_module(bytes, &self.f) {
            Ok(m) => Ok(CoreModule {
                module: Arc::new(m),
                valid: OnceLock::new(),
            }),
            Err(crate::binary::DecodeError::UnexpectedContent) if sections_out_of_order(bytes) => {
                Err(DecodeError::SectionOutOfOrder)
            }
            Err(e) => Err(DecodeError::Core(e)),
        }
    }

    /// Binary: core:instance.
    fn core_instance(&self, s: &mut Reader) -> Result<CoreInstance> {
        match s.byte()? {
            0x00 => {
                let module = s.u32()?;
                let args = s.vec(|s| {
                    let name = s.name()?;
                    // Binary: core:instantiatearg — only the instance sort.
                    match s.byte()? {
                        0x12 => Ok((name, s.u32()?)),
                        b => Err(DecodeError::InvalidLeadingByte(b, "instantiation arg kind")),
                    }
                })?;
                Ok(CoreInstance::Instantiate { module, args })
            }
            0x01 => Ok(CoreInstance::Exports(s.vec(|s| {
                let name = s.name()?;
                let b = s.byte()?;
                let sort =
                    core_sort(b).ok_or(DecodeError::InvalidLeadingByte(b, "external kind"))?;
                Ok((name, sort, s.u32()?))
            })?)),
            b => Err(DecodeError::InvalidLeadingByte(b, "core instance")),
        }
    }

    /// Binary: sort — for export and instantiation sort indices, where
    /// only the `core module` core sort is allowed.
    fn sort(&self, s: &mut Reader) -> Result<Sort> {
        const WHAT: &str = "component external kind";
        Ok(match s.byte()? {
            0x00 => match s.byte()? {
                0x11 => Sort::Core(CoreSort::Module),
                b => return Err(DecodeError::InvalidLeadingByte(b, WHAT)),
            },
            0x01 => Sort::Func,
            0x02 => Sort::Value,
            0x03 => Sort::Type,
            0x04 => Sort::Component,
            0x05 => Sort::Instance,
            b => return Err(DecodeError::InvalidLeadingByte(b, WHAT)),
        })
    }

    /// Binary: sortidx.
    fn sort_idx(&self, s: &mut Reader) -> Result<SortIdx> {
        let sort = self.sort(s)?;
        Ok(SortIdx {
            sort,
            idx: s.u32()?,
        })
    }

    /// Binary: instance.
    fn instance(&self, s: &mut Reader) -> Result<Instance> {
        match s.byte()? {
            0x00 => {
                let component = s.u32()?;
                let args = s.vec(|s| Ok((s.name()?, self.sort_idx(s)?)))?;
                Ok(Instance::Instantiate { component, args })
            }
            0x01 => Ok(Instance::Exports(
                s.vec(|s| Ok((self.extern_name(s)?, self.sort_idx(s)?)))?,
            )),
            b => Err(DecodeError::InvalidLeadingByte(b, "instance")),
        }
    }

    /// Binary: alias.
    fn alias(&self, s: &mut Reader) -> Result<Alias> {
        let b1 = s.byte()?;
        let b2 = if b1 == 0 { Some(s.byte()?) } else { None };
        match s.byte()? {
            0x00 => {
                let sort = match (b1, b2) {
                    (0, Some(b)) => Sort::Core(core_sort(b).ok_or(
                        DecodeError::InvalidLeadingByte(b, "component external kind"),
                    )?),
                    _ => self.sort(&mut Reader::new(&[b1]))?,
                };
                let instance = s.u32()?;
                let name = s.name()?;
                Ok(Alias::InstanceExport {
                    sort,
                    instance,
                    name,
                })
            }
            0x01 => {
                let sort = match b2 {
                    Some(b @ 0x00..=0x04) => core_sort(b).unwrap_or(CoreSort::Func),
                    Some(b) => return Err(DecodeError::InvalidLeadingByte(b, "external kind")),
                    None => {
                        return Err(DecodeError::InvalidLeadingByte(
                            b1,
                            "core instance export kind",
                        ));
                    }
                };
                let instance = s.u32()?;
                let name = s.name()?;
                Ok(Alias::CoreInstanceExport {
                    sort,
                    instance,
                    name,
                })
            }
            0x02 => {
                // Binary: outeraliassort — core type, core module, type, component.
                const WHAT: &str = "component outer alias kind";
                let sort = match (b1, b2) {
                    (0, Some(0x10)) => Sort::Core(CoreSort::Type),
                    (0, Some(0x11)) => Sort::Core(CoreSort::Module),
                    (0, Some(b)) => return Err(DecodeError::InvalidLeadingByte(b, WHAT)),
                    (0x03, _) => Sort::Type,
                    (0x04, _) => Sort::Component,
                    (b, _) => return Err(DecodeError::InvalidLeadingByte(b, WHAT)),
                };
                let count = s.u32()?;
                let idx = s.u32()?;
                Ok(Alias::Outer { sort, count, idx })
            }
            b => Err(DecodeError::InvalidLeadingByte(b, "alias")),
        }
    }

    /// One embedded core item through the core decoder.
    fn core_item(&self, s: &mut Reader, item: CoreItem) -> Result<CoreItemValue> {
        let (v, n) = decode_core_item(s.rest(), item, &self.f).map_err(|e| match e {
            crate::binary::DecodeError::UnexpectedEnd => DecodeError::UnexpectedEof,
            e => DecodeError::Core(e),
        })?;
        s.take(n)?;
        Ok(v)
    }

    /// Binary: core:type — a rec group, a `0x00 0x50` non-final sub type, or
    /// a module type.
    fn core_type(&mut self, s: &mut Reader) -> Result<CoreType> {
        match s.peek()? {
            // Binary.md: a non-final `sub` is prefixed by 0x00 here, since
            // 0x50 alone is a module type.
            0x00 => {
                s.byte()?;
                let b = s.peek()?;
                if b != 0x50 {
                    return Err(DecodeError::InvalidLeadingByte(b, "non-final sub type"));
                }
                self.core_rec(s)
            }
            0x50 => {
                s.byte()?;
                if self.depth >= MAX_NESTING {
                    return Err(DecodeError::TooDeep("component type"));
                }
                self.depth += 1;
                let decls = s.vec(|s| self.module_decl(s));
                self.depth -= 1;
                Ok(CoreType::Module(decls?))
            }
            _ => self.core_rec(s),
        }
    }

    fn core_rec(&self, s: &mut Reader) -> Result<CoreType> {
        match self.core_item(s, CoreItem::RecType)? {
            CoreItemValue::RecType(v) => Ok(CoreType::Rec(v)),
            _ => Err(DecodeError::UnexpectedEof),
        }
    }

    /// Binary: core:moduledecl.
    fn module_decl(&mut self, s: &mut Reader) -> Result<CoreModuleDecl> {
        match s.byte()? {
            0x00 => match self.core_item(s, CoreItem::Import)? {
                CoreItemValue::Import(i) => Ok(CoreModuleDecl::Import(i)),
                _ => Err(DecodeError::UnexpectedEof),
            },
            0x01 => Ok(CoreModuleDecl::Type(self.core_type(s)?)),
            0x02 => {
                // Binary: core:alias — 0x10 (type) 0x01 (outer) ct idx.
                let b = s.byte()?;
                if b != 0x10 {
                    return Err(DecodeError::InvalidLeadingByte(b, "outer alias kind"));
                }
                let b = s.byte()?;
                if b != 0x01 {
                    return Err(DecodeError::InvalidLeadingByte(b, "outer alias target"));
                }
                let count = s.u32()?;
                let idx = s.u32()?;
                Ok(CoreModuleDecl::OuterAlias { count, idx })
            }
            0x03 => {
                let name = s.name()?;
                match self.core_item(s, CoreItem::ExternType)? {
                    CoreItemValue::ExternType(t) => Ok(CoreModuleDecl::Export(name, t)),
                    _ => Err(DecodeError::UnexpectedEof),
                }
            }
            b => Err(DecodeError::InvalidLeadingByte(b, "type definition")),
        }
    }

    /// Binary: valtype — a primitive or a (non-negative s33) type index.
    fn val_type(&self, s: &mut Reader) -> Result<ValType> {
        let b = s.peek()?;
        if let Some(p) = prim_val_type(b) {
            s.byte()?;
            return Ok(ValType::Prim(p));
        }
        let x = s.leb_s(33)?;
        u32::try_from(x)
            .map(ValType::Idx)
            .map_err(|_| DecodeError::InvalidLeadingByte(b, "component value type"))
    }

    /// Binary: `<valtype>?`.
    fn opt_val_type(&self, s: &mut Reader) -> Result<Option<ValType>> {
        match s.byte()? {
            0 => Ok(None),
            1 => Ok(Some(self.val_type(s)?)),
            b => Err(DecodeError::InvalidLeadingByte(
                b,
                "optional component value type",
            )),
        }
    }

    /// Binary: resultlist.
    fn result_list(&self, s: &mut Reader) -> Result<Option<ValType>> {
        match s.byte()? {
            0x00 => Ok(Some(self.val_type(s)?)),
            0x01 => match s.byte()? {
                0x00 => Ok(None),
                b => Err(DecodeError::InvalidLeadingByte(b, "number of results")),
            },
            b => Err(DecodeError::InvalidLeadingByte(
                b,
                "component function results",
            )),
        }
    }

    /// Binary: type / deftype.
    fn def_type(&mut self, s: &mut Reader) -> Result<DefType> {
        let b = s.byte()?;
        Ok(match b {
            0x3f => {
                let rep = match self.core_item(s, CoreItem::ValType)? {
                    CoreItemValue::ValType(t) => t,
                    _ => return Err(DecodeError::UnexpectedEof),
                };
                let dtor = match s.byte()? {
                    0 => None,
                    1 => Some(s.u32()?),
                    b => return Err(DecodeError::InvalidLeadingByte(b, "resource destructor")),
                };
                DefType::Resource { rep, dtor }
            }
            0x40 | 0x43 => {
                let params = s.vec(|s| Ok((s.name()?, self.val_type(s)?)))?;
                let result = self.result_list(s)?;
                DefType::Func(FuncType {
                    is_async: b == 0x43,
                    params,
                    result,
                })
            }
            0x41 => DefType::Component(self.nested(s, Self::component_decl)?),
            0x42 => DefType::Instance(self.nested(s, Self::instance_decl)?),
            _ => DefType::Val(self.def_val_type(s, b)?),
        })
    }

    /// A vector of declarators one level deeper.
    fn nested<T>(
        &mut self,
        s: &mut Reader,
        item: fn(&mut Self, &mut Reader) -> Result<T>,
    ) -> Result<Vec<T>> {
        if self.depth >= MAX_NESTING {
            return Err(DecodeError::TooDeep("component type"));
        }
        self.depth += 1;
        let v = s.vec(|s| item(self, s));
        self.depth -= 1;
        v
    }

    /// Binary: defvaltype, after its opcode `b`.
    fn def_val_type(&self, s: &mut Reader, b: u8) -> Result<DefValType> {
        if let Some(p) = prim_val_type(b) {
            return Ok(DefValType::Prim(p));
        }
        Ok(match b {
            0x72 => DefValType::Record(s.vec(|s| Ok((s.name()?, self.val_type(s)?)))?),
            0x71 => DefValType::Variant(s.vec(|s| {
                let l = s.name()?;
                let t = self.opt_val_type(s)?;
                // Binary: case — a 0x00 immediate.
                match s.byte()? {
                    0 => Ok((l, t)),
                    b => Err(DecodeError::InvalidLeadingByte(b, "zero byte required")),
                }
            })?),
            0x70 => DefValType::List(self.val_type(s)?),
            0x67 => DefValType::FixedList(self.val_type(s)?, s.u32()?),
            0x6f => DefValType::Tuple(s.vec(|s| self.val_type(s))?),
            0x6e => DefValType::Flags(s.vec(Reader::name)?),
            0x6d => DefValType::Enum(s.vec(Reader::name)?),
            0x6b => DefValType::Option(self.val_type(s)?),
            0x6a => DefValType::Result(self.opt_val_type(s)?, self.opt_val_type(s)?),
            0x69 => DefValType::Own(s.u32()?),
            0x68 => DefValType::Borrow(s.u32()?),
            0x66 => DefValType::Stream(self.opt_val_type(s)?),
            0x65 => DefValType::Future(self.opt_val_type(s)?),
            0x63 => DefValType::Map(self.val_type(s)?, self.val_type(s)?),
            b => return Err(DecodeError::InvalidLeadingByte(b, "component defined type")),
        })
    }

    /// Binary: componentdecl.
    fn component_decl(&mut self, s: &mut Reader) -> Result<ComponentDecl> {
        if s.peek()? == 0x03 {
            s.byte()?;
            let name = self.extern_name(s)?;
            let desc = self.extern_desc(s)?;
            return Ok(ComponentDecl::Import(name, desc));
        }
        Ok(ComponentDecl::Instance(self.instance_decl(s)?))
    }

    /// Binary: instancedecl.
    fn instance_decl(&mut self, s: &mut Reader) -> Result<InstanceDecl> {
        Ok(match s.byte()? {
            0x00 => InstanceDecl::CoreType(self.core_type(s)?),
            0x01 => InstanceDecl::Type(self.def_type(s)?),
            0x02 => InstanceDecl::Alias(self.alias(s)?),
            0x04 => {
                let name = self.extern_name(s)?;
                InstanceDecl::Export(name, self.extern_desc(s)?)
            }
            b => {
                return Err(DecodeError::InvalidLeadingByte(
                    b,
                    "component or instance type declaration",
                ));
            }
        })
    }

    /// Binary: externtype.
    fn extern_desc(&self, s: &mut Reader) -> Result<ExternDesc> {
        let sort = self.sort(s)?;
        Ok(match sort {
            Sort::Core(_) => ExternDesc::CoreModule(s.u32()?),
            Sort::Func => ExternDesc::Func(s.u32()?),
            Sort::Value => ExternDesc::Value(match s.peek()? {
                0x00 => {
                    s.byte()?;
                    ValueBound::Eq(s.u32()?)
                }
                0x01 => {
                    s.byte()?;
                    ValueBound::Type(self.val_type(s)?)
                }
                // wasm-tools (263) writes a bare valtype here, without the
                // valuebound prefix: accepted for any other leading byte.
                _ => ValueBound::Type(self.val_type(s)?),
            }),
            Sort::Type => ExternDesc::Type(match s.byte()? {
                0x00 => TypeBound::Eq(s.u32()?),
                0x01 => TypeBound::SubResource,
                b => return Err(DecodeError::InvalidLeadingByte(b, "type bound")),
            }),
            Sort::Component => ExternDesc::Component(s.u32()?),
            Sort::Instance => ExternDesc::Instance(s.u32()?),
        })
    }

    /// Binary: nameattributes. A repeated attribute is kept for validation
    /// to reject (Binary.md: "validation requires ... at most once").
    fn extern_name(&self, s: &mut Reader) -> Result<ExternName> {
        let b = s.byte()?;
        if b > 2 {
            return Err(DecodeError::InvalidLeadingByte(b, "component name"));
        }
        let mut n = ExternName {
            name: s.name()?,
            ..ExternName::default()
        };
        if b == 2 {
            for _ in 0..s.count()? {
                let (slot, what) = match s.byte()? {
                    0x00 => (&mut n.implements, "implements"),
                    0x01 => (&mut n.version_suffix, "version-suffix"),
                    0x02 => (&mut n.external_id, "external-id"),
                    b => return Err(DecodeError::InvalidLeadingByte(b, "name option")),
                };
                let v = s.name()?;
                if slot.is_some() {
                    n.repeated_attribute.get_or_insert(what);
                } else {
                    *slot = Some(v);
                }
            }
        }
        Ok(n)
    }

    /// Binary: canon.
    fn canon(&self, s: &mut Reader) -> Result<Canon> {
        use Builtin as B;
        let op = s.byte()?;
        let t = |s: &mut Reader| s.u32();
        let opts = |s: &mut Reader| self.canon_opts(s);
        Ok(Canon::Builtin(match op {
            0x00 => {
                let b = s.byte()?;
                if b != 0 {
                    return Err(DecodeError::InvalidLeadingByte(
                        b,
                        "canonical function lift",
                    ));
                }
                let func = s.u32()?;
                let opts = opts(s)?;
                let ty = s.u32()?;
                return Ok(Canon::Lift { func, opts, ty });
            }
            0x01 => {
                let b = s.byte()?;
                if b != 0 {
                    return Err(DecodeError::InvalidLeadingByte(
                        b,
                        "canonical function lower",
                    ));
                }
                let func = s.u32()?;
                return Ok(Canon::Lower {
                    func,
                    opts: opts(s)?,
                });
            }
            0x02 => return Ok(Canon::ResourceNew(t(s)?)),
            0x03 => return Ok(Canon::ResourceDrop(t(s)?)),
            0x04 => return Ok(Canon::ResourceRep(t(s)?)),
            0x24 => B::BackpressureInc,
            0x25 => B::BackpressureDec,
            0x09 => B::TaskReturn(self.result_list(s)?, opts(s)?),
            0x05 => B::TaskCancel,
            0x0a | 0x0b => {
                let ty = match self.core_item(s, CoreItem::ValType)? {
                    CoreItemValue::ValType(t) => t,
                    _ => return Err(DecodeError::UnexpectedEof),
                };
                let i = s.u32()?;
                if op == 0x0a {
                    B::ContextGet(ty, i)
                } else {
                    B::ContextSet(ty, i)
                }
            }
            0x06 => B::SubtaskCancel(s.flag()?),
            0x0d => B::SubtaskDrop,
            0x0e => B::StreamNew(t(s)?),
            0x0f => B::StreamRead(t(s)?, opts(s)?),
            0x10 => B::StreamWrite(t(s)?, opts(s)?),
            0x11 => B::StreamCancelRead(t(s)?, s.flag()?),
            0x12 => B::StreamCancelWrite(t(s)?, s.flag()?),
            0x13 => B::StreamDropReadable(t(s)?),
            0x14 => B::StreamDropWritable(t(s)?),
            0x15 => B::FutureNew(t(s)?),
            0x16 => B::FutureRead(t(s)?, opts(s)?),
            0x17 => B::FutureWrite(t(s)?, opts(s)?),
            0x18 => B::FutureCancelRead(t(s)?, s.flag()?),
            0x19 => B::FutureCancelWrite(t(s)?, s.flag()?),
            0x1a => B::FutureDropReadable(t(s)?),
            0x1b => B::FutureDropWritable(t(s)?),
            0x1c => B::ErrorContextNew(opts(s)?),
            0x1d => B::ErrorContextDebugMessage(opts(s)?),
            0x1e => B::ErrorContextDrop,
            0x1f => B::WaitableSetNew,
            0x20 => B::WaitableSetWait(s.flag()?, s.u32()?),
            0x21 => B::WaitableSetPoll(s.flag()?, s.u32()?),
            0x22 => B::WaitableSetDrop,
            0x23 => B::WaitableJoin,
            0x26 => B::ThreadIndex,
            0x27 => B::ThreadNewIndirect(t(s)?, t(s)?),
            0x28 => B::ThreadResumeLater,
            0x29 => B::ThreadSuspend(s.flag()?),
            0x0c => B::ThreadYield(s.flag()?),
            0x2a => B::ThreadSuspendThenResume(s.flag()?),
            0x2b => B::ThreadYieldThenResume(s.flag()?),
            0x2c => B::ThreadSuspendThenPromote(s.flag()?),
            0x2d => B::ThreadYieldThenPromote(s.flag()?),
            0x40 => B::ThreadSpawnRef(s.flag()?, t(s)?),
            0x41 => B::ThreadSpawnIndirect(s.flag()?, t(s)?, t(s)?),
            0x42 => B::ThreadAvailableParallelism(s.flag()?),
            b => return Err(DecodeError::InvalidLeadingByte(b, "canonical function")),
        }))
    }

    /// Binary: opts.
    fn canon_opts(&self, s: &mut Reader) -> Result<Vec<CanonOpt>> {
        s.vec(|s| {
            let b = s.byte()?;
            let Some((_, fixed)) = CANON_OPTS.iter().find(|(op, _)| *op == b) else {
                return Err(DecodeError::InvalidLeadingByte(b, "canonical option"));
            };
            Ok(match (b, fixed) {
                (_, Some(o)) => *o,
                (0x03, _) => CanonOpt::Memory(s.u32()?),
                (0x04, _) => CanonOpt::Realloc(s.u32()?),
                (0x05, _) => CanonOpt::PostReturn(s.u32()?),
                _ => CanonOpt::Callback(s.u32()?),
            })
        })
    }
}

/// Binary.md "Name Section": the component's own name from a
/// `component-name` section (subsection 0), if well formed. Validity of
/// this section is not required, so errors just give no name.
fn component_name(data: &[u8]) -> Option<String> {
    let mut r = Reader::new(data);
    while r.left() > 0 {
        let id = r.byte().ok()?;
        let size = r.u32().ok()? as usize;
        let body = r.take(size).ok()?;
        if id == 0 {
            let mut b = Reader::new(body);
            let n = b.name().ok()?;
            return (b.left() == 0).then_some(n);
        }
    }
    None
}

/// Whether a core module's section ids (up to the first that cannot be
/// read) come out of the order core binary format requires — to report
/// `section out of order` where the core decoder stops at unexpected content.
fn sections_out_of_order(bytes: &[u8]) -> bool {
    // Core section ids in their required order (data count 12 before code 10,
    // tags 13 after memories).
    const ORDER: [u8; 13] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
    let mut r = Reader::new(bytes.get(8..).unwrap_or_default());
    let mut last = 0usize;
    while r.left() > 0 {
        let Ok(id) = r.byte() else { return false };
        if id != 0 {
            let Some(pos) = ORDER.iter().position(|&s| s == id) else {
                return false;
            };
            if pos < last {
                return true;
            }
            last = pos + 1;
        }
        let Ok(size) = r.u32() else { return false };
        if r.take(size as usize).is_err() {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests;
