/// A multi-pattern matcher over Unicode scalars: every keyword of a rule set in one pass over the text.
///
/// The automaton is a DFA stored as differences from its root row. Following the failure links of an
/// Aho-Corasick trie at scan time costs a chain of dependent loads per character (state record, edge list,
/// failure link, the next state's record…), and the scan is bound by exactly those loads. Instead, every
/// transition that does not lead where the root's would is precomputed into its state's row: a step reads the
/// state's filter word and, for the few characters a state has somewhere to go with, one entry of the row;
/// everything else takes the dense root row. For Chinese keyword sets this is small — a state's failure chain
/// is short (about 1.2 links on average for the shipped rules) — except for what states inherit from a first
/// character's state (depth 1), whose rows are the largest: those are not copied. A state names the first
/// character's state its failure chain ends in, if any, as its fallback, and a step whose row has nothing
/// looks there before the root row: one more load, of a state every text visits. The shipped rules' rows then
/// hold 2.4 times the trie's edges (8.7 times with every inherited transition copied: 1.19 MB against 0.72 MB
/// at 703 rules, and the copies grew fastest as rules were added).
///
/// Scalars are first mapped to a small alphabet of the characters that occur in patterns; anything else
/// maps to class 0, which leads home from everywhere.
///
/// Where the memory is matters more than how many instructions a step takes: the scan reads a few dozen
/// scattered entries per message, and in the daemon the socket buffers, the JSON and the other connections
/// push them out of the core's cache between messages. So each state is one block of one array — filter word,
/// header, then its row — and a state's number is where its block starts. A step that leaves a state reads the
/// line its filter came from; states are laid out breadth first, so the shallow states most steps visit share
/// a few dozen kilobytes. (One hash table of (state, class) pairs took 2 MB for the shipped rules, every
/// transition on a line of its own, and the automaton missed the cache more than all the rest of screening.)
///
/// Within a row, a transition's place is the number of filter bits below its class's bit: the filter has bit
/// `hash(class)` set for each class the state has a transition for, the hash being a window of bits of
/// `class × K` chosen per state so that its classes fall on different bits where possible (97 % of the shipped
/// rules' transitions do). The few that share a bit are kept as a group in `overflow`.
///
/// Row entries are 32 bits wide where the alphabet's classes and the states' numbers fit in 32 bits together
/// (the shipped rules: 11 + 17 bits; the 10× synthetic set: 11 + 21), else 64. Both size cuts are for the
/// cache: the automaton shares a core's L2 (2 MB on one host this ran on, 512 KB on another) with everything
/// else a message touches. Narrow rows took the shipped rules' automaton from 1.5 MB to 0.9 MB and the scan's
/// misses beyond a 1 MB cache from 11 to 7.5 per message; the fallback, at 703 rules, from 1.19 MB to 0.72 MB
/// and all misses beyond a 1 MB / 512 KB cache from 21.8 / 62.4 to 18.3 / 57.2 per message, for 1.3 % more
/// instructions (cachegrind; docs/BENCHMARKS.md).
///
/// A character's class comes with where it leads from the root (its scan word, which normalisation looks up
/// with the character's folding), so the scan reads no table per character.
public struct AhoCorasick: Sendable {
    static let directClassLimit = 0x20000
    /// Multiplies a class before the per-state window of bits is taken from it.
    static let classHashFactor: UInt64 = 0x9E37_79B9_7F4A_7C15
    /// Windows start at bits 10…58: the lower bits of the product mix too few of the class's bits.
    static let lowestHashShift = 10, highestHashShift = 58

