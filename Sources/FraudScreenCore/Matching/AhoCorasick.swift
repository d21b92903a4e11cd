/// A multi-pattern matcher over Unicode scalars: every keyword of a rule set in one pass over the text.
///
/// The automaton is a DFA stored as differences from its root row. Following the failure links of an
/// Aho-Corasick trie at scan time costs a chain of dependent loads per character (state record, edge list,
/// failure link, the next state's record…), and the scan is bound by exactly those loads. Instead, every
/// transition that does not lead where the root's would is precomputed into one hash table keyed by
/// (state, character class): a step is one filter word and, for the few characters a state has somewhere to go
/// with, one probe; everything else takes the dense root row. For Chinese keyword sets this is small — a
/// state's failure chain is short (about 1.2 links on average for the shipped rules), so the table holds about
/// seven times as many transitions as the trie has edges, not a full DFA's states × classes.
///
/// Scalars are first mapped to a small alphabet of the characters that occur in patterns; anything else
/// maps to class 0, which leads home from everywhere. States with outputs are numbered last, so a step
/// tells whether anything ended there by a comparison.
///
/// The scan is bound by cache misses as much as by instructions (each message reads a few dozen scattered
/// table entries), so what one step reads together is stored together: a character's class with where it
/// leads from the root (its scan word, which normalisation looks up with the character's folding), and a
/// state's outputs with the filter word of the step after it.
public struct AhoCorasick: Sendable {
    static let directClassLimit = 0x20000

    /// Per scalar below `directClassLimit`, its scan word (`scanWord(for:)`).
    private let directWords: [UInt32]
    private let otherClass: [UInt32: UInt16]
    private let classCount: Int
    /// Where each class leads from the root, and from any state without a transition of its own for it.
    private let rootRow: [Int32]
    /// Per state: its transition filter and its outputs (see `StateRecord`).
    private let states: [StateRecord]
    /// Open-addressed (linear probing) transitions off the root row; a power of two long, at most 40 % full.
    private let transitions: [Transition]
    /// States numbered from here on have outputs.
    private let firstOutputState: Int32
    /// Each output with its pattern's length, which gives where the occurrence starts, on the same line.
    private var outputs: [Output]

    public let stateCount: Int
    /// Transitions stored in the table (for sizing reports and tests).
    public let transitionCount: Int
    /// Most occurrences that end at one position (patterns ending in one another): a scan's buffer needs at
    /// least this much room to make progress.
    public let maxMatchesPerPosition: Int

    private struct Output {
        /// What a match of the pattern reports: its index, or what `reporting(_:)` gave for it.
        var value: UInt64
        var length: Int32
        var pattern: Int32
    }

    /// What a step needs of the state it reached, on one line: the state's outputs, and the filter the next
    /// step tests — bit `class % 64` set for each class the state has a transition of its own for (most steps
    /// read a character the state has none for, and this word says so without probing the table).
    private struct StateRecord {
        var filter: UInt64 = 0
        /// The state's outputs are `outputs[outputStart..<outputEnd]`.
        var outputStart: Int32 = 0
        var outputEnd: Int32 = 0
    }

    /// One stored transition; `key` is `state * classCount + class`, `UInt32.max` when the slot is empty.
    private struct Transition {
        var key: UInt32
        var target: Int32
        static let empty = Transition(key: .max, target: 0)
    }

    @inline(__always)
    private static func slot(of key: UInt32, mask: Int) -> Int {
        // Fibonacci hashing: keys of one state are consecutive, the multiplication spreads them.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B1) >> 8) & mask
    }

    /// Keywords the automaton cannot index: more distinct characters than its 16-bit classes, or more
    /// states × classes than its 32-bit transition keys (about 16,000 times the shipped rules' keywords).
    public struct TooLarge: Error, CustomStringConvertible, Sendable {
        public let states: Int
        public let classes: Int

        public var description: String {
            "the keywords make \(states) automaton states over \(classes) distinct characters; at most "
                + "\(Int(UInt16.max)) characters and \(Int(UInt32.max)) states × characters fit: split or trim the keyword lists"
        }
    }

