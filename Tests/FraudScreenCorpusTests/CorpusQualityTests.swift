import Foundation
import FraudScreenCore
import Testing

/// The shipped rules against the shipped corpus: the figures the README promises, read from its
/// `quality-gate` line so the README, this test and CI's replay gate cannot drift apart.
@Suite("shipped rules on the shipped corpus")
struct CorpusQualityTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Gate {
        var minRecall: Double
        var maxFalsePositiveRate: Double
        var minCategoryRecall: Double
        var minTransactionRecall: Double
        var maxTransactionFalsePositiveRate: Double
    }

    static func gate() throws -> Gate {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let line = try #require(readme.split(separator: "\n").first { $0.contains("quality-gate:") })
        func value(_ name: String) throws -> Double {
            let part = try #require(line.split(separator: " ").first { $0.hasPrefix(name + "=") })
            return try #require(Double(part.dropFirst(name.count + 1)))
        }
        return Gate(minRecall: try value("min-recall"), maxFalsePositiveRate: try value("max-false-positive-rate"),
                    minCategoryRecall: try value("min-category-recall"), minTransactionRecall: try value("min-transaction-recall"),
                    maxTransactionFalsePositiveRate: try value("max-transaction-false-positive-rate"))
    }

    static func metrics() throws -> CorpusMetrics {
        let ruleSet = try RuleSetLoader.load(directory: root.appendingPathComponent("rules").path)
        let (items, bad) = try CorpusReader.read(paths: [root.appendingPathComponent("corpus/messages").path])
        #expect(bad.isEmpty, "malformed corpus lines: \(bad)")
        let screener = Screener(ruleSet: ruleSet)
        var metrics = CorpusMetrics()
        for item in items { metrics.add(item, screener.screen(item.text)) }
        return metrics
    }

    @Test func corpusIsLargeEnough() throws {
        let metrics = try Self.metrics()
        #expect(metrics.benign >= 600)
        #expect(metrics.categoryRecall.count == 13)
        for (category, entry) in metrics.categoryRecall {
            #expect(entry.items >= 60, "\(category) has only \(entry.items) messages")
        }
    }

    @Test func recallAndFalsePositiveRateMeetTheReadme() throws {
        let gate = try Self.gate()
        let metrics = try Self.metrics()
        #expect(metrics.atWarn.recall >= gate.minRecall)
        #expect(metrics.atWarn.falsePositiveRate <= gate.maxFalsePositiveRate)
        for (category, entry) in metrics.categoryRecall {
            let recall = Double(entry.flagged) / Double(entry.items)
            #expect(recall >= gate.minCategoryRecall, "\(category) recall \(recall)")
        }
    }

    /// Transactions are screened whole (text fields plus transaction conditions and payee lists); the README
    /// records their figures next to the messages'.
    @Test func transactionRecallAndFalsePositiveRate() throws {
        let ruleSet = try RuleSetLoader.load(directory: Self.root.appendingPathComponent("rules").path)
        let (items, bad) = try CorpusReader.read(paths: [Self.root.appendingPathComponent("corpus/transactions").path])
        #expect(bad.isEmpty, "malformed corpus lines: \(bad)")
        #expect(items.count >= 400)
        #expect(items.allSatisfy { $0.transaction != nil })
        let screener = Screener(ruleSet: ruleSet)
        var metrics = CorpusMetrics()
        for item in items { metrics.add(item, screener.screen(item.document)) }
        let gate = try Self.gate()
        #expect(metrics.atWarn.recall >= gate.minTransactionRecall)
        #expect(metrics.atWarn.falsePositiveRate <= gate.maxTransactionFalsePositiveRate)
    }
}
