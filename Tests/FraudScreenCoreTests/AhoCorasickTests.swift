import Testing
@testable import FraudScreenCore

/// The keyword automaton is a DFA kept as differences from its root row: every transition off the root row
/// is precomputed from the failure links. These tests hold it to the definition: every occurrence of every
/// pattern, found by comparing at every position.
@Suite("Keyword automaton")
struct AhoCorasickTests {
    struct Match: Hashable, Comparable {
        var end: Int, pattern: Int, start: Int
        static func < (a: Match, b: Match) -> Bool { (a.end, a.pattern) < (b.end, b.pattern) }
    }

    static func automatonMatches(_ automaton: AhoCorasick, _ text: [Unicode.Scalar]) -> [Match] {
        var found: [Match] = []
        text.withUnsafeBufferPointer { buffer in
            automaton.forEachMatch(in: buffer) { pattern, start, end in found.append(Match(end: end, pattern: pattern, start: start)) }
        }
        return found
    }

    static func naiveMatches(_ patterns: [[Unicode.Scalar]], _ text: [Unicode.Scalar]) -> [Match] {
        var found: [Match] = []
        for (id, pattern) in patterns.enumerated() where !pattern.isEmpty && pattern.count <= text.count {
            for start in 0...(text.count - pattern.count) where Array(text[start..<start + pattern.count]) == pattern {
                found.append(Match(end: start + pattern.count, pattern: id, start: start))
            }
        }
        return found.sorted()
    }

    static func scalars(_ s: String) -> [Unicode.Scalar] { Array(s.unicodeScalars) }

    /// The automaton for `patterns` with 32-bit row entries (where they fit, as for these tests' small
    /// alphabets) and with 64-bit ones: both layouts must find the same.
    static func bothLayouts(_ patterns: [[Unicode.Scalar]]) throws -> [AhoCorasick] {
        let narrow = try AhoCorasick(patterns: patterns), wide = try AhoCorasick(patterns: patterns, narrowRowsAllowed: false)
        #expect(narrow.rowEntryBytes == 4 && wide.rowEntryBytes == 8)
        return [narrow, wide]
    }

    @Test("overlapping and nested keywords, with failure chains several links deep")
    func overlapping() throws {
        let patterns = ["he", "she", "his", "hers", "刷单", "刷单返利", "单返", "返利", "利"].map(Self.scalars)
        for automaton in try Self.bothLayouts(patterns) {
        for text in ["ushers", "hishershe", "刷单返利刷单返", "刷刷单单返利利", "", "无关的文字"] {
            let t = Self.scalars(text)
            let found = Self.automatonMatches(automaton, t)
            // Reported in order of end position; several at one end in any order.
            #expect(found.map(\.end) == found.map(\.end).sorted())
            #expect(found.sorted() == Self.naiveMatches(patterns, t), "text \(text)")
        }
        // The trie has one edge per state but the root; the six first characters are the root row's. The
        // table holds the rest, plus those inherited along failure links ("sh" goes on with "he"'s "e").
        let ownEdgesBelowRoot = automaton.stateCount - 1 - 6
        #expect(automaton.transitionCount > ownEdgesBelowRoot, "inherited transitions are stored too")
        }
    }

    @Test("scalars outside the direct class table, characters in no pattern, empty and duplicate patterns")
    func alphabetEdges() throws {
        let emoji = "😀", far = "\u{2A6D6}"  // beyond directClassLimit: classes from the dictionary
        let patterns = ["\(emoji)转账", "转账", "", "\(far)\(far)", "转账", "a\u{0}b"].map(Self.scalars)
        for automaton in try Self.bothLayouts(patterns) {
        for text in ["\(emoji)转账", "x\(emoji)x转账\(far)\(far)\(far)", "a\u{0}b", "转\(emoji)账"] {
            let t = Self.scalars(text)
            #expect(Self.automatonMatches(automaton, t).sorted() == Self.naiveMatches(patterns, t), "text \(text)")
        }
        }
    }

    @Test("keywords beyond the table's reach are refused with the figures, not a crash")
    func tooLarge() throws {
        // 70,000 distinct characters: more than 16-bit classes can name.
        let manyCharacters = (0..<70_000).map { [Unicode.Scalar(0x20000 + UInt32($0))!] }
        #expect(throws: AhoCorasick.TooLarge.self) { try AhoCorasick(patterns: manyCharacters) }
        do {
            _ = try AhoCorasick(patterns: manyCharacters)
        } catch {
            #expect(error.classes == 70_001 && error.states == 70_001)
            #expect(error.description.contains("70001 distinct characters"))
        }
        // Just under: 65,534 characters load. So do 160,001 states over 40,000 of them, which the automaton's
        // numbering takes in its stride (states and transitions are numbered by where they lie, in 32 bits).
        let alphabet = (0..<65_534).map { Unicode.Scalar(0x20000 + UInt32($0))! }
        #expect(try AhoCorasick(patterns: alphabet.map { [$0] }).stateCount == 65_535)
        let manyStates = (0..<40_000).map { k in (0..<4).map { alphabet[(k + $0) % 40_000] } }
        let automaton = try AhoCorasick(patterns: manyStates)
        #expect(automaton.stateCount == 160_001)
        // 16 bits of class leave 16 for states' numbers: too few here, so rows are 64 bits wide.
        #expect(automaton.rowEntryBytes == 8)
        let text = Array(alphabet[39_998..<40_000] + alphabet[0..<3])
        #expect(Self.automatonMatches(automaton, text).sorted() == Self.naiveMatches(manyStates, text))
    }

