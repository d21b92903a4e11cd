/// Finds entities in folded text with one hand-written scan: cheaper than a regex per entity type, and
/// folded text already has half-width digits and lowercase letters, so the scanner only sees ASCII forms.
public struct EntityExtractor: Sendable {
    /// Hosts of well-known URL shorteners; a url on one of them is a `short_link`.
    public var shortLinkHosts: Set<String>

    public init(shortLinkHosts: Set<String> = EntityExtractor.defaultShortLinkHosts) {
        self.shortLinkHosts = shortLinkHosts
    }

    public static let defaultShortLinkHosts: Set<String> = [
        "t.cn", "url.cn", "dwz.cn", "suo.im", "suo.nz", "bit.ly", "tinyurl.com", "is.gd", "t.co", "w.url.cn",
        "c.tb.cn", "m.tb.cn", "u.jd.com", "3.cn", "v.douyin.com", "xhslink.com", "sourl.cn", "dwz.mk", "ow.ly",
        "goo.gl", "rebrand.ly", "cutt.ly", "mrw.so", "s.click.taobao.com",
    ]

    static let topLevelDomains: Set<String> = [
        "com", "net", "org", "cn", "top", "vip", "cc", "xyz", "info", "me", "io", "app", "club", "site", "shop",
        "online", "ltd", "link", "co", "tv", "biz", "pro", "win", "icu", "fun", "live", "store", "tech", "ink",
        "wang", "ren", "mobi", "asia", "hk", "tw", "us", "uk", "ru", "jp", "kr", "sg", "la", "work", "fit",
        "cyou", "buzz", "bid", "loan", "gov", "edu", "ly", "gl", "im", "nz", "so", "mk", "net.cn", "com.cn",
        "gov.cn", "org.cn", "edu.cn", "vin", "cloud", "space", "website", "today", "life", "world", "email",
        "click", "download", "host", "run", "plus", "gold", "ai",
    ]

    /// Whether a folded text with these ASCII characters (see `NormalizedText.asciiPresent`) can hold an
    /// entity of `kind` at all: links need a dot, numbers an ASCII digit, WeChat ids ASCII letters or digits.
    /// Lets a rule that needs an entity fail without scanning a text that cannot have one.
    public static func mayFind(_ kind: Entity.Kind, asciiPresent present: (UInt64, UInt64)) -> Bool {
        prerequisite(of: kind).map { $0.intersects(present) } ?? true
    }

    /// The ASCII characters of which an entity of `kind` needs at least one (nil: none in particular).
    public static func prerequisite(of kind: Entity.Kind) -> ASCIISet? {
        switch kind {
        case .url: return .dot
        case .phone, .bankCard, .qq, .amount: return .asciiDigits
        case .wechat: return .asciiAlphanumerics
        case .appDownload: return nil
        }
    }

    /// Keyword lists of which an entity of `kind` contains one keyword each, contiguous in the folded text
    /// (so in the compact text too, where the rule set's automaton finds them): a rule that needs such an
    /// entity cannot fire on a field where a list has no keyword, and the rule set tests that with the
    /// keyword stamps before evaluating the rule or scanning (an app-download prompt needs a verb and an app
    /// word; other kinds have `prerequisite(of:)` instead).
    public static func keywordPrerequisites(of kind: Entity.Kind) -> [[String]] {
        kind == .appDownload ? [downloadVerbTexts, downloadObjectTexts] : []
    }

    /// The independent scans of the extractor: links and numbers share one pass (a number inside a link is
    /// not a number), WeChat ids and app-download prompts have one each.
    public struct Scans: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let linksAndNumbers = Scans(rawValue: 1)
        public static let wechatIDs = Scans(rawValue: 2)
        public static let appDownloads = Scans(rawValue: 4)
        public static let all: Scans = [.linksAndNumbers, .wechatIDs, .appDownloads]

