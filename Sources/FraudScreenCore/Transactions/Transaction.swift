/// An outgoing payment a bank asks about before it leaves (警银协作): the remark, the money, who pays whom,
/// when and how. Text fields are screened like messages (`memo`, `payee_name`, `context`); the rest feeds
/// rule conditions (`transaction:` in a rule) and fraud-list look-ups.
public struct Transaction: Sendable, Equatable {
    public enum AccountType: String, Sendable, CaseIterable { case personal, corporate }

    public struct Party: Sendable, Equatable {
        public var account: String?
        public var name: String?
        public var bank: String?
        public var type: AccountType?

        public init(account: String? = nil, name: String? = nil, bank: String? = nil, type: AccountType? = nil) {
            self.account = account
            self.name = name
            self.bank = bank
            self.type = type
        }
    }

    public var memo: String
    /// The amount exactly as sent (a decimal string, never a float).
    public var amount: DecimalAmount
    public var currency: String
    public var payer: Party
    public var payee: Party
    public var channel: String?
    /// The channels rules name (docs/RULES.md); a transaction may carry any string, which no such rule matches.
    public static let channels = ["mobile", "online", "counter", "atm"]
    public var timestamp: Timestamp
    public var firstTimePayee: Bool?
    /// Free text: what the customer told the teller, what the app asked.
    public var context: String?

    public init(memo: String, amount: DecimalAmount, currency: String = "CNY", payer: Party = Party(), payee: Party = Party(),
                channel: String? = nil, timestamp: Timestamp, firstTimePayee: Bool? = nil, context: String? = nil) {
        self.memo = memo
        self.amount = amount
        self.currency = currency
        self.payer = payer
        self.payee = payee
        self.channel = channel
        self.timestamp = timestamp
        self.firstTimePayee = firstTimePayee
        self.context = context
    }

    /// Codes of amounts in yuan: rules' amount conditions are in yuan, and with no exchange rates to hand an
    /// amount in another currency satisfies none (1,200 JPY is not 1,200 yuan). `RMB` is not ISO 4217, but
    /// Chinese banks' systems write it; `CNH` is the offshore yuan.
    public static let yuanCurrencies: Set<String> = ["CNY", "CNH", "RMB"]

    /// Whether `amount` is in yuan.
    public var isInYuan: Bool { Transaction.yuanCurrencies.contains(currency) }

    /// The names of a transaction's text fields, in the order they are screened.
    public static let textFieldNames = ["memo", "payee_name", "context"]

    /// The text fields screened for this transaction.
    public var textFields: [Document.Field] {
        var fields = [Document.Field(name: "memo", text: memo)]
        if let name = payee.name, !name.isEmpty { fields.append(.init(name: "payee_name", text: name)) }
        if let context, !context.isEmpty { fields.append(.init(name: "context", text: context)) }
        return fields
    }
}

/// A non-negative money amount with at most two decimals, parsed from its decimal string.
public struct DecimalAmount: Sendable, Equatable, CustomStringConvertible {
    /// In cents (分).
    public let cents: Int64
    /// As written (`"12500"`): evidence quotes what the bank sent.
    public let text: String

    /// Parses `"12500.00"`, `"12500"`, `"0.5"`; nil for anything else (signs, exponents, leading zeros, more
    /// than two decimals, more than 15 integer digits). The one amount grammar of the protocol, the rule
    /// examples and the corpus.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 15, whole.allSatisfy({ $0.isASCII && $0.isNumber }),
              whole.count == 1 || whole.first != "0" else { return nil }
        var cents = Int64(whole)! * 100
        if parts.count == 2 {
            let fraction = parts[1]
            guard (1...2).contains(fraction.count), fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            cents += Int64(fraction)! * (fraction.count == 1 ? 10 : 1)
        }
        self.cents = cents
        self.text = text
    }

    /// What a refused amount is told: the grammar above.
    public static let grammar = "a non-negative decimal string with at most 15 digits before the point, 2 after it, and no leading zeros"

    public var yuan: Double { Double(cents) / 100 }
    public var description: String { "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)" }
}

/// An ISO 8601 date-time with an explicit zone (`2026-11-29T02:13:00+08:00`, `…Z`), reduced to what screening
/// needs: the instant (for velocity) and the zone it was written in.
public struct Timestamp: Sendable, Equatable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let epochSeconds: Int64
    /// The offset of the zone it was written in, in minutes east of UTC.
    public let offsetMinutes: Int
    public let text: String

    public init?(_ text: String) {
        let s = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= s.count else { return nil }
            var value = 0
            for i in range {
                guard s[i] >= 48 && s[i] <= 57 else { return nil }
                value = value * 10 + Int(s[i] - 48)
            }
            return value
        }
        guard s.count >= 20, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"), s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t") || s[10] == UInt8(ascii: " "),
              s[13] == UInt8(ascii: ":"), s[16] == UInt8(ascii: ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...Timestamp.daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60 || (second == 60 && minute == 59)  // a leap second ends a minute
        else { return nil }
        var i = 19
        if i < s.count, s[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < s.count, s[i] >= 48 && s[i] <= 57 { i += 1 }
            guard i > start, i - start <= 9 else { return nil }
        }
        var offset = 0
        guard i < s.count else { return nil }  // a zone is required: a bare local time is ambiguous
        if s[i] == UInt8(ascii: "Z") || s[i] == UInt8(ascii: "z") {
            guard i + 1 == s.count else { return nil }
        } else if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
            guard i + 6 == s.count, s[i + 3] == UInt8(ascii: ":"), let oh = number((i + 1)..<(i + 3)), let om = number((i + 4)..<(i + 6)),
                  oh <= 14, om < 60 else { return nil }
            offset = (oh * 60 + om) * (s[i] == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
        epochSeconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset * 60)
        offsetMinutes = offset
        self.text = text
    }

    public var description: String { text }

    private init(epochSeconds: Int64, offsetMinutes: Int, text: String) {
        self.epochSeconds = epochSeconds
        self.offsetMinutes = offsetMinutes
        self.text = text
    }

    /// The instant `seconds` later (earlier when negative), in the same zone; its text is the original's
    /// (evidence of a shifted timestamp is not expected).
    func shifted(bySeconds seconds: Int64) -> Timestamp {
        Timestamp(epochSeconds: epochSeconds + seconds, offsetMinutes: offsetMinutes, text: text)
    }

    /// Minutes after midnight at the given UTC offset.
    public func minuteOfDay(atOffset offset: Int) -> Int {
        let local = epochSeconds + Int64(offset * 60)
        let minutes = ((local % 86_400) + 86_400) % 86_400 / 60
        return Int(minutes)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
