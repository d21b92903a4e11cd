import CICU

/// What a character is to the matcher after folding.
public enum CharacterClass: UInt8, Sendable {
    /// Letters and digits: the characters keywords are made of.
    case keep = 0
    /// Spaces, punctuation, symbols and emoji: kept in the folded text (regexes and entities see them) but
    /// skipped in the compact text, so characters inserted between a keyword's characters do not hide it.
    case filler = 1
    /// Zero-width, format and combining characters: removed altogether.
    case drop = 2
}

/// A per-scalar folding table: NFKC + case folding + traditional→simplified, computed once from ICU for
/// planes 0 and 1, plus the rule set's single-character variants.
///
/// Folding per scalar (rather than running ICU over each text) keeps screening to one table look-up per
/// character and makes every folded character point back to exactly one original character, which is what
/// span mapping needs. The price is that ICU's phrase-level traditional→simplified conversions are not
/// applied; single-character conversion is what matching needs.
public struct FoldTable: Sendable {
    // Entry layout: bits 0-20 scalar (or expansion index when `multiBit`), bits 24-25 class, bit 26 variant;
    // bits 32-63 the output's scan word for the rule set's keyword automaton (`annotated(by:)`), 0 until then.
    static let classShift: UInt32 = 24
    static let variantBit: UInt32 = 1 << 26
    static let multiBit: UInt32 = 1 << 27
    /// The output is a decimal digit outside ASCII (`٣`): PCRE2's `\d` matches it, so the ASCII gate of a
    /// regex that needs a digit must not skip it.
    static let nonASCIIDigitBit: UInt32 = 1 << 28
    static let scalarMask: UInt32 = 0x1F_FFFF
    static let tableSize = 0x20000

    let entries: [UInt64]
    /// Multi-scalar outputs: a count followed by that many `scalar | class << 24` words.
    let expansions: [UInt32]
    /// The scan word of each output word of `expansions` (0 at the counts).
    let expansionScanWords: [UInt32]
    /// Scan words of the scalars beyond the table that keywords contain.
    let untabledScanWords: [UInt32: UInt32]

    init(entries: [UInt64], expansions: [UInt32], expansionScanWords: [UInt32]? = nil, untabledScanWords: [UInt32: UInt32] = [:]) {
        self.entries = entries
        self.expansions = expansions
        self.expansionScanWords = expansionScanWords ?? [UInt32](repeating: 0, count: expansions.count)
        self.untabledScanWords = untabledScanWords
    }

    /// This table with each output's scan word for `automaton` (`AhoCorasick.scanWord(for:)`), so that
    /// normalising a text also gives its compact characters' scan words: the automaton then reads no table
    /// per character, and the table line normalisation reads anyway holds both.
    public func annotated(by automaton: AhoCorasick) -> FoldTable {
        func scanWord(_ word: UInt32) -> UInt32 {
            guard (word >> FoldTable.classShift) & 3 == UInt32(CharacterClass.keep.rawValue),
                  let scalar = Unicode.Scalar(word & FoldTable.scalarMask) else { return 0 }  // never scanned
            return automaton.scanWord(for: scalar)
        }
        let entries = self.entries.map { entry -> UInt64 in
            let word = UInt32(truncatingIfNeeded: entry)
            return UInt64(word) | (word & FoldTable.multiBit == 0 ? UInt64(scanWord(word)) << 32 : 0)
        }
        var expansionScanWords = [UInt32](repeating: 0, count: expansions.count)
        var k = 1
        while k < expansions.count {
            let count = Int(expansions[k])
            for j in (k + 1)..<(k + 1 + count) { expansionScanWords[j] = scanWord(expansions[j]) }
            k += count + 1
        }
        var untabled: [UInt32: UInt32] = [:]
        for scalar in automaton.untabledScalars { untabled[scalar.value] = automaton.scanWord(for: scalar) }
        return FoldTable(entries: entries, expansions: expansions, expansionScanWords: expansionScanWords, untabledScanWords: untabled)
    }

    /// The table built from ICU alone, shared by every rule set in the process.
    public static let base: FoldTable = {
        do { return try FoldTable.buildFromICU() } catch { fatalError("ICU folding unavailable: \(error)") }
    }()