    /// Per scalar below `directClassLimit`, its scan word (`scanWord(for:)`).
    private let directWords: [UInt32]
    private let otherClass: [UInt32: UInt16]
    private let classCount: Int
    /// Where each class leads from the root, and from any state for which neither its row nor its fallback's has it.
    private let rootRow: [Int32]
    /// The states, each a block starting at 8 × its number bytes (the root's is 0): its 64-bit filter, its
    /// header (`Header`), its fallback's number (0: none), one row entry per set filter bit —
    /// `class | target << classBits` or, for a group of classes sharing the bit, `groupMark | overflowStart << classBits` (all class bits set: no class has the
    /// value, and class 0 — characters in no keyword, whose filter bit is 0 — must not take a group for its own) — then
    /// per output the 64-bit value a match reports and the pattern's length (which gives where the occurrence
    /// starts). Header, fallback, entries and lengths are `entryBytes` wide. Words, for their alignment.
    private var blocks: [UInt64]
    private let entryBytes: Int
    /// Bits of a row entry below its target; all of them set mark a group.
    private let classBits: Int
    /// Groups: at the start, the group's size, then its entries, `class | target << 32`.
    private let overflow: [UInt64]
    /// Where each output's value is in `blocks` (a byte offset), and its pattern (for `reporting(_:)`).
    private let outputSlots: [(offset: Int, pattern: Int32)]

    public let stateCount: Int
    /// Transitions stored in the rows (for sizing reports and tests).
    public let transitionCount: Int
    /// Most occurrences that end at one position (patterns ending in one another): a scan's buffer needs at
    /// least this much room to make progress.
    public let maxMatchesPerPosition: Int

    /// A state's header: the shift of its hash window (bits 0–7) and its output count (bits 8–31).
    private enum Header {
        static func make(shift: Int, outputCount: Int) -> UInt64 { UInt64(shift) | UInt64(outputCount) << 8 }
        static let maxOutputCount = (1 << 24) - 1
    }

    /// Keywords the automaton cannot index: more distinct characters than its 16-bit classes, or states and
    /// transitions beyond its 32-bit numbering (about 10,000 times the shipped rules' keywords).
    public struct TooLarge: Error, CustomStringConvertible, Sendable {
        public let states: Int
        public let classes: Int

        public var description: String {
            "the keywords make \(states) automaton states over \(classes) distinct characters; at most "
                + "\(Int(UInt16.max)) characters and \(Int(Int32.max)) words of states and transitions fit: split or trim the keyword lists"
        }
    }

    /// Builds the automaton. Pattern `i` is reported as `i`; empty patterns never match.
    public init(patterns: [[Unicode.Scalar]]) throws(TooLarge) {
        try self.init(patterns: patterns, narrowRowsAllowed: true)
    }

