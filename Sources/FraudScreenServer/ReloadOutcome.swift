/// What a successful reload did.
public struct ReloadOutcome: Sendable {
    public var version: String
    public var previousVersion: String
    public var ruleCount: Int
    public var elapsedMilliseconds: Int
}