    /// Builds the automaton. Pattern `i` is reported as `i`; empty patterns never match.
    public init(patterns: [[Unicode.Scalar]]) throws(TooLarge) {
        var direct = [UInt16](repeating: 0, count: AhoCorasick.directClassLimit)
        var other: [UInt32: UInt16] = [:]
        var classCount = 1
        func classOf(_ s: Unicode.Scalar) -> Int {
            if Int(s.value) < AhoCorasick.directClassLimit {
                if direct[Int(s.value)] == 0 { direct[Int(s.value)] = UInt16(truncatingIfNeeded: classCount); classCount += 1 }
                return Int(direct[Int(s.value)])
            }
            if let c = other[s.value] { return Int(c) }
            other[s.value] = UInt16(truncatingIfNeeded: classCount); classCount += 1  // past UInt16.max: refused below
            return classCount - 1
        }

        // Trie with dictionary children while building.
        var children: [[Int: Int32]] = [[:]]
        var own: [[Int32]] = [[]]
        for (id, pattern) in patterns.enumerated() where !pattern.isEmpty {
            var state = 0
            for scalar in pattern {
                let c = classOf(scalar)
                if let next = children[state][c] {
                    state = Int(next)
                } else {
                    children.append([:]); own.append([])
                    children[state][c] = Int32(children.count - 1)
                    state = children.count - 1
                }
            }
            own[state].append(Int32(id))
        }
        let stateCount = children.count
        guard classCount <= Int(UInt16.max), stateCount * classCount < Int(UInt32.max) else {
            throw TooLarge(states: stateCount, classes: classCount)
        }

        // Failure links and merged outputs, breadth first; then each state's transitions off the root row:
        // its own edges, and where it has none, its failure state's (already complete: it is shallower).
        var fail = [Int32](repeating: 0, count: stateCount)
        var merged = own
        var queue: [Int] = []
        var root = [Int32](repeating: 0, count: classCount)
        for (c, next) in children[0] {
            root[c] = next
            queue.append(Int(next))
        }
        var head = 0
        while head < queue.count {
            let state = queue[head]; head += 1
            for (c, next) in children[state] {
                var f = Int(fail[state])
                while true {
                    if let t = children[f][c], Int(t) != Int(next) { fail[Int(next)] = t; break }
                    if f == 0 { fail[Int(next)] = root[c] == next ? 0 : root[c]; break }
                    f = Int(fail[f])
                }
                merged[Int(next)].append(contentsOf: merged[Int(fail[Int(next)])])
                queue.append(Int(next))
            }
        }
        var delta: [[(character: Int, target: Int32)]] = Array(repeating: [], count: stateCount)
        for state in queue {
            let own = children[state].map { (character: $0.key, target: $0.value) }.sorted { $0.character < $1.character }
            let f = Int(fail[state])
            delta[state] = f == 0 ? own : AhoCorasick.merge(own, over: delta[f])
        }

        // Output states last; the root (no outputs: empty patterns never match) stays 0.
        var number = [Int32](repeating: 0, count: stateCount)
        let outputStates = (0..<stateCount).filter { !merged[$0].isEmpty }
        var next: Int32 = 0
        for state in 0..<stateCount where merged[state].isEmpty { number[state] = next; next += 1 }
        let firstOutputState = next
        var records = [StateRecord](repeating: StateRecord(), count: stateCount)
        var outputs: [Output] = []
        for state in outputStates {
            number[state] = next; next += 1
            let start = Int32(outputs.count)
            outputs.append(contentsOf: merged[state].map { Output(value: UInt64($0), length: Int32(patterns[Int($0)].count), pattern: $0) })
            records[Int(number[state])].outputStart = start
            records[Int(number[state])].outputEnd = Int32(outputs.count)
        }

        let transitionCount = delta.reduce(0) { $0 + $1.count }
        var size = 16
        while size * 2 < transitionCount * 5 { size *= 2 }
        var table = [Transition](repeating: .empty, count: size)
        for state in 0..<stateCount {
            let s = Int(number[state])
            for (c, target) in delta[state] {
                let key = UInt32(s * classCount + c)
                var slot = AhoCorasick.slot(of: key, mask: size - 1)
                while table[slot].key != Transition.empty.key { slot = (slot + 1) & (size - 1) }
                table[slot] = Transition(key: key, target: number[Int(target)])
                records[s].filter |= 1 << UInt64(c & 63)
            }
        }

        let rootRow = root.map { number[Int($0)] }
        self.directWords = direct.map { AhoCorasick.scanWord(class: Int($0), rootTarget: rootRow[Int($0)]) }
        self.otherClass = other
        self.classCount = classCount
        self.rootRow = rootRow
        self.states = records
        self.transitions = table
        self.firstOutputState = firstOutputState
        self.outputs = outputs
        self.stateCount = stateCount
        self.transitionCount = transitionCount
        self.maxMatchesPerPosition = merged.reduce(1) { max($0, $1.count) }
    }

