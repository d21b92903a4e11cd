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
    /// The table of the last reset, kept (and replaced only when another is used) for telling variant
    /// characters apart afterwards: a stream of per-character variant flags cost the normalising loop a
    /// register and a store per character, for the few occurrences a rule asks about.
    private var table: FoldTable?
    private var tableEntries: UnsafePointer<UInt64>?
    /// Some character of the text is a variant: only then is a span's original text looked at for them.
    private var containsVariant = false
    private var compactStream = Stream<Unicode.Scalar>()
    /// Per compact scalar, its scan word for the table's keyword automaton (`FoldTable.annotated(by:)`) in the
    /// low 32 bits and its index in the folded text in the high 32: one stream, because the normalising loop
    /// runs out of registers for another base pointer (each one more was spilled and reloaded per character).
    private var compactEntryStream = Stream<UInt64>()
    /// Scratch of `reset`: each original character's table entry, between its two passes.
    private var wideStream = Stream<UInt64>()

    /// Whether the text was cut at the rule set's `max_text_scalars`.
    public private(set) var truncated = false
    /// Which ASCII characters occur in the folded text (bit c of word c / 64): a cheap necessary condition
    /// for regexes that need a digit, a dot or a dash before running them.
    public private(set) var asciiPresent: (UInt64, UInt64) = (0, 0)

    public init() {}

    deinit {
        source.free(); originalOffsets.free(); foldedStream.free(); originStream.free()
        compactStream.free(); compactEntryStream.free(); wideStream.free()
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
        compactStream.count = 0; compactEntryStream.count = 0
        // Positions are stored as Int32 and computed without overflow checks: a text is cut below 2 GiB (a
        // request line or a file that size is refused long before).
        let n = min(bytes.count, Int(Int32.max) - 8)
        // Every stream gets room for one entry per input byte (an upper bound on scalars) up front; only an
        // expansion (one scalar folding to several) can need more, and that path checks.
        // A text cut at `maxScalars` needs room for that many only.
        let scalars = min(n, maxScalars)
        source.reserve(n)
        originalOffsets.reserve(scalars + 1)
        foldedStream.reserve(scalars + 8); originStream.reserve(scalars + 8)
        compactStream.reserve(scalars + 8); compactEntryStream.reserve(scalars + 8)
        if n > 0 { source.base.update(from: bytes.baseAddress!, count: n) }
        source.count = n

        // Two passes: the first decodes and looks each character up, the second writes the folded and compact
        // streams from the entries. In one loop the values both need were more than the registers, and every
        // character paid for a dozen spilled pointers and counters.
        var originals = 0, variants: UInt32 = 0
        let offsets = originalOffsets.base
        wideStream.reserve(scalars + 1)
        let wides = wideStream.base
        table.entries.withUnsafeBufferPointer { entries in
            if entries.baseAddress != tableEntries { self.table = table; tableEntries = entries.baseAddress }
            let text = bytes.baseAddress.unsafelyUnwrapped
            var i = 0
            while i < n {
                if originals == maxScalars { truncated = true; break }
                let (value, width) = NormalizedText.decodeScalar(text + i)
                offsets[originals] = Int32(truncatingIfNeeded: i)
                // One line holds the folding and the scan word of its output.
                let wide = Int(value) < FoldTable.tableSize ? entries[Int(value)]
                    : table.wideEntry(forUntabled: unsafeBitCast(value, to: Unicode.Scalar.self))
                wides[originals] = wide
                variants |= UInt32(truncatingIfNeeded: wide)
                originals &+= 1
                i &+= width
            }
            offsets[originals] = Int32(truncatingIfNeeded: i)
        }

        var mask0: UInt64 = 0, mask1: UInt64 = 0
        var folded = 0, compact = 0
        var foldedOut = foldedStream.base, origin = originStream.base
        var compactOut = compactStream.base, compactEntries = compactEntryStream.base
        var capacity = foldedStream.capacity
        let keep = UInt32(CharacterClass.keep.rawValue), drop = UInt32(CharacterClass.drop.rawValue)

        @inline(__always) func emit(_ word: UInt32, _ scanWord: UInt32, _ index: Int32) {
            let cls = (word >> FoldTable.classShift) & 3
            if cls == drop { return }
            let value = word & FoldTable.scalarMask
            let out = unsafeBitCast(value, to: Unicode.Scalar.self)
            if value < 64 { mask0 |= 1 << UInt64(value) } else if value < 128 { mask1 |= 1 << UInt64(value - 64) }
            if word & FoldTable.nonASCIIDigitBit != 0 { mask1 |= ASCIISet.nonASCIIDigit.high }
            if cls == keep {
                compactOut[compact] = out
                compactEntries[compact] = UInt64(scanWord) | UInt64(truncatingIfNeeded: folded) << 32
                compact &+= 1
            }
            foldedOut[folded] = out
            origin[folded] = index
            folded &+= 1
        }

        for k in 0..<originals {
            let wide = wides[k], entry = UInt32(truncatingIfNeeded: wide), index = Int32(truncatingIfNeeded: k)
            if entry & FoldTable.multiBit == 0 {
                emit(entry, UInt32(truncatingIfNeeded: wide >> 32), index)
            } else {
                let needed = folded + table.expansionLength(entry) + (originals - k) + 8
                if needed > capacity {
                    foldedStream.count = folded; originStream.count = folded
                    compactStream.count = compact; compactEntryStream.count = compact
                    foldedStream.reserve(needed); originStream.reserve(needed)
                    compactStream.reserve(needed); compactEntryStream.reserve(needed)
                    foldedOut = foldedStream.base; origin = originStream.base
                    compactOut = compactStream.base; compactEntries = compactEntryStream.base
                    capacity = foldedStream.capacity
                }
                table.forEachExpansion(entry) { emit($0, $1, index) }
            }
        }
        if n < bytes.count { truncated = true }
        containsVariant = variants & FoldTable.variantBit != 0
        originalOffsets.count = originals
        foldedStream.count = folded; originStream.count = folded
        compactStream.count = compact; compactEntryStream.count = compact
        asciiPresent = (mask0, mask1)
    }

    /// Whether folded scalar `i` came from a character variant: its original character's table entry says so.
    private func isVariant(folded i: Int) -> Bool {
        guard containsVariant, let table else { return false }
        let value = NormalizedText.decodeScalar(source.base + Int(originalOffsets.base[Int(originStream.base[i])])).value
        guard Int(value) < FoldTable.tableSize else { return false }
        return UInt32(truncatingIfNeeded: table.entries[Int(value)]) & FoldTable.variantBit != 0
    }

    /// The scalar that valid UTF-8 at `p` starts with, and how many bytes it takes.
    @inline(__always)
    static func decodeScalar(_ p: UnsafePointer<UInt8>) -> (value: UInt32, width: Int) {
        let b0 = UInt32(p[0])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(p[1] & 0x3F), 2) }
        if b0 < 0xF0 { return ((b0 & 0x0F) << 12 | UInt32(p[1] & 0x3F) << 6 | UInt32(p[2] & 0x3F), 3) }
        return ((b0 & 0x07) << 18 | UInt32(p[1] & 0x3F) << 12 | UInt32(p[2] & 0x3F) << 6 | UInt32(p[3] & 0x3F), 4)
    }

    // MARK: Views for the screener (valid until the next reset)

    var originalCount: Int { originalOffsets.count }
    var foldedCount: Int { foldedStream.count }
    public var compactCount: Int { compactStream.count }
    var foldedBuffer: UnsafeBufferPointer<Unicode.Scalar> { foldedStream.buffer }
    var compactBuffer: UnsafeBufferPointer<Unicode.Scalar> { compactStream.buffer }
    /// Per compact scalar: its scan word in the low 32 bits (what `AhoCorasick.scan` reads), its index in the
    /// folded text in the high 32.
    var compactEntries: UnsafeBufferPointer<UInt64> { compactEntryStream.buffer }

    /// The index in the folded text of compact scalar `i`.
    @inline(__always)
    func foldedIndex(ofCompact i: Int) -> Int { Int(Int32(truncatingIfNeeded: compactEntryStream.base[i] >> 32)) }

    /// The first compact position whose character comes from folded position `folded` or later (`compactCount`
    /// when none does): compact positions rise with folded ones, so a binary search.
    func compactIndex(atOrAfterFolded folded: Int) -> Int {
        var low = 0, high = compactCount
        while low < high {
            let mid = (low + high) / 2
            if foldedIndex(ofCompact: mid) < folded { low = mid + 1 } else { high = mid }
        }
        return low
    }

    @inline(__always)
    public func compactScalar(_ index: Int) -> Unicode.Scalar { compactStream.base[index] }

    // MARK: Copies for tools and tests

    /// The original scalars (up to where the text was cut).
    public var original: [Unicode.Scalar] { Array(text(of: TextSpan(start: 0, end: originalCount)).unicodeScalars) }
    public var folded: [Unicode.Scalar] { Array(foldedStream.buffer) }
    /// For each folded scalar, the index of the original scalar it came from.
    public var foldedOrigin: [Int32] { Array(originStream.buffer) }
    /// For each folded scalar, whether it came from a character variant (`薇` for `微`).
    public var foldedIsVariant: [Bool] { (0..<foldedStream.count).map(isVariant(folded:)) }

    /// For each compact scalar, its index in `folded`.
    public var compactToFolded: [Int32] { compactEntryStream.buffer.map { Int32(truncatingIfNeeded: $0 >> 32) } }
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
        guard start < end else {
            let at = start < compactEntryStream.count ? foldedIndex(ofCompact: start) : foldedStream.count
            return originalSpan(foldedStart: at, foldedEnd: at)
        }
        return originalSpan(foldedStart: foldedIndex(ofCompact: start), foldedEnd: foldedIndex(ofCompact: end - 1) + 1)
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
        let foldedStart = foldedIndex(ofCompact: start)
        let foldedEnd = foldedIndex(ofCompact: end - 1) + 1
        for i in foldedStart..<foldedEnd where isVariant(folded: i) { return true }
        let span = originalSpan(foldedStart: foldedStart, foldedEnd: foldedEnd)
        return span.length > end - start
    }
}
