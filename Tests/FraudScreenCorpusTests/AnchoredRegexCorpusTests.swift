import Foundation
@testable import FraudScreenCore
import Testing

/// Anchored regex matching is an optimisation: over every corpus message and transaction memo, the shipped
/// rules must give byte-identical verdicts with it and with plain scanning.
@Suite("anchored regexes on the shipped corpus")
struct AnchoredRegexCorpusTests {
    @Test func anchoredMatchingGivesTheVerdictsOfScanning() throws {
        let files = try RuleSetLoader.readFiles(CorpusQualityTests.root.appendingPathComponent("rules").path)
        let anchoredRules = try RuleSetLoader.compile(files: files, anchorsRegexes: true)
        let regexes = anchoredRules.rules.flatMap(\.regexStarts)
        // The comparison means something only if many regexes do run anchored.
        #expect(regexes.filter { $0 != nil }.count * 3 >= regexes.count, "\(regexes.filter { $0 != nil }.count) of \(regexes.count) regexes anchored")
        let anchored = Screener(ruleSet: anchoredRules)
        let scanning = Screener(ruleSet: try RuleSetLoader.compile(files: files, anchorsRegexes: false))
        let corpus = CorpusQualityTests.root.appendingPathComponent("corpus")
        let (items, _) = try CorpusReader.read(paths: [corpus.appendingPathComponent("messages").path,
                                                       corpus.appendingPathComponent("transactions").path])
        #expect(items.count > 1_500)
        var differing: [String] = []
        for item in items {
            let document = Document(fields: item.fields, transaction: item.transaction)
            if anchored.screen(document).json != scanning.screen(document).json { differing.append(item.id) }
        }
        #expect(differing.isEmpty, "verdicts differ for \(differing.prefix(10))")
    }
}
