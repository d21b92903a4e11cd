import Foundation

/// The small rule-set directory the CLI, replay and daemon tests write: two categories with known advice,
/// thresholds warn 40 / block 80, and the rules each test target brings.
public enum SampleRuleSet {
    public static let categories = """
    categories:
      - id: brushing_rebate
        name: 刷单返利
        advice: 所有刷单都是诈骗，请立即停止转账。
      - id: impersonate_authority
        name: 冒充公检法及政府机关
        advice: 公检法不会要求转账到安全账户。
    """

    /// Writes `ruleset.yaml`, `categories.yaml` and `rules.d/test.yaml` under `directory` (created if needed).
    public static func write(rules: String, categories: String = SampleRuleSet.categories, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("rules.d"), withIntermediateDirectories: true)
        try "thresholds: {warn: 40, block: 80}\n".write(to: directory.appendingPathComponent("ruleset.yaml"), atomically: true, encoding: .utf8)
        try categories.write(to: directory.appendingPathComponent("categories.yaml"), atomically: true, encoding: .utf8)
        try rules.write(to: directory.appendingPathComponent("rules.d/test.yaml"), atomically: true, encoding: .utf8)
    }
}
