import Foundation
import FraudScreenTestSupport

/// A small rule set with known behaviour, in a temporary directory the test may rewrite (reload tests).
struct TestRules {
    let directory: URL

    static let categories = SampleRuleSet.categories

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
      - id: authority.safe_account
        category: impersonate_authority
        score: 90
        description: 安全账户
        keywords: {any: [安全账户]}
        examples:
          match: [把钱转到安全账户]
      - id: txn.large_new_personal
        category: brushing_rebate
        score: 30
        description: 大额转给首次出现的个人收款人
        transaction: {amount: {min: 10000}, first_time_payee: true, payee_type: personal}
        examples:
          match:
            - transaction: {memo: 货款, amount: "12500.00", timestamp: "2026-11-29T02:13:00+08:00", first_time_payee: true, payee: {type: personal}}
      - id: txn.flagged_payee
        category: impersonate_authority
        score: 100
        description: 收款账户在涉诈账户名单上
        lists: [{list: flagged_accounts, entity: payee_account}]
        examples:
          match:
            - transaction: {memo: 货款, amount: "100.00", timestamp: "2026-11-29T02:13:00+08:00", payee: {account: "6217 0000 1111 2222"}}
      - id: txn.third_new_payee
        category: brushing_rebate
        score: 25
        description: 30分钟内第三次转给新收款人
        transaction: {recent_first_time_payee_transfers: {min: 3}}
        examples:
          match:
            - transaction: {memo: 货款, amount: "200.00", timestamp: "2026-11-29T02:13:00+08:00", first_time_payee: true, payer: {account: "6222"}}
    """

    /// The same set with one more rule: a different version, and 冻结 now warns.
    static let extendedRules = rules + """

      - id: authority.freeze
        category: impersonate_authority
        score: 45
        description: 冻结账户
        keywords: {any: [冻结]}
        examples:
          match: [你的账户将被冻结]
    """

    /// Broken: names a category that does not exist.
    static let brokenRules = """
    rules:
      - id: broken.rule
        category: no_such_category
        score: 10
        description: broken
        keywords: {any: [坏]}
        examples:
          match: [坏]
    """

    init(in parent: URL) throws {
        directory = parent.appendingPathComponent("rules")
        try SampleRuleSet.write(rules: TestRules.rules, to: directory)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("lists"), withIntermediateDirectories: true)
        try writeList("# police-flagged accounts\n6217-0000-1111-2222\n")
    }

    /// Replaces the flagged-accounts list (read with the rule set, so a reload picks it up).
    func writeList(_ contents: String) throws {
        try contents.write(to: directory.appendingPathComponent("lists/flagged_accounts.txt"), atomically: true, encoding: .utf8)
    }

    /// Replaces the rules file (atomically, so a reload never reads half a file).
    func write(_ rules: String) throws {
        try rules.write(to: directory.appendingPathComponent("rules.d/test.yaml"), atomically: true, encoding: .utf8)
    }

    var path: String { directory.path }
}
