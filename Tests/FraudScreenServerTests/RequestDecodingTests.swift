import Foundation
import FraudScreenCore
import Testing
@testable import FraudScreenServer

/// The request decoder in-process: the stable error codes and the transaction validation rules.
@Suite("Request decoding")
struct RequestDecodingTests {
    private func decode(_ text: String) -> (id: String?, result: Result<Request, ProtocolError>) {
        decode(Array(text.utf8))
    }

    private func decode(_ bytes: [UInt8]) -> (id: String?, result: Result<Request, ProtocolError>) {
        let decoded = bytes.withUnsafeBytes { RequestDecoder().decode($0) }
        return (decoded.id.map { String(decoding: $0, as: UTF8.self) }, decoded.result)
    }

    private func code(_ text: String) -> ErrorCode? {
        if case .failure(let error) = decode(text).result { return error.code }
        return nil
    }

    @Test func messageRequest() throws {
        let decoded = decode(#"{"id": "m1", "op": "screen", "message": {"text": "刷单\n返利", "channel": "sms", "sender": "+8613800000000", "extra": [1, {"a": null}]}}"#)
        #expect(decoded.id == "\"m1\"")
        guard case .success(let request) = decoded.result, case .screenMessage(let message) = request.operation else {
            Issue.record("not a message: \(decoded.result)"); return
        }
        #expect(message == Message(text: "刷单\n返利", channel: "sms", sender: "+8613800000000"))
    }

    @Test func entityListingIsAskedForPerRequest() throws {
        func lists(_ line: String) -> Bool? {
            guard case .success(let request) = decode(line).result else { return nil }
            return request.listsEntities
        }
        #expect(lists(#"{"op":"screen","message":{"text":"x"}}"#) == false)
        #expect(lists(#"{"op":"screen","message":{"text":"x"},"entities":true}"#) == true)
        #expect(lists(#"{"op":"screen","message":{"text":"x"},"entities":null}"#) == false)
        #expect(code(#"{"op":"screen","message":{"text":"x"},"entities":"yes"}"#) == .badValue)
    }

    @Test func escapesAndSurrogatePairs() throws {
        guard case .success(let request) = decode(#"{"op":"screen","message":{"text":"\u5237\u5355 \ud83d\ude00 \"q\" \\"}}"#).result,
              case .screenMessage(let message) = request.operation else { Issue.record("not decoded"); return }
        #expect(message.text == "刷单 😀 \"q\" \\")
        #expect(code(#"{"op":"screen","message":{"text":"\ud83d"}}"#) == .invalidJSON)
    }

    @Test("keys are matched whether written plainly or with escapes; keys only close to a known one are not it")
    func keys() throws {
        guard case .success(let request) = decode(#"{"\u006fp":"screen","mess\u0061ge":{"te\u0078t":"刷单"},"名字":1}"#).result,
              case .screenMessage(let message) = request.operation else { Issue.record("escaped keys not matched"); return }
        #expect(message.text == "刷单")
        #expect(code(#"{"op ":"ping"}"#) == .missingField)  // not "op"
        #expect(code(#"{"o":"ping"}"#) == .missingField)
        #expect(code(#"{"opx":"ping"}"#) == .missingField)
        #expect(code(#"{"":"ping","op":"ping"}"#) == nil)
        #expect(code(#"{"op":"ping","op\"":1}"#) == nil)  // an escaped quote inside an unknown key
    }

    @Test("a member given twice is invalid JSON however it is spelled and however many members come between")
    func repeatedMembers() throws {
        let many = (0..<20).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        #expect(code(#"{"op":"ping",\#(many)}"#) == nil)  // more names than the reader keeps on the stack
        #expect(code(#"{"op":"ping",\#(many),"k17":1}"#) == .invalidJSON)
        #expect(code(#"{"op":"ping",\#(many),"k3":1}"#) == .invalidJSON)
        #expect(code(#"{"op":"ping","名字":1,"\u540d\u5b57":2}"#) == .invalidJSON)  // both decoded
        #expect(code(#"{"op":"ping","o\u0070":"stats"}"#) == .invalidJSON)  // plain, then decoded
        #expect(code(#"{"\u006fp":"ping","op":"stats"}"#) == .invalidJSON)  // decoded, then plain
        #expect(code(#"{"op":"ping","":1,"":2}"#) == .invalidJSON)  // the empty name too
        // Only within one object: the same name in two objects is fine.
        #expect(code(#"{"op":"screen","message":{"text":"x","channel":"sms"},"channel":"y"}"#) == nil)
        guard case .failure(let error) = decode(#"{"id":"d","op":"ping","op":"stats"}"#).result else { Issue.record("accepted"); return }
        #expect(error.message == "member 'op' given twice at byte 22")  // its opening quote
    }

    @Test func numericIDsAreEchoedVerbatim() {
        #expect(decode(#"{"id": 12.5e3, "op": "ping"}"#).id == "12.5e3")
        #expect(code(#"{"id": {"a": 1}, "op": "ping"}"#) == .badValue)
    }

    @Test func stableErrorCodes() {
        #expect(code("{bad") == .invalidJSON)
        #expect(code("[1,2]") == .invalidJSON)
        #expect(code(#"{"op":"ping"} trailing"#) == .invalidJSON)
        #expect(code(String(repeating: "[", count: 100_000)) == .invalidJSON)
        #expect(code(#"{"id":"x"}"#) == .missingField)
        #expect(code(#"{"op":"screen"}"#) == .missingField)
        #expect(code(#"{"op":"screen","message":{}}"#) == .missingField)
        #expect(code(#"{"op":"screen","message":"text"}"#) == .badValue)
        #expect(code(#"{"op":"screen","message":{"text":42}}"#) == .badValue)
        #expect(code(#"{"op":7}"#) == .badValue)
        #expect(code(#"{"op":"fly"}"#) == .unknownOp)
        #expect(code(#"{"op":"report","message":{"text":"x"},"reporter":"h","label":"maybe"}"#) == .badValue)
        #expect(code(#"{"op":"report","message":{"text":"x"},"label":"fraud"}"#) == .missingField)
        let invalid: [UInt8] = Array(#"{"op":"screen","message":{"text":""#.utf8) + [0xC3, 0x28] + Array(#""}}"#.utf8)
        if case .failure(let error) = decode(invalid).result { #expect(error.code == .invalidUTF8) } else { Issue.record("accepted invalid UTF-8") }
        for bad: [UInt8] in [[0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xE4, 0xB8]] {
            #expect(bad.withUnsafeBytes { UTF8Validation.firstInvalidOffset($0) } == 0)
        }
        #expect(Array("刷单😀 ascii".utf8).withUnsafeBytes { UTF8Validation.firstInvalidOffset($0) } == nil)
    }

    @Test("invalid UTF-8 anywhere in a line is invalid_utf8, whichever part of the parser meets it first")
    func invalidUTF8Everywhere() {
        func line(_ before: String, _ bad: [UInt8], _ after: String) -> [UInt8] { Array(before.utf8) + bad + Array(after.utf8) }
        func isInvalidUTF8(_ bytes: [UInt8]) -> Bool {
            if case .failure(let error) = decode(bytes).result { return error.code == .invalidUTF8 }
            return false
        }
        // Sequences a repairing decoder turns into U+FFFD: overlong, surrogate, above U+10FFFF, truncated, stray.
        // The truncated four-byte sequence is replaced by one U+FFFD of the same length (three bytes): only
        // comparing the bytes, not the lengths, tells it apart.
        for bad: [UInt8] in [[0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE4, 0xB8], [0x80], [0xFF],
                             [0xF0, 0x9F, 0x98]] {
            #expect(isInvalidUTF8(line(#"{"op":"screen","message":{"text":"刷单"#, bad, #"返利"}}"#)), "in a value: \(bad)")
            #expect(isInvalidUTF8(line(#"{"op":"screen","message":{"text":"a\n"#, bad, #"\"b"}}"#)), "in an escaped value: \(bad)")
            #expect(isInvalidUTF8(line(#"{"op":"ping","#, bad, #"":1}"#)), "in a key: \(bad)")
            #expect(isInvalidUTF8(line(#"{"op":"ping","extra":["x",{"y":""#, bad, #""}]}"#)), "in a skipped member: \(bad)")
            #expect(isInvalidUTF8(line(#"{"op":"ping"}"#, bad, "")), "after the object: \(bad)")
            #expect(isInvalidUTF8(line(#"{"op":"ping", "#, bad, #" }"#)), "between tokens: \(bad)")
            #expect(isInvalidUTF8(line(#"{"op":"fly","id":""#, bad, #""}"#)), "in the id of an unknown op: \(bad)")
        }
        // Valid multi-byte text in every position parses.
        let valid = decode(#"{"id":"编号1","op":"screen","备注":"😀","message":{"text":"加微信\n刷单😀返利"}}"#)
        if case .success(let request) = valid.result, case .screenMessage(let message) = request.operation {
            #expect(message.text == "加微信\n刷单😀返利")
        } else {
            Issue.record("valid multi-byte request refused: \(valid.result)")
        }
        #expect(valid.id == #""编号1""#)
    }

    @Test func idIsEchoedEvenWhenItComesAfterTheBadMember() {
        let decoded = decode(#"{"op":"screen","message":{"text":5},"id":"late"}"#)
        #expect(decoded.id == "\"late\"")
        if case .failure(let error) = decoded.result { #expect(error.code == .badValue) } else { Issue.record("accepted") }
    }

    @Test func transactionIsValidated() throws {
        let good = #"{"id":"t1","op":"screen","transaction":{"memo":"刷单返利","amount":"12500.00","currency":"CNY","payer":{"account":"6222","name":"张三"},"payee":{"account":"6217","name":"李四","bank":"ICBC"},"channel":"mobile","first_time_payee":true,"timestamp":"2026-11-29T02:13:00+08:00","context":"客户称做任务"}}"#
        guard case .success(let request) = decode(good).result, case .screenTransaction(let transaction) = request.operation else {
            Issue.record("not decoded: \(decode(good).result)"); return
        }
        #expect(transaction.amount.cents == 1_250_000 && transaction.amount.description == "12500.00")
        #expect(transaction.timestamp.epochSeconds == 1_795_889_580 && transaction.timestamp.offsetMinutes == 480)
        #expect(transaction.timestamp.minuteOfDay(atOffset: 480) / 60 == 2)
        #expect(transaction.payee.name == "李四" && transaction.payer.account == "6222" && transaction.firstTimePayee == true)
        #expect(transaction.textFields.map(\.name) == ["memo", "payee_name", "context"])
        // One validator for the daemon and `check --transaction`: the same object gives the same transaction…
        #expect(try TransactionJSON.transaction(from: Data(good.utf8), .protocolRequest) == transaction)
        // …and the same refusal, field and message.
        let noCurrency = #"{"op":"screen","transaction":{"memo":"x","amount":"1.00","payee":{},"timestamp":"2026-11-29T02:13:00Z"}}"#
        guard case .failure(let refused) = decode(noCurrency).result else { Issue.record("accepted"); return }
        #expect(refused.code == .missingField && refused.message == "transaction.currency: required")
        do {
            _ = try TransactionJSON.transaction(from: Data(noCurrency.utf8), .protocolRequest)
            Issue.record("check --transaction accepted what the daemon refuses")
        } catch {
            #expect(error.code == "missing_field" && error.description == refused.message)
        }

        /// A valid transaction with `members` in place of the defaults they name (a member given twice is refused).
        func txn(_ members: String) -> String {
            let named = Set(members.matches(of: /"(\w+)":/).map { String($0.1) })
            let defaults = [("memo", #""memo":"x""#), ("amount", #""amount":"1.00""#), ("currency", #""currency":"CNY""#),
                            ("payee", #""payee":{}"#), ("timestamp", #""timestamp":"2026-11-29T02:13:00Z""#)]
            return #"{"op":"screen","transaction":{"#
                + (defaults.filter { !named.contains($0.0) }.map(\.1) + [members]).filter { !$0.isEmpty }.joined(separator: ",") + "}}"
        }
        #expect(code(txn("")) == nil)
        #expect(code(txn(#""amount":12500"#)) == .badValue)
        #expect(code(txn(#""amount":"-5""#)) == .badValue)
        #expect(code(txn(#""amount":"1e5""#)) == .badValue)
        #expect(code(txn(#""amount":"012""#)) == .badValue)
        #expect(code(txn(#""amount":"1.005""#)) == .badValue)
        // Too many digits is refused, not an Int64 overflow (a trap: one such request stopped the daemon).
        #expect(code(txn(#""amount":"99999999999999999999""#)) == .badValue)
        #expect(code(txn(#""amount":"1"# + String(repeating: "0", count: 1_000) + #"""#)) == .badValue)
        #expect(code(txn(#""amount":"999999999999999.99""#)) == nil)
        #expect(code(txn(#""amount":"1.999999999999999999999""#)) == .badValue)
        #expect(code(txn(#""currency":"cny""#)) == .badValue)
        #expect(code(txn(#""timestamp":"2026-11-29 02:13""#)) == .badValue)
        #expect(code(txn(#""timestamp":"2026-02-30T02:13:00Z""#)) == .badValue)
        #expect(code(txn(#""timestamp":"2026-11-29T02:13:00""#)) == .badValue)  // no offset
        #expect(code(txn(#""first_time_payee":"yes""#)) == .badValue)
        #expect(code(txn(#""payee":"李四""#)) == .badValue)
        // `null` reads as absent for objects as for strings (Java and Go serialisers write every member)…
        #expect(code(txn(#""payer":null,"channel":null"#)) == nil)
        #expect(code(#"{"op":"screen","message":null,"transaction":{"memo":"x","amount":"1.00","currency":"CNY","payee":{},"timestamp":"2026-11-29T02:13:00Z"}}"#) == nil)
        #expect(code(txn(#""payer":5"#)) == .badValue)
        // An amount of the wrong type is told the same thing by the daemon and `check`.
        guard case .failure(let boolAmount) = decode(txn(#""amount":true"#)).result else { Issue.record("accepted"); return }
        #expect(boolAmount.message == "transaction.amount: " + TransactionJSON.amountTypeMessage)
        // …and a required object sent as `null` is missing, as in `check --transaction`.
        #expect(code(#"{"op":"screen","transaction":{"memo":"x","amount":"1.00","currency":"CNY","payee":null,"timestamp":"2026-11-29T02:13:00Z"}}"#) == .missingField)
        // Short members have one bound, and the daemon and `check` name it alike.
        let longName = txn(#""payee":{"name":""# + String(repeating: "名", count: 400) + #""}"#)
        guard case .failure(let tooLong) = decode(longName).result else { Issue.record("accepted a 1,200-byte name"); return }
        do {
            _ = try TransactionJSON.transaction(from: Data(longName.utf8), .protocolRequest)
            Issue.record("check --transaction accepted what the daemon refuses")
        } catch {
            #expect(error.description == tooLong.message && tooLong.code == .badValue)
        }
        #expect(code(#"{"op":"screen","transaction":{"memo":"x","currency":"CNY","payee":{},"timestamp":"2026-11-29T02:13:00Z"}}"#) == .missingField)
    }

    @Test func latencyHistogramPercentiles() {
        var histogram = LatencyHistogram()
        for micros in 1...1_000 { histogram.record(micros: UInt64(micros)) }
        #expect(abs(Double(histogram.percentile(0.5)) - 500) < 20)
        #expect(abs(Double(histogram.percentile(0.99)) - 990) < 40)
        #expect(histogram.percentile(1) == 1_000)
    }

    @Test func configurationFileNamesItsErrors() throws {
        let values = try ConfigurationFile.parse("# comment\nsocket = /run/x.sock\nmax_line_bytes=4096\n", file: "f.conf")
        #expect(values["socket"] == "/run/x.sock" && values["max_line_bytes"] == "4096")
        #expect(throws: ConfigurationFile.Failure.self) { try ConfigurationFile.parse("sokcet = /x\n", file: "f.conf") }
        // Saved with CRLF: every line still a line (the whole file was one, and a first-line comment hid it all).
        let crlf = try ConfigurationFile.parse("# settings\r\nsocket = /run/x.sock\r\nlog_level = error\r\n", file: "f.conf")
        #expect(crlf["socket"] == "/run/x.sock" && crlf["log_level"] == "error")
        #expect(throws: ConfigurationFile.Failure.self) { try ConfigurationFile.parse("# c\r\nno_such_key = 1\r\n", file: "f.conf") }
        // A `#` after whitespace ends the value; one inside a word does not.
        let commented = try ConfigurationFile.parse("socket = /run/x.sock   # clients\nrules = /etc/rules#2\n", file: "f.conf")
        #expect(commented["socket"] == "/run/x.sock" && commented["rules"] == "/etc/rules#2")
        // An empty value names its line instead of failing later as an empty path.
        do {
            _ = try ConfigurationFile.parse("socket = /x\nreports_dir =\n", file: "f.conf")
            Issue.record("an empty value was accepted")
        } catch let failure as ConfigurationFile.Failure {
            #expect(failure.description == "f.conf:2: 'reports_dir' has no value (comment the line out to use the default)")
        }
    }

    @Test func mutatedRequestsNeverCrashTheDecoder() {
        // Deterministic mutations of valid requests: truncations, byte flips, insertions. Every one must
        // decode to a request or a stable error, never trap.
        let seeds = [
            #"{"id":"t1","op":"screen","transaction":{"memo":"刷单","amount":"12500.00","currency":"CNY","payee":{"name":"李四"},"timestamp":"2026-11-29T02:13:00+08:00"}}"#,
            #"{"id":7,"op":"report","message":{"text":"加\u5fae\u4fe1 \ud83d\ude00"},"reporter":"h","label":"fraud","x":[{"a":[1,2,{"b":null}]}]}"#,
        ].map { Array($0.utf8) }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % 1_000_003)
        }
        var outcomes = 0
        for round in 0..<3_000 {
            var bytes = seeds[round % seeds.count]
            switch round % 3 {
            case 0: bytes = Array(bytes.prefix(next() % bytes.count))
            case 1: for _ in 0..<(1 + next() % 4) { bytes[next() % bytes.count] = UInt8(truncatingIfNeeded: next()) }
            default:
                let syntax = Array("[{\"\\:,".utf8)
                let start = next() % syntax.count
                bytes.insert(contentsOf: (0..<(1 + next() % 3)).map { syntax[(start + $0) % syntax.count] }, at: next() % bytes.count)
            }
            switch decode(bytes).result {
            case .success: outcomes += 1
            case .failure(let error): outcomes += error.message.isEmpty ? 0 : 1
            }
        }
        #expect(outcomes == 3_000)
    }
}
