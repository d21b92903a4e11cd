import Foundation
import FraudScreenCore
import FraudScreenTestSupport
@testable import FraudScreenReplay

/// A temporary directory with a small rule set and a small corpus whose every figure is worked out by hand
/// in the tests.
struct Fixture {
    let directory: URL

    static let categories = SampleRuleSet.categories

    /// warn ≥ 40, block ≥ 80.
    static let rules = """
    rules:
      - id: brushing.core
        category: brushing_rebate
        score: 50
        description: 刷单返佣
        keywords:
          all: [[刷单, 做任务], [佣金, 返利]]
          window: 20
        examples:
          match: [刷单就有佣金]
      - id: brushing.advance
        category: brushing_rebate
        score: 40
        description: 垫付本金
        keywords: {any: [垫付, 连单]}
        examples:
          match: [先垫付本金]
      - id: authority.safe_account
        category: impersonate_authority
        score: 90
        description: 安全账户
        keywords: {any: [安全账户]}
        unless: [不会要求]
        examples:
          match: [把钱转到安全账户]
      - id: authority.arrest
        category: impersonate_authority
        score: 30
        description: 逮捕令
        keywords: {any: [逮捕令]}
        examples:
          match: [你的逮捕令已下发]
      - id: common.genuine_warning
        category: "*"
        score: -30
        description: 反诈提醒
        keywords: {any: [谨防诈骗]}
        examples:
          match: [请谨防诈骗]
    """

    /// The baseline: no brushing.advance, and a greeting rule the new set dropped.
    static let baselineRules = rules.replacingOccurrences(of: """
      - id: brushing.advance
        category: brushing_rebate
        score: 40
        description: 垫付本金
        keywords: {any: [垫付, 连单]}
        examples:
          match: [先垫付本金]
    """, with: """
      - id: greeting.hello
        category: brushing_rebate
        score: 10
        description: 问候
        keywords: {any: [你好]}
        examples:
          match: [你好呀]
    """)

    /// messages.jsonl: 13 lines, 3 malformed (4, 7, 12), one blank (10).
    static let messages = """
    {"id":"f1","text":"刷单有佣金","label":"fraud","category":"brushing_rebate"}
    {"id":"f2","text":"转到安全账户","label":"fraud","category":"impersonate_authority"}
    {"id":"f3","text":"你好","label":"fraud","category":"brushing_rebate"}
    not json
    {"id":"f4","text":"做任务返利，先垫付","label":"fraud","category":"impersonate_authority"}
    {"id":"f5","text":"连单","label":"fraud","category":"brushing_rebate"}
    {"id":"bad-label","text":"x","label":"maybe"}
    {"id":"b1","text":"公检法不会要求转账到安全账户","label":"benign"}
    {"id":"b2","text":"垫付一下<午饭>钱","label":"benign"}

    {"id":"b3","text":"谨防诈骗，今天天气好","label":"benign"}
    {"id":"no-text"}
    {"id":"u1","text":"安全账户"}
    """

    /// A line of the daemon's reports log (docs/PROTOCOL.md, `report`): the stored verdict is ignored.
    static let reports = """
    {"id":"r1","label":"fraud","category":"impersonate_authority","reporter":"hotline-07","received_at":"2026-11-29T04:09:01.967Z","request_id":"q1","peer_uid":1001,"message":{"text":"民警说把钱转入安全账户","channel":null,"sender":null},"verdict":{"verdict":"allow","score":0,"category":null,"hits":[]}}
    """

    static let transactions = """
    {"id":"t1","transaction":{"memo":"刷单佣金","amount":"100.00","payee":{"name":"张三","account":"6222020000000000","type":"personal"},"context":"对方让我转","timestamp":"2026-11-29T02:13:00+08:00"},"label":"fraud","category":"brushing_rebate"}
    """

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fraudscreen-replay-\(UUID().uuidString)")
        try Fixture.writeRules(Fixture.rules, to: directory.appendingPathComponent("rules"))
        try Fixture.writeRules(Fixture.baselineRules, to: directory.appendingPathComponent("baseline"))
        let corpus = directory.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        try Fixture.messages.write(to: corpus.appendingPathComponent("messages.jsonl"), atomically: true, encoding: .utf8)
        try Fixture.reports.write(to: corpus.appendingPathComponent("reports.jsonl"), atomically: true, encoding: .utf8)
        try Fixture.transactions.write(to: corpus.appendingPathComponent("transactions.jsonl"), atomically: true, encoding: .utf8)
    }

    static func writeRules(_ rules: String, to directory: URL) throws {
        try SampleRuleSet.write(rules: rules, categories: categories, to: directory)
    }

    var rulesPath: String { directory.appendingPathComponent("rules").path }
    var baselinePath: String { directory.appendingPathComponent("baseline").path }
    var corpusPath: String { directory.appendingPathComponent("corpus").path }

    func rules() throws -> Replay.Rules { Replay.Rules(try RuleSetLoader.load(directory: rulesPath), directory: rulesPath) }
    func baseline() throws -> Replay.Rules { Replay.Rules(try RuleSetLoader.load(directory: baselinePath), directory: baselinePath) }

    func run(baseline withBaseline: Bool = false, options: ReplayOptions = ReplayOptions()) throws -> (Replay.Input, Replay.Result) {
        let input = try Replay.read(paths: [corpusPath])
        let result = Replay.run(input, rules: try rules(), baseline: withBaseline ? try baseline() : nil, options: options)
        return (input, result)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// Closeness for computed rates.
func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-9 }

/// The Wilson lower bound when every one of n hits points the right way: n / (n + z²).
func wilsonAllRight(_ n: Int) -> Double {
    let z2 = 1.959963984540054 * 1.959963984540054
    return Double(n) / (Double(n) + z2)
}