        /// The scan that finds entities of `kind`.
        public init(finding kind: Entity.Kind) {
            switch kind {
            case .url, .phone, .bankCard, .qq, .amount: self = .linksAndNumbers
            case .wechat: self = .wechatIDs
            case .appDownload: self = .appDownloads
            }
        }
    }

    /// Appends the entities of `scalars` to `entities`.
    public func extract(_ s: [Unicode.Scalar], into entities: inout [Entity]) {
        s.withUnsafeBufferPointer { extract($0, scans: .all, into: &entities) }
    }

    /// Appends the entities that `scans` find in `scalars` to `entities` (a screener runs only the scans its
    /// rules need, each at most once per field).
    public func extract(_ s: UnsafeBufferPointer<Unicode.Scalar>, scans: Scans = .all, into entities: inout [Entity]) {
        if scans.contains(.linksAndNumbers) { linksAndNumbers(s, into: &entities) }
        if scans.contains(.wechatIDs) { wechatIDs(s, into: &entities) }
        if scans.contains(.appDownloads) { appDownloads(s, into: &entities) }
    }

    private func linksAndNumbers(_ s: UnsafeBufferPointer<Unicode.Scalar>, into entities: inout [Entity]) {
        var i = 0
        let n = s.count
        // Every letter or digit of one run of URL characters has the same token end and sees the same dots, so
        // both are found once per run; and a run gets a bounded number of tries at a link. Found again from
        // every word of the run, and tried from every one, a 20 KB run ("a.a.a…") took 0.8 s and a 40 KB one
        // over 3 s: one request could stall its event loop.
        var runEnd = 0, runLastDot = -1, linkTries = 0
        while i < n {
            let c = s[i]
            if isASCIIAlnum(c) {
                if i >= runEnd {
                    runEnd = urlTokenEnd(s, from: i)
                    runLastDot = (i..<runEnd).last(where: { s[$0] == "." }) ?? -1
                    linkTries = 0
                }
                let end = runEnd
                // Only a token with a dot can be a link (http://host also has one): skip building strings
                // for every word and number.
                if runLastDot >= i, linkTries < EntityExtractor.linkTriesPerRun {
                    linkTries += 1
                    if let entity = url(s, i..<end) {
                        entities.append(entity)
                        i = end
                        continue
                    }
                }
                if isDigit(c) {
                    i = number(s, from: i, into: &entities)
                    continue
                }
                // A word of letters: skip it whole so digits inside identifiers are not numbers, except a QQ
                // number glued to its marker (qq123456789).
                var j = i
                while j < n, isASCIIAlnum(s[j]) || s[j] == "_" { j += 1 }
                if j - i >= 7, s[i] == "q", s[i + 1] == "q", (i + 2..<j).allSatisfy({ isDigit(s[$0]) }), s[i + 2] != "0", j - i - 2 <= 11 {
                    entities.append(Entity(kind: .qq, value: EntityExtractor.string(s, (i + 2)..<j), foldedRange: (i + 2)..<j))
                }
                i = j
                continue
            }
            if c == "+", i + 1 < n, isDigit(s[i + 1]) {
                i = number(s, from: i, into: &entities)
                continue
            }
            i += 1
        }
    }

    // MARK: URLs

    /// Whether `s` may hold a link: some run of URL characters starting at a letter or digit has a dot and a
    /// letter, or three dots (an IPv4 address). A necessary condition for `linksAndNumbers` to find one (its
    /// tokens lie inside these runs), read without building anything: most texts with a dot have it in an
    /// amount (3.5万, 5000.00元), and a rule about links need not run the scan that also reads every number.
    public func mayHoldLink(_ s: UnsafeBufferPointer<Unicode.Scalar>) -> Bool {
        var i = 0
        while i < s.count {
            guard isASCIIAlnum(s[i]) else { i += 1; continue }
            let end = urlTokenEnd(s, from: i)
            var dots = 0, letters = false
            for k in i..<end { if s[k] == "." { dots += 1 } else if isASCIILetter(s[k]) { letters = true } }
            if dots > 0 && (letters || dots >= 3) { return true }
            i = max(end, i + 1)
        }
        return false
    }

    private func urlTokenEnd(_ s: UnsafeBufferPointer<Unicode.Scalar>, from start: Int) -> Int {
        var j = start
        while j < s.count, s[j].isASCII, isURLCharacter(s[j]) { j += 1 }
        // Trailing sentence punctuation is not part of a link.
        while j > start, isTrailingPunctuation(s[j - 1]) { j -= 1 }
        return j
    }

    private func url(_ s: UnsafeBufferPointer<Unicode.Scalar>, _ range: Range<Int>) -> Entity? {
        // Without a letter only a dotted IPv4 address can be a link: most dotted tokens are amounts (3.5万).
        var dots = 0, letters = false
        for i in range { if s[i] == "." { dots += 1 } else if isASCIILetter(s[i]) { letters = true } }
        guard letters || dots == 3 else { return nil }
        // The token is ASCII (see `urlTokenEnd`): read it in place, and build strings only for a real link.
        var tokenStart = range.lowerBound
        for scheme in EntityExtractor.schemes where matches(s, at: tokenStart, scheme) && tokenStart + scheme.count <= range.upperBound {
            tokenStart += scheme.count
            break
        }
        var hostEnd = range.upperBound
        for i in tokenStart..<range.upperBound {
            if s[i] == ":", i + 2 < range.upperBound, s[i + 1] == "/", s[i + 2] == "/" { return nil }  // another scheme
            if hostEnd == range.upperBound, s[i] == "/" || s[i] == "?" || s[i] == "#" { hostEnd = i }
        }
        var hostStart = tokenStart, hostStop = hostEnd
        for i in tokenStart..<hostEnd where s[i] == ":" { hostStop = i; break }  // port
        for i in stride(from: hostStop - 1, through: hostStart, by: -1) where s[i] == "@" { hostStart = i + 1; break }  // user
        // Labels: non-empty runs of letters, digits and '-', at least two.
        var labels = 0, labelStart = hostStart, allNumericUpTo255 = true, lastLabel = hostStart..<hostStart
        var earlierLabelIsWord = false
        var i = hostStart
        while i <= hostStop {
            if i == hostStop || s[i] == "." {
                guard i > labelStart else { return nil }
                labels += 1
                var value = 0, numeric = true, hasLetter = false
                for k in labelStart..<i {
                    if isDigit(s[k]) { value = min(value * 10 + Int(s[k].value - 48), 1000) } else { numeric = false }
                    if isASCIILetter(s[k]) { hasLetter = true }
                }
                if !numeric || value > 255 { allNumericUpTo255 = false }
                if i < hostStop && (hasLetter || i - labelStart > 1) { earlierLabelIsWord = true }
                lastLabel = labelStart..<i
                labelStart = i + 1
            } else if !isASCIIAlnum(s[i]) && s[i] != "-" {
                return nil
            }
            i += 1
        }
        guard labels >= 2 else { return nil }
        let isIP = labels == 4 && allNumericUpTo255
        if !isIP {
            let tld = EntityExtractor.string(s, lastLabel)
            guard EntityExtractor.topLevelDomains.contains(tld), earlierLabelIsWord else { return nil }
        }
        let host = EntityExtractor.string(s, hostStart..<hostStop)
        var valueEnd = range.upperBound
        while valueEnd > hostEnd, s[valueEnd - 1] == "/" { valueEnd -= 1 }
        let value = hostEnd < valueEnd ? host + EntityExtractor.string(s, hostEnd..<valueEnd) : host
        let subkind = isIP ? "ip" : (isShortLink(host) ? "short_link" : "domain")
        return Entity(kind: .url, subkind: subkind, value: value, host: host, foldedRange: range.lowerBound..<range.upperBound)
    }

    /// Starting points tried for a link within one run of URL characters. A real link is found at the first or
    /// within a few (`x.y/evil.top` takes three); past this the rest of the run is read for numbers only.
    static let linkTriesPerRun = 16

    private static let schemes: [[Unicode.Scalar]] = ["http://", "https://"].map { Array($0.unicodeScalars) }

    private func isShortLink(_ host: String) -> Bool { host.anyDomainLevel { shortLinkHosts.contains($0) } }

    // MARK: Numbers: phones, cards, QQ numbers, amounts

    private func number(_ s: UnsafeBufferPointer<Unicode.Scalar>, from start: Int, into entities: inout [Entity]) -> Int {
        // Digits go to a small stack buffer: nothing longer than 32 digits is an amount, phone, card or QQ.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            number(s, from: start, digitBuffer: buffer, into: &entities)
        }
    }

    private func number(_ s: UnsafeBufferPointer<Unicode.Scalar>, from start: Int, digitBuffer: UnsafeMutableBufferPointer<UInt8>,
                        into entities: inout [Entity]) -> Int {
        var count = 0
        var j = start
        let plus = s[j] == "+"
        if plus { j += 1 }
        var sawDecimalPoint = false
        var decimalDigits = 0
        var groupedWithComma = false
        var end = j
        var groupLength = 0
        while j < s.count {
            let c = s[j]
            if isDigit(c) {
                if count < digitBuffer.count { digitBuffer[count] = UInt8(c.value - 48) }
                count += 1
                if sawDecimalPoint { decimalDigits += 1 }
                groupLength += 1
                j += 1
                end = j
            } else if (c == " " || c == "-") && !sawDecimalPoint && groupLength <= 4 && j + 1 < s.count && isDigit(s[j + 1]) {
                // Grouped numbers (138 1234 5678, 6222 0212 …, 010-1234…) have short groups; a long run
                // followed by a space is a number of its own (a phone, then an amount).
                groupLength = 0
                j += 1
            } else if c == "," && !sawDecimalPoint && j + 3 < s.count && (1...3).allSatisfy({ isDigit(s[j + $0]) }) {
                groupedWithComma = true
                j += 1
            } else if c == "." && !sawDecimalPoint && j + 1 < s.count && isDigit(s[j + 1]) {
                sawDecimalPoint = true
                j += 1
            } else {
                break
            }
        }
        // Letters glued to the digits make it an identifier, not a number (order ids, wechat ids).
        if end < s.count, isASCIILetter(s[end]), s[end] != "w" { 
            var k = end
            while k < s.count, isASCIIAlnum(s[k]) || s[k] == "_" { k += 1 }
            return k
        }
        let range = start..<end
        guard count <= digitBuffer.count else { return end }
        let digits = UnsafeBufferPointer(rebasing: digitBuffer[..<count])

        if let amount = amount(s, range, integerDigits: UnsafeBufferPointer(rebasing: digits.dropLast(decimalDigits)),
                               decimalDigits: UnsafeBufferPointer(rebasing: digits.suffix(decimalDigits))) {
            entities.append(amount.entity)
            return amount.end
        }
        if sawDecimalPoint || groupedWithComma { return end }
        guard digits.count >= 5 else { return end }  // nothing shorter is a phone, card or QQ number
        let digitString = String(decoding: digits.map { $0 + 48 }, as: UTF8.self)

        if (5...11).contains(digits.count), digits.first != 0,
           precedes(s, start, within: 5, any: EntityExtractor.qqMarkers) {
            entities.append(Entity(kind: .qq, value: digitString, foldedRange: range))
            return end
        }
        if let phone = phone(digitString, plus: plus) {
            entities.append(Entity(kind: .phone, subkind: phone.kind, value: phone.value, foldedRange: range))
            return end
        }
        if (16...19).contains(digits.count), luhn(digits) {
            entities.append(Entity(kind: .bankCard, value: digitString, foldedRange: range))
        }
        return end
    }

    private func amount(_ s: UnsafeBufferPointer<Unicode.Scalar>, _ range: Range<Int>, integerDigits: UnsafeBufferPointer<UInt8>,
                        decimalDigits: UnsafeBufferPointer<UInt8>)
        -> (entity: Entity, end: Int)?
    {
        guard !integerDigits.isEmpty, integerDigits.count <= 15 else { return nil }
        var value = 0.0
        for d in integerDigits { value = value * 10 + Double(d) }
        var scale = 0.1
        for d in decimalDigits { value += Double(d) * scale; scale /= 10 }

        // Unit after the number (spaces allowed): 元 块 万 亿 w, possibly 万元 / 万块.
        var j = range.upperBound
        while j < s.count, s[j] == " " { j += 1 }
        var exponent = 0
        var hasUnit = false
        if j < s.count, s[j] == "万" || s[j] == "w" { exponent = 4; hasUnit = true; j += 1 }
        else if j < s.count, s[j] == "亿" { exponent = 8; hasUnit = true; j += 1 }
        else if j < s.count, s[j] == "千" || s[j] == "k" { exponent = 3; hasUnit = true; j += 1 }
        let multiplier: Double = exponent == 8 ? 100_000_000 : exponent == 4 ? 10_000 : exponent == 3 ? 1_000 : 1
        if j < s.count, s[j] == "元" || s[j] == "块" || s[j] == "圆" {
            hasUnit = true; j += 1
        } else if j + 1 < s.count, s[j] == "人", s[j + 1] == "民" {
            hasUnit = true; j += 3
        }
        guard hasUnit || endsWithCurrency(s, before: range.lowerBound) else { return nil }
        // "w" alone after a number is only a unit when not part of a word (5w vs 5wan… both fine, 5www no).
        if exponent == 4, s[min(j - 1, s.count - 1)] == "w", j < s.count, isASCIILetter(s[j]) { return nil }
        let yuan = value * multiplier
        let end = min(j, s.count)
        let decimal = EntityExtractor.decimalString(integerDigits: integerDigits, decimalDigits: decimalDigits, exponent: exponent)
        return (Entity(kind: .amount, value: decimal, amount: yuan, foldedRange: range.lowerBound..<end), end)
    }

    /// The string of scalars `range` of `s`, encoded straight into the string's storage (the generic
    /// `String.UnicodeScalarView` initialiser over a buffer slice was a tenth of link extraction).
    static func string(_ s: UnsafeBufferPointer<Unicode.Scalar>, _ range: Range<Int>) -> String {
        var bytes = 0
        for i in range { bytes += UTF8.width(s[i]) }
        return String(unsafeUninitializedCapacity: bytes) { out in
            var k = 0
            for i in range {
                UTF8.encode(s[i]) { byte in out[k] = byte; k += 1 }
            }
            return k
        }
    }

    /// The amount `integerDigits.decimalDigits × 10^exponent` in yuan as a decimal string, rounded to the
    /// cent (half up) and without a zero fraction: `3.5万` → `35000`, `12.345元` → `12.35`. Worked out on the
    /// digits, so it is exact at any size: through a `Double` a text could ask for an amount (`999999999999999亿`)
    /// that converting to an integer traps on.
    static func decimalString(integerDigits: UnsafeBufferPointer<UInt8>, decimalDigits: UnsafeBufferPointer<UInt8>,
                              exponent: Int) -> String {
        // All digits with the decimal point moved `exponent` places right, then cut after the cents.
        var digits = Array(integerDigits) + Array(decimalDigits)
        let point = integerDigits.count + exponent
        while digits.count < point + 3 { digits.append(0) }
        let roundUp = digits[point + 2] >= 5
        digits.removeLast(digits.count - (point + 2))
        if roundUp {
            var k = digits.count - 1
            while k >= 0 && digits[k] == 9 { digits[k] = 0; k -= 1 }
            if k >= 0 { digits[k] += 1 } else { digits.insert(1, at: 0) }
        }
        let whole = digits.dropLast(2).drop(while: { $0 == 0 })
        let cents = digits.suffix(2)
        var text = whole.isEmpty ? "0" : String(decoding: whole.map { $0 + 48 }, as: UTF8.self)
        if cents != [0, 0] { text += "." + String(decoding: cents.map { $0 + 48 }, as: UTF8.self) }
        return text
    }

    private func phone(_ digits: String, plus: Bool) -> (kind: String, value: String)? {
        var d = Substring(digits)
        var international = plus
        if d.hasPrefix("0086") { d = d.dropFirst(4); international = false }
        else if plus && d.hasPrefix("86") { d = d.dropFirst(2); international = false }
        else if !plus && d.count == 13 && d.hasPrefix("86") { d = d.dropFirst(2) }
        else if d.hasPrefix("00") { international = true; d = d.dropFirst(2) }
        let count = d.count
        guard count > 0 else { return nil }
        if international {
            return count >= 7 && count <= 15 ? ("overseas", "+" + d) : nil
        }
        let first = d.first!, second = d.dropFirst().first
        // +86 10 1234 5678: a landline written internationally drops its trunk 0.
        if count != digits.count, !(count == 11 && first == "1"), (9...11).contains(count), first != "0" {
            return ("landline", "0" + d)
        }
        if count == 11, first == "1", let second, "3456789".contains(second) { return ("mobile", String(d)) }
        if count == 10, d.hasPrefix("400") || d.hasPrefix("800") { return ("service", String(d)) }
        if count == 5, first == "1" || d.hasPrefix("95") || d.hasPrefix("96") { return ("service", String(d)) }
        if (6...8).contains(count), d.hasPrefix("95") { return ("service", String(d)) }
        if (10...12).contains(count), first == "0" { return ("landline", String(d)) }
        return nil
    }

    func luhn<Digits: BidirectionalCollection<UInt8>>(_ digits: Digits) -> Bool {
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            var v = Int(d)
            if i % 2 == 1 { v *= 2; if v > 9 { v -= 9 } }
            sum += v
        }
        return sum % 10 == 0
    }

    // MARK: WeChat ids and app download prompts

    private static let wechatMarkers: [[Unicode.Scalar]] = ["微信号", "微信", "vx", "wx", "v信", "weixin", "wechat"].map { Array($0.unicodeScalars) }

    private func wechatIDs(_ s: UnsafeBufferPointer<Unicode.Scalar>, into entities: inout [Entity]) {
        var i = 0
        while i < s.count {
            let c = s[i]
            guard c == "微" || c == "v" || c == "w",
                  let marker = EntityExtractor.wechatMarkers.first(where: { matches(s, at: i, $0) }) else { i += 1; continue }
            var j = i + marker.count
            // Separators between the marker and the id: "：", ":", "号", "是", "搜", spaces.
            var skipped = 0
            while j < s.count, skipped < 4, isWeChatSeparator(s[j]) { j += 1; skipped += 1 }
            let idStart = j
            while j < s.count, isASCIIAlnum(s[j]) || s[j] == "_" || s[j] == "-" { j += 1 }
            let id = EntityExtractor.string(s, idStart..<j)
            if (6...20).contains(id.count), id.unicodeScalars.first.map(isASCIILetter) == true || id.allSatisfy(\.isNumber) {
                entities.append(Entity(kind: .wechat, value: id, foldedRange: idStart..<j))
            }
            i = max(j, i + 1)
        }
    }

    private static let downloadVerbTexts = ["下载", "安装", "登录", "注册"]
    private static let downloadObjectTexts = ["app", "apk", "客户端", "软件", "应用"]
    private static let downloadVerbs: [[Unicode.Scalar]] = downloadVerbTexts.map { Array($0.unicodeScalars) }
    private static let downloadObjects: [[Unicode.Scalar]] = downloadObjectTexts.map { Array($0.unicodeScalars) }

    private func appDownloads(_ s: UnsafeBufferPointer<Unicode.Scalar>, into entities: inout [Entity]) {
        var i = 0
        while i < s.count {
            let c = s[i]
            guard c == "下" || c == "安" || c == "登" || c == "注",
                  EntityExtractor.downloadVerbs.contains(where: { matches(s, at: i, $0) }) else { i += 1; continue }
            let windowEnd = min(s.count, i + 16)
            var found: Int?
            var k = i + 2
            while k < windowEnd {
                if let object = EntityExtractor.downloadObjects.first(where: { matches(s, at: k, $0) }) {
                    found = k + object.count
                    break
                }
                k += 1
            }
            if let end = found {
                let value = EntityExtractor.string(s, i..<end)
                entities.append(Entity(kind: .appDownload, value: value, foldedRange: i..<end))
                i = end
            } else {
                i += 2
            }
        }
    }

    // MARK: Scalar helpers

    @inline(__always) private func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }
    @inline(__always) private func isASCIILetter(_ c: Unicode.Scalar) -> Bool { c.value >= 97 && c.value <= 122 || c.value >= 65 && c.value <= 90 }
    @inline(__always) private func isASCIIAlnum(_ c: Unicode.Scalar) -> Bool { isDigit(c) || isASCIILetter(c) }
    // Switches, not `String.unicodeScalars.contains`: these run for every link token and WeChat marker, and
    // decoding a string literal's scalars each time was a tenth of link extraction.
    @inline(__always) private func isTrailingPunctuation(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case ".", ",", ";", ":", "!", "?", ")", "'", "\"": return true
        default: return false
        }
    }

    /// What may stand between a WeChat marker and the id: "：", ":", "号", "是", "搜", "为", spaces, "-".
    @inline(__always) private func isWeChatSeparator(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case ":", "\u{FF1A}", "号", "是", "搜", "为", " ", "-": return true
        default: return false
        }
    }

    @inline(__always) private func isURLCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "-", ".", "_", "~", ":", "/", "?", "#", "@", "!", "$", "&", "=", "%", "+": return true
        default: return isASCIIAlnum(c)
        }
    }

    private func matches(_ s: UnsafeBufferPointer<Unicode.Scalar>, at i: Int, _ word: [Unicode.Scalar]) -> Bool {
        guard i + word.count <= s.count else { return false }
        for k in 0..<word.count where s[i + k] != word[k] { return false }
        return true
    }

    private static let qqMarkers: [[Unicode.Scalar]] = ["qq", "扣扣", "企鹅"].map { Array($0.unicodeScalars) }
    private static let currencyMarkers: [[Unicode.Scalar]] = ["¥", "$", "rmb", "人民币", "金额", "金额:"].map { Array($0.unicodeScalars) }

    /// Whether one of `markers` ends within `distance` scalars before `index` (compared in place: this runs
    /// for every number, so no strings are built).
    private func precedes(_ s: UnsafeBufferPointer<Unicode.Scalar>, _ index: Int, within distance: Int, any markers: [[Unicode.Scalar]]) -> Bool {
        for end in stride(from: index, through: max(0, index - distance), by: -1) {
            for marker in markers where end >= marker.count && matches(s, at: end - marker.count, marker) { return true }
        }
        return false
    }

    /// Whether a currency sign or word stands right before `index` (one space allowed).
    private func endsWithCurrency(_ s: UnsafeBufferPointer<Unicode.Scalar>, before index: Int) -> Bool {
        let end = index > 0 && s[index - 1] == " " ? index - 1 : index
        return EntityExtractor.currencyMarkers.contains { end >= $0.count && matches(s, at: end - $0.count, $0) }
    }
}