    /// `narrowRowsAllowed: false` keeps 64-bit row entries even where 32 would do (tests run both).
    init(patterns: [[Unicode.Scalar]], narrowRowsAllowed: Bool) throws(TooLarge) {
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
        guard classCount <= Int(UInt16.max) else { throw TooLarge(states: stateCount, classes: classCount) }

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
        // A state's row holds its own edges and those it inherits along its failure chain — except a first
        // character's state's (depth 1): the chain ends in at most one, named as the state's fallback, and the
        // scan looks there when the row has nothing. Those rows are the largest (every keyword's second
        // character after a common first one) and were copied into every state failing to them: 8.7 times the
        // trie's edges for the shipped rules, 1.2 MB, where the core's L2 may be 512 KB.
        var depth = [Int32](repeating: 0, count: stateCount)
        var fallback = [Int32](repeating: 0, count: stateCount)
        var delta: [[(character: Int, target: Int32)]] = Array(repeating: [], count: stateCount)
        for state in queue {
            let own = children[state].map { (character: $0.key, target: $0.value) }.sorted { $0.character < $1.character }
            let f = Int(fail[state])
            if depth[state] == 0 { depth[state] = 1 }  // the root's children; the others' parents set theirs
            for child in children[state].values { depth[Int(child)] = depth[state] + 1 }
            if f == 0 {
                delta[state] = own
            } else if depth[f] == 1 {
                delta[state] = own
                fallback[state] = Int32(f)
            } else {
                delta[state] = AhoCorasick.merge(own, over: delta[f])
                fallback[state] = fallback[f]
            }
        }

        // Blocks breadth first from the root: the shallow states, which most steps visit, lie together, and
        // the root row's targets stay small enough for the scan words' 16 bits.
        let order = [0] + queue
        // (Only each state's shape is kept between the two passes: rows of tuples for every state at once took
        // more memory than the finished automaton.)
        var shifts = [Int](repeating: 0, count: stateCount)
        var rowBits = [Int](repeating: 0, count: stateCount)
        var overflowSize = 0
        for state in order {
            let classes = delta[state].map(\.character)
            shifts[state] = AhoCorasick.hashShift(for: classes)
            let (bits, shared) = AhoCorasick.rowShape(of: classes, shift: shifts[state])
            rowBits[state] = bits
            overflowSize += shared + (shared > 0 ? bits : 0)  // a count per group (at most one per bit)
        }
        guard merged.allSatisfy({ $0.count <= Header.maxOutputCount }) else { throw TooLarge(states: stateCount, classes: classCount) }
        /// Each state's number (8-byte units) and the blocks' size in words, with entries `entryBytes` wide.
        func layout(entryBytes: Int) -> (numbers: [Int], words: Int) {
            var number = [Int](repeating: 0, count: stateCount), bytes = 0
            for state in order {
                number[state] = bytes / 8
                bytes += 8 + entryBytes * (2 + rowBits[state]) + (8 + entryBytes) * merged[state].count
                bytes = (bytes + 7) & ~7
            }
            return (number, bytes / 8)
        }
        // Enough bits for every class and one more value, the group mark.
        let classBits = Int.bitWidth - classCount.leadingZeroBitCount
        var (number, size) = layout(entryBytes: 4)
        let narrow = narrowRowsAllowed && max(size, overflowSize) < 1 << (32 - classBits)
        if !narrow { (number, size) = layout(entryBytes: 8) }
        guard size <= Int(Int32.max), overflowSize <= Int(UInt32.max) else { throw TooLarge(states: stateCount, classes: classCount) }
        let entryBytes = narrow ? 4 : 8, entryShift = narrow ? classBits : 32
        let groupMark: UInt64 = (1 << entryShift) - 1

        var blocks = [UInt64](repeating: 0, count: size)
        var overflow: [UInt64] = []
        overflow.reserveCapacity(overflowSize)
        var outputSlots: [(offset: Int, pattern: Int32)] = []
        blocks.withUnsafeMutableBytes { bytes in
            /// Stores an entry-wide field (header, row entry, length).
            func put(_ value: UInt64, at offset: Int) {
                if narrow {
                    bytes.storeBytes(of: UInt32(truncatingIfNeeded: value), toByteOffset: offset, as: UInt32.self)
                } else {
                    bytes.storeBytes(of: value, toByteOffset: offset, as: UInt64.self)
                }
            }
            for state in order {
                let base = number[state] * 8, shift = shifts[state]
                put(Header.make(shift: shift, outputCount: merged[state].count), at: base + 8)
                put(UInt64(number[Int(fallback[state])]), at: base + 8 + entryBytes)
                var filter: UInt64 = 0, entry = base + 8 + 2 * entryBytes
                for group in AhoCorasick.grouped(delta[state], shift: shift) {
                    filter |= 1 << AhoCorasick.hashBit(UInt64(group[0].character), shift: shift)
                    if group.count == 1 {
                        put(UInt64(group[0].character) | UInt64(number[Int(group[0].target)]) << entryShift, at: entry)
                    } else {
                        put(groupMark | UInt64(overflow.count) << entryShift, at: entry)
                        overflow.append(UInt64(group.count))
                        overflow.append(contentsOf: group.map { UInt64($0.character) | UInt64(number[Int($0.target)]) << 32 })
                    }
                    entry += entryBytes
                }
                bytes.storeBytes(of: filter, toByteOffset: base, as: UInt64.self)
                for pattern in merged[state] {
                    bytes.storeBytes(of: UInt64(pattern), toByteOffset: entry, as: UInt64.self)
                    put(UInt64(patterns[Int(pattern)].count), at: entry + 8)
                    outputSlots.append((entry, pattern))
                    entry += 8 + entryBytes
                }
            }
        }

        let rootRow = root.map { Int32(number[Int($0)]) }
        self.directWords = direct.map { AhoCorasick.scanWord(class: Int($0), rootTarget: rootRow[Int($0)]) }
        self.otherClass = other
        self.classCount = classCount
        self.rootRow = rootRow
        self.blocks = blocks
        self.entryBytes = entryBytes
        self.classBits = entryShift
        self.overflow = overflow
        self.outputSlots = outputSlots
        self.stateCount = stateCount
        self.transitionCount = delta.reduce(0) { $0 + $1.count }
        self.maxMatchesPerPosition = merged.reduce(1) { max($0, $1.count) }
    }

