/// Something concrete a message contains — a link, a phone number, an amount — with a normalised value that
/// rules and lists can test.
public struct Entity: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case url
        case phone
        case bankCard = "bank_card"
        case qq
        case wechat
        case amount
        case appDownload = "app_download"
    }

    public var kind: Kind
    /// phone: `mobile`, `landline`, `service`, `overseas`; url: `short_link`, `ip`, `domain`; otherwise nil.
    public var subkind: String?
    /// The normalised value: url → lowercase `host/path`; phone, bank_card, qq → digits; wechat → lowercase
    /// id; amount → yuan as a decimal string; app_download → the prompt.
    public var value: String
    /// For amounts, the value in yuan.
    public var amount: Double?
    /// For urls, the lowercase host.
    public var host: String?
    /// Where it is, in folded scalars of the field.
    public var foldedRange: Range<Int>

    public init(kind: Kind, subkind: String? = nil, value: String, amount: Double? = nil, host: String? = nil,
                foldedRange: Range<Int>) {
        self.kind = kind
        self.subkind = subkind
        self.value = value
        self.amount = amount
        self.host = host
        self.foldedRange = foldedRange
    }
}
