import CICU

/// ICU word segmentation ("zh" dictionary) of a field's folded text, computed only when a rule asks for
/// whole words and only once per field: at ~10 µs per SMS it costs more than everything else together.
final class WordBoundaries {
    /// Opened once and only ever cloned (never iterated), which ICU allows from any thread.
    private struct Prototype: @unchecked Sendable { let pointer: OpaquePointer? }
    private static let prototype = Prototype(pointer: cicu_word_breaker_open("zh"))
    private var breaker: OpaquePointer?
    private var boundaries: Set<Int> = []
    private var valid = false

    init() {
        if let prototype = WordBoundaries.prototype.pointer { breaker = cicu_word_breaker_clone(prototype) }
    }

    deinit { cicu_word_breaker_close(breaker) }

    func invalidate() { valid = false }

    /// Whether a word boundary falls before folded index `index` (the end of the text counts).
    func isBoundary(_ index: Int, in text: NormalizedText) -> Bool {
        if !valid { compute(text) }
        return boundaries.contains(index)
    }

    private func compute(_ text: NormalizedText) {
        valid = true
        boundaries.removeAll(keepingCapacity: true)
        var utf16: [UInt16] = []
        var unitToFolded: [Int] = []
        let folded = text.foldedBuffer
        for (index, scalar) in folded.enumerated() {
            for unit in scalar.utf16 { utf16.append(unit); unitToFolded.append(index) }
        }
        unitToFolded.append(folded.count)
        guard let breaker else {
            // Without ICU's breaker every position is a boundary: whole-word rules degrade to plain keywords.
            boundaries = Set(0...folded.count)
            return
        }
        var out = [Int32](repeating: 0, count: utf16.count + 2)
        let count = cicu_word_boundaries(breaker, utf16, Int32(utf16.count), &out, Int32(out.count))
        for b in out.prefix(Int(max(0, count))) { boundaries.insert(unitToFolded[Int(b)]) }
    }
}
