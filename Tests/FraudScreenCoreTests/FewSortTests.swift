import Testing
@testable import FraudScreenCore

@Suite("Sorting the fired rules")
struct FewSortTests {
    @Test("agrees with the standard sort on both sides of the insertion-sort cut-off", arguments: [0, 1, 2, 5, 16, 17, 40, 300])
    func agreesWithStandardSort(count: Int) {
        var rng = SplitMix64(seed: UInt64(count) + 7)
        for _ in 0..<50 {
            // Distinct values in random order, compared through a rank table as the screener does.
            var values = (0..<Int32(count)).map { $0 }
            values.shuffle(using: &rng)
            let ranks = (0..<count).map { _ in Int(rng.next() % 1_000_000) * 1_000 }.enumerated().map { $0.element + $0.offset }
            var sorted = values
            sorted.withUnsafeMutableBufferPointer { $0.sortFew { ranks[Int($0)] < ranks[Int($1)] } }
            #expect(sorted == values.sorted { ranks[Int($0)] < ranks[Int($1)] })
        }
    }
}