    @Test("states with more transitions than the filter has bits share bits in groups, and still find every one")
    func crowdedStates() throws {
        // "转" goes on with 300 characters, and every state after it inherits them along its failure link:
        // 300 classes over 64 filter bits must share.
        let tails = (0..<300).map { Unicode.Scalar(0x4E00 + UInt32($0) * 7)! }
        let patterns = tails.map { ["转", $0] } + tails.prefix(40).map { ["转", $0, "账"] } + [Self.scalars("账转")]
        var text: [Unicode.Scalar] = []
        for (k, tail) in tails.enumerated() {
            text += ["转", tail]
            if k % 3 == 0 { text.append("账") }
            if k % 5 == 0 { text += ["x", "转", "转"] }  // characters in no keyword, and a state's own character
            // A character in no keyword right after the crowded state: class 0 hashes to bit 0, which its 300
            // classes share, so the row entry there is a group's — and must not be taken for class 0's.
            if k % 7 == 0 { text += ["转", "x"] }
        }
        for automaton in try Self.bothLayouts(patterns) {
            let found = Self.automatonMatches(automaton, text)
            #expect(found.sorted() == Self.naiveMatches(patterns, text))
            #expect(found.count > 300)
        }
    }

    @Test("a scan into a buffer with little room stops before a position that does not fit and resumes there")
    func resumedScans() throws {
        // Nested keywords: "刷单返利" ends four patterns at once, so the buffer needs room for four.
        let patterns = ["利", "返利", "单返利", "刷单返利", "刷单", "单"].map(Self.scalars)
        for automaton in try Self.bothLayouts(patterns) {
        #expect(automaton.maxMatchesPerPosition == 4)
        let text = Self.scalars("刷单返利，刷单返利返利单单刷单返利")
        let words = text.map { UInt64(automaton.scanWord(for: $0)) }
        for room in [4, 5, 7, 64] {
            let buffer = UnsafeMutablePointer<AhoCorasick.Match>.allocate(capacity: room)
            defer { buffer.deallocate() }
            var found: [Match] = [], cursor = AhoCorasick.Cursor(), scans = 0
            words.withUnsafeBufferPointer { words in
                repeat {
                    let written = automaton.scan(words, from: &cursor, into: buffer, capacity: room)
                    #expect(written > 0 || cursor.position == words.count, "every scan makes progress")
                    for m in 0..<written {
                        found.append(Match(end: Int(buffer[m].end), pattern: Int(buffer[m].value), start: Int(buffer[m].start)))
                    }
                    scans += 1
                } while cursor.position < words.count
            }
            #expect(found.map(\.end) == found.map(\.end).sorted(), "room \(room)")
            #expect(found.sorted() == Self.naiveMatches(patterns, text), "room \(room)")
            #expect(room >= found.count || scans > 1)
        }
        }
    }

    @Test("a relabelled automaton reports each pattern's value, also when relabelled again")
    func relabelled() throws {
        let patterns = ["刷单", "单返利", "返利", "利"].map(Self.scalars)
        for automaton in try Self.bothLayouts(patterns) {
        let text = Self.scalars("刷单返利，返利")
        let plain = Self.automatonMatches(automaton, text)
        // Values wider than 32 bits: the screener packs two words into one.
        let values: [UInt64] = [0xAAAA_0000_0000_0001, 0xBBBB_0000_0000_0002, 7, 1 << 63]
        let once = automaton.reporting(values)
        let expected = plain.map { Match(end: $0.end, pattern: Int(truncatingIfNeeded: values[$0.pattern]), start: $0.start) }
        #expect(Self.automatonMatches(once, text) == expected)
        // Relabelling goes by pattern index, not by the values given before.
        let twice = once.reporting([10, 11, 12, 13])
        #expect(Self.automatonMatches(twice, text) == plain.map { Match(end: $0.end, pattern: 10 + $0.pattern, start: $0.start) })
        }
    }

    @Test("random pattern sets over small and large alphabets agree with the naive search", arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func randomAgreement(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        // Small alphabets give deep failure chains; large ones give states whose classes share filter bits.
        let alphabet = seed % 2 == 0 ? Self.scalars("刷单返利转账ab") : (0..<150).map { Unicode.Scalar(0x4E00 + UInt32($0))! }
        func word(_ length: Int) -> [Unicode.Scalar] { (0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] } }
        let patterns = (0..<Int(20 + rng.next() % 200)).map { _ in word(Int(1 + rng.next() % 6)) }
        let automata = try Self.bothLayouts(patterns)
        for _ in 0..<50 {
            let text = word(Int(rng.next() % 80))
            for automaton in automata {
                #expect(Self.automatonMatches(automaton, text).sorted() == Self.naiveMatches(patterns, text))
            }
        }
    }
}

/// A small seeded generator, so that a failing case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