    /// This table with `variants` (variant → canonical) folded on top. Variant characters fold to whatever the
    /// canonical character folds to and are flagged, so a match through them can be told apart as evasive.
    public func applying(characterVariants variants: [Unicode.Scalar: Unicode.Scalar]) -> FoldTable {
        guard !variants.isEmpty else { return self }
        var entries = self.entries
        // Characters that fold INTO a variant (traditional 帳 → 帐) fold on to the canonical character too,
        // without the variant mark: a traditional spelling alone is not evasion.
        for (index, entry) in entries.enumerated() where UInt32(truncatingIfNeeded: entry) & FoldTable.multiBit == 0 {
            if let variant = Unicode.Scalar(UInt32(truncatingIfNeeded: entry) & FoldTable.scalarMask), let canonical = variants[variant],
               Int(canonical.value) < FoldTable.tableSize {
                entries[index] = self.entries[Int(canonical.value)]
            }
        }
        for (variant, canonical) in variants where Int(variant.value) < FoldTable.tableSize {
            let target = self.entries[Int(canonical.value)]
            entries[Int(variant.value)] = target | UInt64(FoldTable.variantBit)
        }
        return FoldTable(entries: entries, expansions: expansions, expansionScanWords: expansionScanWords,
                         untabledScanWords: untabledScanWords)
    }

    /// Folds one scalar, calling `emit(scalar, class, isVariant)` for each output scalar (none when dropped).
    @inline(__always)
    func fold(_ scalar: Unicode.Scalar, _ emit: (UInt32, CharacterClass, Bool) -> Void) {
        let value = scalar.value
        guard Int(value) < FoldTable.tableSize else {
            emit(value, FoldTable.classify(scalar), false)
            return
        }
        let entry = UInt32(truncatingIfNeeded: entries[Int(value)])
        let isVariant = entry & FoldTable.variantBit != 0
        if entry & FoldTable.multiBit == 0 {
            let cls = CharacterClass(rawValue: UInt8((entry >> FoldTable.classShift) & 3))!
            if cls != .drop { emit(entry & FoldTable.scalarMask, cls, isVariant) }
            return
        }
        let start = Int(entry & FoldTable.scalarMask)
        let count = Int(expansions[start])
        for word in expansions[(start + 1)..<(start + 1 + count)] {
            let cls = CharacterClass(rawValue: UInt8((word >> FoldTable.classShift) & 3))!
            if cls != .drop { emit(word & FoldTable.scalarMask, cls, isVariant) }
        }
    }

    /// The entry for a scalar beyond the table (planes 2 and up): kept as it is, classified by category.
    @inline(__always)
    static func entry(forUntabled scalar: Unicode.Scalar) -> UInt32 {
        scalar.value | UInt32(classify(scalar).rawValue) << classShift
            | (scalar.properties.generalCategory == .decimalNumber ? nonASCIIDigitBit : 0)
    }

    /// The entry (folding and scan word) of a scalar beyond the table, as `entries` would hold it.
    func wideEntry(forUntabled scalar: Unicode.Scalar) -> UInt64 {
        UInt64(FoldTable.entry(forUntabled: scalar)) | UInt64(untabledScanWords[scalar.value] ?? 0) << 32
    }

    /// How many words a multi-scalar entry expands to.
    @inline(__always)
    func expansionLength(_ entry: UInt32) -> Int { Int(expansions[Int(entry & FoldTable.scalarMask)]) }

    /// Calls `body` with each word of a multi-scalar entry's expansion and its scan word.
    @inline(__always)
    func forEachExpansion(_ entry: UInt32, _ body: (UInt32, UInt32) -> Void) {
        let start = Int(entry & FoldTable.scalarMask)
        let count = Int(expansions[start])
        for k in (start + 1)..<(start + 1 + count) { body(expansions[k], expansionScanWords[k]) }
    }

