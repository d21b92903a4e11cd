/// A half-open range of Unicode scalars in the ORIGINAL text of a field.
public struct TextSpan: Hashable, Sendable, Comparable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    public var length: Int { end - start }

    public static func < (a: TextSpan, b: TextSpan) -> Bool {
        (a.start, a.end) < (b.start, b.end)
    }
}

/// One field's text in the three forms screening uses, with the maps between them.
///
/// - original: the text as received, as Unicode scalars (spans are reported in these).
/// - folded: NFKC, case-folded, simplified, variants folded, zero-width removed; regexes and entities see this.
/// - compact: the folded text without filler (spaces, punctuation, symbols, emoji); keywords match here.
///
/// Kept as a reusable buffer: a `Screener` resets it for every field instead of allocating anew.
public final class NormalizedText {
    public private(set) var original: [Unicode.Scalar] = []
    /// Folded scalars.
    public private(set) var folded: [Unicode.Scalar] = []
    /// For each folded scalar, the index of the original scalar it came from.
    public private(set) var foldedOrigin: [Int32] = []
    /// For each folded scalar, whether it came from a character variant (`薇` for `微`).
    public private(set) var foldedIsVariant: [Bool] = []
    /// For each compact scalar, its index in `folded`.
    public private(set) var compactToFolded: [Int32] = []
    /// The compact scalars themselves (what the keyword automaton reads).
    public private(set) var compactScalars: [Unicode.Scalar] = []
    /// Whether the text was cut at the rule set's `max_text_scalars`.
    public private(set) var truncated = false

    private var utf8Cache: [UInt8] = []
    private var utf8ToFoldedCache: [Int32] = []
    private var utf8Valid = false
    private var compactUTF8Cache: [UInt8] = []
    private var compactUTF8ToIndexCache: [Int32] = []
    private var compactUTF8Valid = false

    public init() {}

    /// Normalises `text` with `table`, replacing whatever this buffer held.
    public func reset(_ text: Substring.UnicodeScalarView, table: FoldTable, maxScalars: Int) {
        original.removeAll(keepingCapacity: true)
        folded.removeAll(keepingCapacity: true)
        foldedOrigin.removeAll(keepingCapacity: true)
        foldedIsVariant.removeAll(keepingCapacity: true)
        compactToFolded.removeAll(keepingCapacity: true)
        compactScalars.removeAll(keepingCapacity: true)
        utf8Valid = false
        compactUTF8Valid = false
        truncated = false
        // Work on locals and store back once: touching the class's arrays per character costs an exclusivity
        // check and a retain each, which dominated screening time.
        var original = self.original, folded = self.folded, origin = self.foldedOrigin
        var isVariant = self.foldedIsVariant, compact = self.compactToFolded, compactScalars = self.compactScalars
        self.original = []; self.folded = []; self.foldedOrigin = []; self.foldedIsVariant = []; self.compactToFolded = []
        self.compactScalars = []
        table.entries.withUnsafeBufferPointer { entries in
            for scalar in text {
                if original.count == maxScalars {
                    truncated = true
                    break
                }
                let index = Int32(original.count)
                original.append(scalar)
                let value = Int(scalar.value)
                let entry = value < FoldTable.tableSize ? entries[value] : FoldTable.entry(forUntabled: scalar)
                let variant = entry & FoldTable.variantBit != 0
                if entry & FoldTable.multiBit == 0 {
                    let cls = (entry >> FoldTable.classShift) & 3
                    if cls == UInt32(CharacterClass.drop.rawValue) { continue }
                    let out = Unicode.Scalar(entry & FoldTable.scalarMask) ?? "\u{FFFD}"
                    if cls == UInt32(CharacterClass.keep.rawValue) { compact.append(Int32(folded.count)); compactScalars.append(out) }
                    folded.append(out)
                    origin.append(index)
                    isVariant.append(variant)
                } else {
                    table.forEachExpansion(entry) { word in
                        let cls = (word >> FoldTable.classShift) & 3
                        if cls == UInt32(CharacterClass.drop.rawValue) { return }
                        let out = Unicode.Scalar(word & FoldTable.scalarMask) ?? "\u{FFFD}"
                        if cls == UInt32(CharacterClass.keep.rawValue) { compact.append(Int32(folded.count)); compactScalars.append(out) }
                        folded.append(out)
                        origin.append(index)
                        isVariant.append(variant)
                    }
                }
            }
        }
        self.original = original; self.folded = folded; self.foldedOrigin = origin
        self.foldedIsVariant = isVariant; self.compactToFolded = compact; self.compactScalars = compactScalars
    }

