import CICU

/// ICU word segmentation ("zh" dictionary) of a field's folded text, computed only when a rule asks for
/// whole words, and then only for the stretch of text around the position asked about.
///
/// Segmenting a whole SMS costs ~10 µs, more than everything else screening does together. Word breaks
/// always fall around spaces, CJK punctuation and symbols, so the text splits into runs (letters, digits
/// and the ASCII punctuation that can sit inside a word, as in `qq.com` or `3.5`) that segment
/// independently: only the run holding the position is segmented, once per field.
final class WordBoundaries {
    /// Opened once and only ever cloned (never iterated), which ICU allows from any thread.
    private struct Prototype: @unchecked Sendable { let pointer: OpaquePointer? }
    private static let prototype = Prototype(pointer: cicu_word_breaker_open("zh"))
    private var breaker: OpaquePointer?
    /// Boundaries found so far in the current field, and the runs already segmented (by start).
    private var boundaries: Set<Int> = []
    private var segmentedRuns: Set<Int> = []

    init() {
        if let prototype = WordBoundaries.prototype.pointer { breaker = cicu_word_breaker_clone(prototype) }
    }

    deinit { cicu_word_breaker_close(breaker) }

    /// Forgets the current field's boundaries. Called for every field and almost always with nothing to
    /// forget (few rules ask for whole words): inlined, that case is one test in the caller's code rather
    /// than a call into code that is cold by then.
    @inline(__always)
    func invalidate() {
        guard !segmentedRuns.isEmpty else { return }  // boundaries are only recorded in segmented runs
        boundaries.removeAll(keepingCapacity: true)
        segmentedRuns.removeAll(keepingCapacity: true)
    }

    /// Whether a word boundary falls before folded index `index` (the start and end of the text count).
    func isBoundary(_ index: Int, in text: NormalizedText) -> Bool {
        let folded = text.foldedBuffer
        guard index > 0, index < folded.count else { return true }
        guard WordBoundaries.joinsWords(folded[index - 1]), WordBoundaries.joinsWords(folded[index]) else { return true }
        var start = index - 1
        while start > 0, WordBoundaries.joinsWords(folded[start - 1]) { start -= 1 }
        if !segmentedRuns.contains(start) {
            segmentedRuns.insert(start)
            var end = index + 1
            while end < folded.count, WordBoundaries.joinsWords(folded[end]) { end += 1 }
            segment(UnsafeBufferPointer(rebasing: folded[start..<end]), offset: start)
        }
        return boundaries.contains(index)
    }

    /// Characters that can be inside a word: letters, digits, and ASCII punctuation that ICU keeps between
    /// letters or digits (`'`, `.`, `:`, `,`, `_` …). Spaces, other punctuation and symbols always break.
    private static func joinsWords(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value > 0x20 && scalar.value < 0x7F }
        return FoldTable.classify(scalar) == .keep
    }

    private func segment(_ run: UnsafeBufferPointer<Unicode.Scalar>, offset: Int) {
        var utf16: [UInt16] = []
        var unitToFolded: [Int] = []
        for (index, scalar) in run.enumerated() {
            for unit in scalar.utf16 { utf16.append(unit); unitToFolded.append(offset + index) }
        }
        unitToFolded.append(offset + run.count)
        guard let breaker else {
            // Without ICU's breaker every position is a boundary: whole-word rules degrade to plain keywords.
            for i in offset...(offset + run.count) { boundaries.insert(i) }
            return
        }
        var out = [Int32](repeating: 0, count: utf16.count + 2)
        let count = cicu_word_boundaries(breaker, utf16, Int32(utf16.count), &out, Int32(out.count))
        for b in out.prefix(Int(max(0, count))) { boundaries.insert(unitToFolded[Int(b)]) }
    }
}