    /// The filter bit of a class in a state whose hash window starts at `shift`.
    @inline(__always)
    private static func hashBit(_ character: UInt64, shift: Int) -> UInt64 {
        ((character &* classHashFactor) &>> UInt64(truncatingIfNeeded: shift)) & 63
    }

    /// The window that spreads `classes` over the most filter bits, and leaves bit 0 clear where it can: class
    /// 0 (characters in no keyword, the most common) always hashes to bit 0, and a clear bit turns it away
    /// without reading the row. The first window, from the best-mixed bits down, that does both wins.
    private static func hashShift(for classes: [Int]) -> Int {
        var best = (shift: highestHashShift, score: -1)
        for shift in stride(from: highestHashShift, through: lowestHashShift, by: -1) {
            let filter = filterBits(of: classes, shift: shift).filter
            let score = 2 * filter.nonzeroBitCount + Int(~filter & 1)
            if score > best.score { best = (shift, score) }
            if score == 2 * classes.count + 1 { break }
        }
        return best.shift
    }

    /// The filter of a state whose transitions are for `classes` with hash window `shift`, and which of its bits
    /// more than one class shares.
    private static func filterBits(of classes: [Int], shift: Int) -> (filter: UInt64, shared: UInt64) {
        var filter: UInt64 = 0, shared: UInt64 = 0
        for c in classes {
            let bit: UInt64 = 1 << hashBit(UInt64(c), shift: shift)
            shared |= filter & bit
            filter |= bit
        }
        return (filter, shared)
    }

    /// How many filter bits `classes` take in a state with hash window `shift`, and how many classes share a bit
    /// (they go to `overflow`).
    private static func rowShape(of classes: [Int], shift: Int) -> (bits: Int, shared: Int) {
        let (filter, shared) = filterBits(of: classes, shift: shift)
        return (filter.nonzeroBitCount, classes.reduce(0) { $0 + (shared & 1 << hashBit(UInt64($1), shift: shift) != 0 ? 1 : 0) })
    }

    /// A state's transitions by filter bit, in bit order (the order of their entries in the row).
    private static func grouped(_ transitions: [(character: Int, target: Int32)], shift: Int) -> [[(character: Int, target: Int32)]] {
        let byBit = transitions.map { (bit: hashBit(UInt64($0.character), shift: shift), transition: $0) }
            .sorted { $0.bit != $1.bit ? $0.bit < $1.bit : $0.transition.character < $1.transition.character }
        var groups: [[(character: Int, target: Int32)]] = []
        for (k, entry) in byBit.enumerated() {
            if k == 0 || byBit[k - 1].bit != entry.bit { groups.append([]) }
            groups[groups.count - 1].append(entry.transition)
        }
        return groups
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
        relabelled.blocks.withUnsafeMutableBytes { bytes in
            for (offset, pattern) in outputSlots { bytes.storeBytes(of: values[Int(pattern)], toByteOffset: offset, as: UInt64.self) }
        }
        return relabelled
    }

    /// Bytes per row entry: 4 where classes and state numbers fit in 32 bits together, else 8 (for sizing
    /// reports and tests).
    public var rowEntryBytes: Int { entryBytes }