    public func reset(_ text: String, table: FoldTable, maxScalars: Int = .max) {
        reset(text[...].unicodeScalars, table: table, maxScalars: maxScalars)
    }

    public var compactCount: Int { compactToFolded.count }

    @inline(__always)
    public func compactScalar(_ index: Int) -> Unicode.Scalar { compactScalars[index] }

    /// The original span of folded scalars `start..<end`.
    public func originalSpan(foldedStart start: Int, foldedEnd end: Int) -> TextSpan {
        guard start < end else {
            let at = start < foldedOrigin.count ? Int(foldedOrigin[start]) : original.count
            return TextSpan(start: at, end: at)
        }
        return TextSpan(start: Int(foldedOrigin[start]), end: Int(foldedOrigin[end - 1]) + 1)
    }

    /// The original span of compact scalars `start..<end`.
    public func originalSpan(compactStart start: Int, compactEnd end: Int) -> TextSpan {
        guard start < end else {
            let at = start < compactToFolded.count ? Int(compactToFolded[start]) : folded.count
            return originalSpan(foldedStart: at, foldedEnd: at)
        }
        return originalSpan(foldedStart: Int(compactToFolded[start]), foldedEnd: Int(compactToFolded[end - 1]) + 1)
    }

    /// The original text of a span.
    public func text(of span: TextSpan) -> String {
        // Through UTF-8 bytes: appending scalars to a String one by one is several times slower.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(span.length * 3)
        for scalar in original[max(0, span.start)..<min(original.count, span.end)] { UTF8.encode(scalar) { bytes.append($0) } }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The folded text as a String (for display and tests).
    public var foldedString: String { String(String.UnicodeScalarView(folded)) }

    /// The compact text as a String (for display and tests).
    public var compactString: String {
        String(String.UnicodeScalarView(compactScalars))
    }

    /// Whether compact scalars `start..<end` needed evasion to match: filler or zero-width characters were
    /// skipped between them, or a character variant was folded.
    public func isEvasive(compactStart start: Int, compactEnd end: Int) -> Bool {
        let foldedStart = Int(compactToFolded[start])
        let foldedEnd = Int(compactToFolded[end - 1]) + 1
        if foldedIsVariant[foldedStart..<foldedEnd].contains(true) { return true }
        let span = originalSpan(foldedStart: foldedStart, foldedEnd: foldedEnd)
        return span.length > end - start
    }

    /// The folded text as UTF-8 with a map from byte offsets to folded indices, built on first use (only
    /// regexes need it).
    public func utf8() -> (bytes: [UInt8], byteToIndex: [Int32]) {
        if !utf8Valid {
            encode(folded.indices, into: &utf8Cache, map: &utf8ToFoldedCache) { self.folded[$0] }
            utf8Valid = true
        }
        return (utf8Cache, utf8ToFoldedCache)
    }

    /// The compact text as UTF-8 with a map from byte offsets to compact indices, built on first use.
    public func compactUTF8() -> (bytes: [UInt8], byteToIndex: [Int32]) {
        if !compactUTF8Valid {
            encode(compactToFolded.indices, into: &compactUTF8Cache, map: &compactUTF8ToIndexCache) { self.compactScalar($0) }
            compactUTF8Valid = true
        }
        return (compactUTF8Cache, compactUTF8ToIndexCache)
    }

    private func encode(_ indices: Range<Int>, into bytes: inout [UInt8], map: inout [Int32], scalar: (Int) -> Unicode.Scalar) {
        bytes.removeAll(keepingCapacity: true)
        map.removeAll(keepingCapacity: true)
        for index in indices {
            let before = bytes.count
            UTF8.encode(scalar(index)) { bytes.append($0) }
            for _ in before..<bytes.count { map.append(Int32(index)) }
        }
        map.append(Int32(indices.upperBound))
    }
}