    /// Both lists sorted by class; `own` wins where both have one.
    private static func merge(_ own: [(character: Int, target: Int32)],
                              over inherited: [(character: Int, target: Int32)]) -> [(character: Int, target: Int32)] {
        var merged: [(character: Int, target: Int32)] = []
        merged.reserveCapacity(own.count + inherited.count)
        var i = 0, j = 0
        while i < own.count || j < inherited.count {
            if j == inherited.count || i < own.count && own[i].character <= inherited[j].character {
                if j < inherited.count && own[i].character == inherited[j].character { j += 1 }
                merged.append(own[i]); i += 1
            } else {
                merged.append(inherited[j]); j += 1
            }
        }
        return merged
    }

    /// This automaton with its matches reporting `values[pattern]` instead of the pattern's index: a caller that
    /// looks something up for every match (the screener: the pattern's keyword and where its rule links start)
    /// gets it with the match, from the line the scan reads anyway, instead of from a table of its own.
    public func reporting(_ values: [UInt64]) -> AhoCorasick {
        var relabelled = self
        relabelled.outputs = outputs.map { Output(value: values[Int($0.pattern)], length: $0.length, pattern: $0.pattern) }
        return relabelled
    }

    /// One occurrence at `start..<end` of the scanned text, of the pattern whose value is `value`.
    public struct Match {
        /// The pattern's index, or the value `reporting(_:)` gave for it.
        public var value: UInt64
        public var start: Int32
        public var end: Int32
    }

    /// Where a scan stopped: the next position to read and the automaton's state before it.
    public struct Cursor {
        public var position = 0
        var state: Int32 = 0
        public init() {}
        init(position: Int, state: Int32) { self.position = position; self.state = state }
    }

    /// What a scan step needs of a character, in one word: its class in the low 16 bits and, in the high 16,
    /// where the class leads from the root when that state's number fits (`0xFFFF`: look it up). Characters
    /// in no pattern have word 0. A text's words can be worked out where its characters are read anyway —
    /// normalisation does (`FoldTable.annotated(by:)`) — so that the scan reads no table per character.
    public func scanWord(for scalar: Unicode.Scalar) -> UInt32 {
        let v = Int(scalar.value)
        if v < AhoCorasick.directClassLimit { return directWords[v] }
        let c = Int(otherClass[scalar.value] ?? 0)
        return AhoCorasick.scanWord(class: c, rootTarget: rootRow[c])
    }

    /// The pattern characters beyond `directClassLimit` (rare ideographs), whose scan words callers keep apart.
    public var untabledScalars: [Unicode.Scalar] { otherClass.keys.compactMap(Unicode.Scalar.init) }

    private static func scanWord(class c: Int, rootTarget: Int32) -> UInt32 {
        UInt32(c) | (rootTarget < 0xFFFF ? UInt32(rootTarget) : 0xFFFF) << 16
    }