    /// The memory the scan reads: the states' blocks and the overflow groups (for sizing reports).
    public var byteCount: Int { (blocks.count + overflow.count) * MemoryLayout<UInt64>.size }

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
        entryBytes == 4
            ? scan(words, from: &cursor, into: matches, capacity: capacity, entries: UInt32.self)
            : scan(words, from: &cursor, into: matches, capacity: capacity, entries: UInt64.self)
    }

    /// The scan over rows of `Entry`-wide entries (specialised for each).
    @inline(__always)
    private func scan<Entry: FixedWidthInteger & UnsignedInteger>(
        _ words: UnsafeBufferPointer<UInt64>, from cursor: inout Cursor,
        into matches: UnsafeMutablePointer<Match>, capacity: Int, entries: Entry.Type
    ) -> Int {
        // Raw pointers into the tables: array accesses cost a bounds check each (the tables are immutable and
        // outlive the call).
        rootRow.withUnsafeBufferPointer { root in
        blocks.withUnsafeBytes { blocks in
            let root = root.baseAddress!, blocks = blocks.baseAddress!
            let text = words.baseAddress, count = words.count
            let width = MemoryLayout<Entry>.size, classBits = Entry(truncatingIfNeeded: self.classBits)
            let classMask = (Entry(1) &<< classBits) &- 1
            let groupMark = UInt64(truncatingIfNeeded: classMask)
            @inline(__always) func field(_ offset: Int) -> Entry { blocks.loadUnaligned(fromByteOffset: offset, as: Entry.self) }
            var block = Int(cursor.state) &* 8, written = 0
            var filter = blocks.load(fromByteOffset: block, as: UInt64.self), header = field(block &+ 8)
            var i = cursor.position
            while i < count {
                let word = UInt32(truncatingIfNeeded: text.unsafelyUnwrapped[i])
                let c = UInt64(word & 0xFFFF)
                /// Where `c` leads from the state whose block is at `at`, by its own row; -1 when it has no entry.
                @inline(__always) func transition(_ at: Int, _ filter: UInt64, _ header: Entry) -> Int {
                    let bit = AhoCorasick.hashBit(c, shift: Int(truncatingIfNeeded: header & 0xFF))
                    guard (filter &>> bit) & 1 != 0 else { return -1 }
                    let rank = (filter & ((1 &<< bit) &- 1)).nonzeroBitCount
                    let entry = field(at &+ 8 &+ 2 &* width &+ rank &* width)
                    let entryClass = UInt64(truncatingIfNeeded: entry & classMask)
                    if entryClass == c { return Int(truncatingIfNeeded: entry &>> classBits) }
                    if entryClass == groupMark { return groupTarget(Int(truncatingIfNeeded: entry &>> classBits), c, default: -1) }
                    return -1
                }
                var s = transition(block, filter, header)
                if s < 0 {
                    // Then the first character's state the failure chain ends in (its row is its own edges:
                    // it fails to the root), then the root.
                    let fallback = Int(truncatingIfNeeded: field(block &+ 8 &+ width)) &* 8
                    if fallback != 0 {
                        s = transition(fallback, blocks.load(fromByteOffset: fallback, as: UInt64.self), field(fallback &+ 8))
                    }
                    if s < 0 {
                        s = Int(word >> 16)
                        if s == 0xFFFF { s = Int(root[Int(c)]) }
                    }
                }
                let next = s &* 8
                filter = blocks.load(fromByteOffset: next, as: UInt64.self)
                header = field(next &+ 8)
                let outputCount = Int(truncatingIfNeeded: (header &>> 8) & 0xFF_FFFF)
                if outputCount != 0 {
                    if written &+ outputCount > capacity { break }  // resumes at `i` from `block`
                    let position = Int32(truncatingIfNeeded: i &+ 1)
                    var o = next &+ 8 &+ 2 &* width &+ filter.nonzeroBitCount &* width  // past the row
                    for _ in 0..<outputCount {
                        let length = Int32(truncatingIfNeeded: field(o &+ 8))
                        matches[written] = Match(value: blocks.loadUnaligned(fromByteOffset: o, as: UInt64.self),
                                                 start: position &- length, end: position)
                        written &+= 1
                        o &+= 8 &+ width
                    }
                }
                block = next
                i &+= 1
            }
            cursor = Cursor(position: i, state: Int32(truncatingIfNeeded: block / 8))
            return written
        }
        }
    }

    /// Where class `c` leads in the group starting at `overflow[start]`, or `fallback` when it is not among
    /// the group's classes.
    @inline(never)
    private func groupTarget(_ start: Int, _ c: UInt64, default fallback: Int) -> Int {
        let count = Int(truncatingIfNeeded: overflow[start])
        for k in (start + 1)..<(start + 1 + count) where overflow[k] & 0xFFFF_FFFF == c {
            return Int(truncatingIfNeeded: overflow[k] >> 32)
        }
        return fallback
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
