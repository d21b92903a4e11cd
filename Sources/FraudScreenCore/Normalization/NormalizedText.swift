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
/// - original: the text as received (spans are reported in its Unicode scalars).
/// - folded: NFKC, case-folded, simplified, variants folded, zero-width removed; regexes and entities see this.
/// - compact: the folded text without filler (spaces, punctuation, symbols, emoji); keywords match here.
///
/// A reusable buffer: a `Screener` resets it for every field. The streams live in manually managed memory
/// that only grows, so normalising a text is one pass of table look-ups and plain stores — no allocation,
/// reference counting or uniqueness checks per character (those were most of the cost with arrays).
public final class NormalizedText {
    private var source = Stream<UInt8>()
    private var originalOffsets = Stream<Int32>()
    private var foldedStream = Stream<Unicode.Scalar>()
    private var originStream = Stream<Int32>()
    private var variantStream = Stream<Bool>()
    private var compactStream = Stream<Unicode.Scalar>()
    private var compactToFoldedStream = Stream<Int32>()

    /// Whether the text was cut at the rule set's `max_text_scalars`.
    public private(set) var truncated = false
    /// Which ASCII characters occur in the folded text (bit c of word c / 64): a cheap necessary condition
    /// for regexes that need a digit, a dot or a dash before running them.
    public private(set) var asciiPresent: (UInt64, UInt64) = (0, 0)

    public init() {}

    deinit {
        source.free(); originalOffsets.free(); foldedStream.free(); originStream.free(); variantStream.free()
        compactStream.free(); compactToFoldedStream.free()
    }

    /// Normalises `text` with `table`, replacing whatever this buffer held.
    public func reset(_ text: String, table: FoldTable, maxScalars: Int = .max) {
        // A native string lends its UTF-8 in place; copying it to a `var` for `withUTF8` cost a retain and a
        // release per text. Bridged or other non-contiguous strings take the copy.
        if text.utf8.withContiguousStorageIfAvailable({ reset(utf8: $0, table: table, maxScalars: maxScalars) }) == nil {
            var text = text
            text.withUTF8 { reset(utf8: $0, table: table, maxScalars: maxScalars) }
        }
    }

