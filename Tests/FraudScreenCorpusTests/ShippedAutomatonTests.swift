import Foundation
import FraudScreenCore
import Testing

/// The shipped rules' keyword automaton has the layout the benchmarks were measured with (docs/BENCHMARKS.md):
/// 32-bit row entries, which keep it under 1 MB. A rule set whose characters or states outgrew them would
/// still load (with 64-bit entries) but screen slower; this says so before a benchmark has to.
@Suite("shipped rules' keyword automaton")
struct ShippedAutomatonTests {
    @Test func rowsAreNarrow() throws {
        let ruleSet = try RuleSetLoader.load(directory: CorpusQualityTests.root.appendingPathComponent("rules").path)
        #expect(ruleSet.automaton.rowEntryBytes == 4)
    }
}
