/// A multi-pattern matcher over Unicode scalars: every keyword of a rule set in one pass over the text.
///
/// Layout follows the "contiguous NFA" idea: the root has a dense transition row (most steps start there),
/// every other state a short sorted edge list (Chinese keywords branch little after the first character),
/// failure links are precomputed and each state's output list already includes its suffixes' outputs.
/// Scalars are first mapped to a small alphabet of the characters that occur in patterns; anything else
/// maps to 0 and sends the automaton home.
public struct AhoCorasick: Sendable {
    static let directClassLimit = 0x20000

    private let directClass: [UInt16]
    private let otherClass: [UInt32: UInt16]
    private let rootRow: [Int32]
    private let edgeStart: [Int32]
    private let edgeClass: [UInt16]
    private let edgeTarget: [Int32]
    private let fail: [Int32]
    private let outputStart: [Int32]
    private let outputs: [Int32]
    /// Length in scalars of each pattern.
    public let patternLengths: [Int32]

    public var stateCount: Int { fail.count }

    /// Builds the automaton. Pattern `i` is reported as `i`; empty patterns never match.
    public init(patterns: [[Unicode.Scalar]]) {
        var direct = [UInt16](repeating: 0, count: AhoCorasick.directClassLimit)
        var other: [UInt32: UInt16] = [:]
        var classCount = 1
        func classOf(_ s: Unicode.Scalar) -> Int {
            if Int(s.value) < AhoCorasick.directClassLimit {
                if direct[Int(s.value)] == 0 { direct[Int(s.value)] = UInt16(classCount); classCount += 1 }
                return Int(direct[Int(s.value)])
            }
            if let c = other[s.value] { return Int(c) }
            other[s.value] = UInt16(classCount); classCount += 1
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
        precondition(classCount <= Int(UInt16.max), "too many distinct keyword characters")

        let stateCount = children.count
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

        var edgeStart = [Int32](); edgeStart.reserveCapacity(stateCount + 1)
        var edgeClass = [UInt16](); var edgeTarget = [Int32]()
        var outputStart = [Int32](); var outputs = [Int32]()
        for state in 0..<stateCount {
            edgeStart.append(Int32(edgeClass.count))
            if state != 0 {
                for (c, next) in children[state].sorted(by: { $0.key < $1.key }) {
                    edgeClass.append(UInt16(c)); edgeTarget.append(next)
                }
            }
            outputStart.append(Int32(outputs.count))
            outputs.append(contentsOf: merged[state])
        }
        edgeStart.append(Int32(edgeClass.count))
        outputStart.append(Int32(outputs.count))

        self.directClass = direct
        self.otherClass = other
        self.rootRow = root
        self.edgeStart = edgeStart
        self.edgeClass = edgeClass
        self.edgeTarget = edgeTarget
        self.fail = fail
        self.outputStart = outputStart
        self.outputs = outputs
        self.patternLengths = patterns.map { Int32($0.count) }
    }

    /// Calls `report(pattern, start, end)` for every occurrence (overlapping ones included), in order of end
    /// position; `start..<end` are indices into `scalars`.
    @inline(__always)
    public func forEachMatch(in scalars: UnsafeBufferPointer<Unicode.Scalar>, _ report: (Int, Int, Int) -> Void) {
        // Raw pointers into the tables for the scan: this loop runs per character of every text, and array
        // accesses cost a bounds check each (the tables are immutable and outlive the call).
        directClass.withUnsafeBufferPointer { direct in
        rootRow.withUnsafeBufferPointer { root in
        edgeStart.withUnsafeBufferPointer { edgeStart in
        edgeClass.withUnsafeBufferPointer { edgeClass in
        edgeTarget.withUnsafeBufferPointer { edgeTarget in
        fail.withUnsafeBufferPointer { fail in
        outputStart.withUnsafeBufferPointer { outputStart in
        outputs.withUnsafeBufferPointer { outputs in
        patternLengths.withUnsafeBufferPointer { lengths in
            let direct = direct.baseAddress!, root = root.baseAddress!, edgeStart = edgeStart.baseAddress!
            let edgeClass = edgeClass.baseAddress!, edgeTarget = edgeTarget.baseAddress!, fail = fail.baseAddress!
            let outputStart = outputStart.baseAddress!, outputs = outputs.baseAddress!, lengths = lengths.baseAddress!
            var state = 0
            for i in 0..<scalars.count {
                let v = Int(scalars[i].value)
                let c = v < AhoCorasick.directClassLimit ? Int(direct[v]) : Int(otherClass[scalars[i].value] ?? 0)
                // One transition: the state's sorted edge list, else its failure link, down to the dense root row.
                var s = state
                while true {
                    if s == 0 { s = c == 0 ? 0 : Int(root[c]); break }
                    if c != 0 {
                        var e = Int(edgeStart[s])
                        let end = Int(edgeStart[s + 1])
                        var next = -1
                        while e < end {
                            let ec = Int(edgeClass[e])
                            if ec >= c {
                                if ec == c { next = Int(edgeTarget[e]) }
                                break
                            }
                            e += 1
                        }
                        if next >= 0 { s = next; break }
                    }
                    s = Int(fail[s])
                }
                state = s
                var o = Int(outputStart[state])
                let end = Int(outputStart[state + 1])
                while o < end {
                    let pattern = Int(outputs[o])
                    report(pattern, i + 1 - Int(lengths[pattern]), i + 1)
                    o += 1
                }
            }
        }
        }
        }
        }
        }
        }
        }
        }
        }
    }
}