    /// Normalises valid UTF-8 (a Swift string's bytes).
    func reset(utf8 bytes: UnsafeBufferPointer<UInt8>, table: FoldTable, maxScalars: Int) {
        truncated = false
        source.count = 0; originalOffsets.count = 0; foldedStream.count = 0; originStream.count = 0
        variantStream.count = 0; compactStream.count = 0; compactToFoldedStream.count = 0
        // Positions are stored as Int32 and computed without overflow checks: a text is cut below 2 GiB (a
        // request line or a file that size is refused long before).
        let n = min(bytes.count, Int(Int32.max) - 8)
        // Every stream gets room for one entry per input byte (an upper bound on scalars) up front; only an
        // expansion (one scalar folding to several) can need more, and that path checks.
        // A text cut at `maxScalars` needs room for that many only.
        let scalars = min(n, maxScalars)
        source.reserve(n)
        originalOffsets.reserve(scalars + 1)
        foldedStream.reserve(scalars + 8); originStream.reserve(scalars + 8); variantStream.reserve(scalars + 8)
        compactStream.reserve(scalars + 8); compactToFoldedStream.reserve(scalars + 8)
        if n > 0 { source.base.update(from: bytes.baseAddress!, count: n) }
        source.count = n

        var mask0: UInt64 = 0, mask1: UInt64 = 0
        var originals = 0, folded = 0, compact = 0
        let offsets = originalOffsets.base
        var foldedOut = foldedStream.base, origin = originStream.base, variantOut = variantStream.base
        var compactOut = compactStream.base, compactMap = compactToFoldedStream.base
        var capacity = foldedStream.capacity
        let keep = UInt32(CharacterClass.keep.rawValue), drop = UInt32(CharacterClass.drop.rawValue)

        @inline(__always) func emit(_ word: UInt32, _ index: Int32, _ variant: Bool) {
            let cls = (word >> FoldTable.classShift) & 3
            if cls == drop { return }
            let value = word & FoldTable.scalarMask
            let out = unsafeBitCast(value, to: Unicode.Scalar.self)
            if value < 64 { mask0 |= 1 << UInt64(value) } else if value < 128 { mask1 |= 1 << UInt64(value - 64) }
            if word & FoldTable.nonASCIIDigitBit != 0 { mask1 |= ASCIISet.nonASCIIDigit.high }
            if cls == keep { compactOut[compact] = out; compactMap[compact] = Int32(truncatingIfNeeded: folded); compact &+= 1 }
            foldedOut[folded] = out
            origin[folded] = index
            variantOut[folded] = variant
            folded &+= 1
        }

        table.entries.withUnsafeBufferPointer { entries in
            var i = 0
            while i < n {
                if originals == maxScalars { truncated = true; break }
                // Decode one scalar of valid UTF-8.
                let b0 = UInt32(bytes[i])
                var value: UInt32, width: Int
                if b0 < 0x80 {
                    value = b0; width = 1
                } else if b0 < 0xE0 {
                    value = (b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F); width = 2
                } else if b0 < 0xF0 {
                    value = (b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F); width = 3
                } else {
                    value = (b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6
                        | UInt32(bytes[i + 3] & 0x3F)
                    width = 4
                }
                offsets[originals] = Int32(truncatingIfNeeded: i)
                let index = Int32(truncatingIfNeeded: originals)
                originals &+= 1
                i &+= width
                let entry = Int(value) < FoldTable.tableSize ? entries[Int(value)]
                    : FoldTable.entry(forUntabled: unsafeBitCast(value, to: Unicode.Scalar.self))
                let variant = entry & FoldTable.variantBit != 0
                if entry & FoldTable.multiBit == 0 {
                    emit(entry, index, variant)
                } else {
                    let needed = folded + table.expansionLength(entry) + min(n - i, maxScalars - originals) + 8
                    if needed > capacity {
                        foldedStream.count = folded; originStream.count = folded; variantStream.count = folded
                        compactStream.count = compact; compactToFoldedStream.count = compact
                        foldedStream.reserve(needed); originStream.reserve(needed); variantStream.reserve(needed)
                        compactStream.reserve(needed); compactToFoldedStream.reserve(needed)
                        foldedOut = foldedStream.base; origin = originStream.base; variantOut = variantStream.base
                        compactOut = compactStream.base; compactMap = compactToFoldedStream.base
                        capacity = foldedStream.capacity
                    }
                    table.forEachExpansion(entry) { emit($0, index, variant) }
                }
            }
            offsets[originals] = Int32(truncatingIfNeeded: i)
        }
        if n < bytes.count { truncated = true }
        _ = offsets
        originalOffsets.count = originals
        foldedStream.count = folded; originStream.count = folded; variantStream.count = folded
        compactStream.count = compact; compactToFoldedStream.count = compact
        asciiPresent = (mask0, mask1)
    }

    // MARK: Views for the screener (valid until the next reset)

    var originalCount: Int { originalOffsets.count }
    var foldedCount: Int { foldedStream.count }
    public var compactCount: Int { compactStream.count }
    var foldedBuffer: UnsafeBufferPointer<Unicode.Scalar> { foldedStream.buffer }
    var compactBuffer: UnsafeBufferPointer<Unicode.Scalar> { compactStream.buffer }
    var compactToFoldedBuffer: UnsafeBufferPointer<Int32> { compactToFoldedStream.buffer }

    @inline(__always)
    public func compactScalar(_ index: Int) -> Unicode.Scalar { compactStream.base[index] }

    // MARK: Copies for tools and tests

    /// The original scalars (up to where the text was cut).
    public var original: [Unicode.Scalar] { Array(text(of: TextSpan(start: 0, end: originalCount)).unicodeScalars) }
    public var folded: [Unicode.Scalar] { Array(foldedStream.buffer) }
    /// For each folded scalar, the index of the original scalar it came from.
    public var foldedOrigin: [Int32] { Array(originStream.buffer) }
    /// For each folded scalar, whether it came from a character variant (`薇` for `微`).
    public var foldedIsVariant: [Bool] { Array(variantStream.buffer) }
    /// For each compact scalar, its index in `folded`.
    public var compactToFolded: [Int32] { Array(compactToFoldedStream.buffer) }
    /// The compact scalars themselves (what the keyword automaton reads).
    public var compactScalars: [Unicode.Scalar] { Array(compactStream.buffer) }
    /// The folded text as a String (for display and tests).
    public var foldedString: String { String(String.UnicodeScalarView(foldedStream.buffer)) }
    /// The compact text as a String (for display and tests).
    public var compactString: String { String(String.UnicodeScalarView(compactStream.buffer)) }

    // MARK: Spans

    /// The original span of folded scalars `start..<end`.
    public func originalSpan(foldedStart start: Int, foldedEnd end: Int) -> TextSpan {
        let origin = originStream.base
        guard start < end else {
            let at = start < foldedStream.count ? Int(origin[start]) : originalOffsets.count
            return TextSpan(start: at, end: at)
        }
        return TextSpan(start: Int(origin[start]), end: Int(origin[end - 1]) + 1)
    }

    /// The original span of compact scalars `start..<end`.
    public func originalSpan(compactStart start: Int, compactEnd end: Int) -> TextSpan {
        let map = compactToFoldedStream.base
        guard start < end else {
            let at = start < compactToFoldedStream.count ? Int(map[start]) : foldedStream.count
            return originalSpan(foldedStart: at, foldedEnd: at)
        }
        return originalSpan(foldedStart: Int(map[start]), foldedEnd: Int(map[end - 1]) + 1)
    }

    /// The original text of a span: a slice of the field's own UTF-8, no re-encoding.
    public func text(of span: TextSpan) -> String {
        String(decoding: originalUTF8(of: span), as: UTF8.self)
    }

    /// The UTF-8 bytes of an original span (clamped to the text); valid until the next `reset`.
    func originalUTF8(of span: TextSpan) -> UnsafeBufferPointer<UInt8> {
        let count = originalOffsets.count
        let start = max(0, min(span.start, count)), end = max(start, min(span.end, count))
        let offsets = originalOffsets.base
        let from = Int(offsets[start]), to = Int(offsets[end])
        return UnsafeBufferPointer(rebasing: source.buffer[from..<to])
    }

    /// Whether compact scalars `start..<end` needed evasion to match: filler or zero-width characters were
    /// skipped between them, or a character variant was folded.
    public func isEvasive(compactStart start: Int, compactEnd end: Int) -> Bool {
        let map = compactToFoldedStream.base
        let foldedStart = Int(map[start])
        let foldedEnd = Int(map[end - 1]) + 1
        let variants = variantStream.base
        for i in foldedStart..<foldedEnd where variants[i] { return true }
        let span = originalSpan(foldedStart: foldedStart, foldedEnd: foldedEnd)
        return span.length > end - start
    }
}
