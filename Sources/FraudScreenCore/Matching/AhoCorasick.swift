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
    private let states: [State]
    private let edges: [Edge]
    /// Per state, bit `class % 64` set for each class it has an edge for. Most steps below the root read a
    /// character the state has no edge for; the mask says so without scanning the list.
    private let edgeMasks: [UInt64]
    private let outputs: [Int32]
    /// Length in scalars of each pattern.
    public let patternLengths: [Int32]

    public var stateCount: Int { states.count }

    /// Everything a step reads about a state, in 16 bytes: four states to a cache line. The scan is a chain
    /// of dependent loads (the next state decides what to read), so one line per state instead of one per
    /// array (edge range, failure link, output range) is what makes it fast.
    private struct State {
        var edgeStart: Int32
        var fail: Int32
        var outputStart: Int32
        var edgeCount: UInt16
        var outputCount: UInt16
    }

    /// A trie edge: the class read and the state it leads to, side by side.
    private struct Edge {
        var character: UInt16
        var target: Int32
    }

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

        var states: [State] = []; states.reserveCapacity(stateCount)
        var edges: [Edge] = []
        var edgeMasks = [UInt64](repeating: 0, count: stateCount)
        var outputs: [Int32] = []
        for state in 0..<stateCount {
            let edgeStart = edges.count, outputStart = outputs.count
            if state != 0 {
                for (c, next) in children[state].sorted(by: { $0.key < $1.key }) {
                    edges.append(Edge(character: UInt16(c), target: next))
                    edgeMasks[state] |= 1 << UInt64(c & 63)
                }
            }
            outputs.append(contentsOf: merged[state])
            precondition(edges.count - edgeStart <= Int(UInt16.max) && outputs.count - outputStart <= Int(UInt16.max),
                         "a keyword state with more than 65,535 edges or outputs")
            states.append(State(edgeStart: Int32(edgeStart), fail: fail[state], outputStart: Int32(outputStart),
                                edgeCount: UInt16(edges.count - edgeStart), outputCount: UInt16(outputs.count - outputStart)))
        }

        self.directClass = direct
        self.otherClass = other
        self.rootRow = root
        self.states = states
        self.edges = edges
        self.edgeMasks = edgeMasks
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
        states.withUnsafeBufferPointer { states in
        edges.withUnsafeBufferPointer { edges in
        edgeMasks.withUnsafeBufferPointer { masks in
        outputs.withUnsafeBufferPointer { outputs in
        patternLengths.withUnsafeBufferPointer { lengths in
            let direct = direct.baseAddress!, root = root.baseAddress!, states = states.baseAddress!
            let edges = edges.baseAddress!, masks = masks.baseAddress!, outputs = outputs.baseAddress!, lengths = lengths.baseAddress!
            var state = 0
            for i in 0..<scalars.count {
                let v = Int(scalars[i].value)
                let c = v < AhoCorasick.directClassLimit ? Int(direct[v]) : Int(otherClass[scalars[i].value] ?? 0)
                // One transition: the state's sorted edge list, else its failure link, down to the dense root row.
                var s = state
                let bit: UInt64 = 1 << UInt64(c & 63)
                while true {
                    if s == 0 { s = c == 0 ? 0 : Int(root[c]); break }
                    let record = states[s]
                    if c != 0 && masks[s] & bit != 0 {
                        var e = Int(record.edgeStart)
                        let end = e + Int(record.edgeCount)
                        var next = -1
                        while e < end {
                            let ec = Int(edges[e].character)
                            if ec >= c {
                                if ec == c { next = Int(edges[e].target) }
                                break
                            }
                            e += 1
                        }
                        if next >= 0 { s = next; break }
                    }
                    s = Int(record.fail)
                }
                state = s
                let record = states[state]
                var o = Int(record.outputStart)
                let end = o + Int(record.outputCount)
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