    /// Folds a whole string the same way screening does (used for keywords and literals).
    public func fold(_ text: String, compact: Bool) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            fold(scalar) { value, cls, _ in
                if compact && cls != .keep { return }
                scalars.append(Unicode.Scalar(value)!)
            }
        }
        return String(scalars)
    }

    static func classify(_ scalar: Unicode.Scalar) -> CharacterClass {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber:
            return .keep
        case .nonspacingMark, .enclosingMark, .spacingMark, .format, .surrogate, .unassigned:
            return .drop
        default:
            return .filler
        }
    }

    /// Runs every scalar of planes 0 and 1 through ICU's NFKC_Casefold in one NUL-separated batch, then the
    /// results that contain Han characters through Traditional-Simplified (the slow step, so only those),
    /// and records what each scalar becomes.
    static func buildFromICU() throws -> FoldTable {
        var order: [UInt32] = []
        var input: [UInt16] = []
        input.reserveCapacity(tableSize * 3)
        for value in UInt32(1)..<UInt32(tableSize) {
            guard let scalar = Unicode.Scalar(value) else { continue }
            order.append(value)
            input.append(contentsOf: scalar.utf16)
            input.append(0)
        }
        let casefolded = try callICU(capacity: input.count * 2) { out, capacity, error in
            cicu_nfkc_casefold(input, Int32(input.count), out, capacity, error, 64)
        }
        var outputs = casefolded.split(separator: 0, omittingEmptySubsequences: false).map { decode(Array($0)) }
        outputs.removeLast()  // after the last separator
        precondition(outputs.count == order.count, "ICU changed the number of separators")

        let hanIndices = outputs.indices.filter { outputs[$0].contains(where: isHan) }
        var hanInput: [UInt16] = []
        for index in hanIndices {
            for scalar in outputs[index] { hanInput.append(contentsOf: scalar.utf16) }
            hanInput.append(0)
        }
        let simplified = try callICU(capacity: hanInput.count * 2) { out, capacity, error in
            for (i, unit) in hanInput.enumerated() { out[i] = unit }
            return cicu_traditional_to_simplified(out, Int32(hanInput.count), capacity, error, 64)
        }
        let simplifiedOutputs = simplified.split(separator: 0, omittingEmptySubsequences: false)
        precondition(simplifiedOutputs.count == hanIndices.count + 1, "ICU changed the number of separators")
        for (k, index) in hanIndices.enumerated() { outputs[index] = decode(Array(simplifiedOutputs[k])) }

        var entries = [UInt64](repeating: UInt64(CharacterClass.drop.rawValue) << classShift, count: tableSize)
        var expansions: [UInt32] = [0]
        for (k, value) in order.enumerated() {
            let words = outputs[k].map { scalar in
                scalar.value | UInt32(classify(scalar).rawValue) << classShift
                    | (scalar.value >= 0x80 && scalar.properties.generalCategory == .decimalNumber ? nonASCIIDigitBit : 0)
            }
            switch words.count {
            case 0:
                entries[Int(value)] = UInt64(CharacterClass.drop.rawValue) << classShift
            case 1:
                entries[Int(value)] = UInt64(words[0])
            default:
                entries[Int(value)] = UInt64(UInt32(expansions.count) | multiBit)
                expansions.append(UInt32(words.count))
                expansions.append(contentsOf: words)
            }
        }
        // NUL itself was the separator; it is a control character like any other.
        entries[0] = UInt64(CharacterClass.filler.rawValue) << classShift
        return FoldTable(entries: entries, expansions: expansions)
    }

    private static func isHan(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x3134F: return true
        default: return false
        }
    }

    private static func decode(_ units: [UInt16]) -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        var iterator = units.makeIterator()
        var decoder = UTF16()
        while case .scalarValue(let s) = decoder.decode(&iterator) { scalars.append(s) }
        return scalars
    }

    /// Calls an ICU function that writes into a buffer, growing the buffer once if ICU says it is too small.
    private static func callICU(
        capacity: Int, _ body: (UnsafeMutablePointer<UInt16>, Int32, UnsafeMutablePointer<CChar>) -> Int32
    ) throws -> [UInt16] {
        var size = capacity
        for _ in 0..<2 {
            var buffer = [UInt16](repeating: 0, count: size)
            var error = [CChar](repeating: 0, count: 64)
            let length = body(&buffer, Int32(size), &error)
            if length < 0 {
                throw FoldTableError.icu(String(decoding: error.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self))
            }
            if Int(length) <= size { return Array(buffer.prefix(Int(length))) }
            size = Int(length)
        }
        throw FoldTableError.icu("output kept growing")
    }
}

enum FoldTableError: Error, CustomStringConvertible {
    case icu(String)
    var description: String {
        switch self { case .icu(let name): return "ICU folding failed: \(name)" }
    }
}