    /// Writes the occurrences (overlapping ones included, in order of end position) from `cursor` on into
    /// `matches`, and stops at the end of the text or before a position whose occurrences would not fit in
    /// `capacity`; returns how many it wrote and leaves `cursor` where it stopped, so a caller can make room
    /// and go on. The text is given by its characters' scan words (`scanWord(for:)`) in the low 32 bits of each
    /// element (the high 32 are the caller's: normalisation keeps a position there), at most `Int32.max` long.
    ///
    /// Not inlined, and nothing but the scan in it: the loop's state, position and table pointers all stay in
    /// registers. Inlined into the screener's larger function they were spilled, and reloading the state from
    /// the stack lengthened the chain of dependent loads every character waits on.
    @inline(never)
    public func scan(_ words: UnsafeBufferPointer<UInt64>, from cursor: inout Cursor,
                     into matches: UnsafeMutablePointer<Match>, capacity: Int) -> Int {
        // Raw pointers into the tables: array accesses cost a bounds check each (the tables are immutable and
        // outlive the call).
        rootRow.withUnsafeBufferPointer { root in
        states.withUnsafeBufferPointer { states in
        transitions.withUnsafeBufferPointer { table in
        outputs.withUnsafeBufferPointer { outputs in
            let root = root.baseAddress!, states = states.baseAddress!
            let table = table.baseAddress!, mask = transitions.count - 1, outputs = outputs.baseAddress!
            let text = words.baseAddress, count = words.count
            let classCount = UInt32(truncatingIfNeeded: self.classCount), firstOutputState = Int(firstOutputState)
            var state = Int(cursor.state), written = 0
            var filter = states[state].filter
            var i = cursor.position
            while i < count {
                let word = UInt32(truncatingIfNeeded: text.unsafelyUnwrapped[i])
                let c = Int(word & 0xFFFF)
                var s = Int(word >> 16)
                if s == 0xFFFF { s = Int(root[c]) }
                if filter & (1 << UInt64(c & 63)) != 0 {
                    let key = UInt32(truncatingIfNeeded: state) &* classCount &+ UInt32(truncatingIfNeeded: c)
                    var slot = AhoCorasick.slot(of: key, mask: mask)
                    while true {
                        let entry = table[slot]
                        if entry.key == key { s = Int(entry.target); break }
                        if entry.key == Transition.empty.key { break }
                        slot = (slot &+ 1) & mask
                    }
                }
                let record = states[s]
                if s >= firstOutputState {
                    var o = Int(record.outputStart)
                    let end = Int(record.outputEnd)
                    if written &+ (end &- o) > capacity { break }  // resumes at `i` from `state`
                    let position = Int32(truncatingIfNeeded: i &+ 1)
                    while o < end {
                        let output = outputs[o]
                        matches[written] = Match(value: output.value, start: position &- output.length, end: position)
                        written &+= 1
                        o &+= 1
                    }
                }
                filter = record.filter
                state = s
                i &+= 1
            }
            cursor = Cursor(position: i, state: Int32(truncatingIfNeeded: state))
            return written
        }
        }
        }
        }
    }

    /// Calls `report(value, start, end)` for every occurrence (overlapping ones included), in order of end
    /// position; `value` is the pattern's index unless relabelled, `start..<end` are indices into `scalars`.
    /// (For tools and tests: the screener scans its texts' words into its own buffer.)
    public func forEachMatch(in scalars: UnsafeBufferPointer<Unicode.Scalar>, _ report: (Int, Int, Int) -> Void) {
        let words = scalars.map { UInt64(scanWord(for: $0)) }
        let capacity = max(64, maxMatchesPerPosition)
        let matches = UnsafeMutablePointer<Match>.allocate(capacity: capacity)
        defer { matches.deallocate() }
        var cursor = Cursor()
        words.withUnsafeBufferPointer { words in
            repeat {
                let written = scan(words, from: &cursor, into: matches, capacity: capacity)
                for m in 0..<written { report(Int(truncatingIfNeeded: matches[m].value), Int(matches[m].start), Int(matches[m].end)) }
            } while cursor.position < words.count
        }
    }
}
