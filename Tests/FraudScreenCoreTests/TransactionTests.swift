import Foundation
import Testing
@testable import FraudScreenCore

@Suite("Transactions")
struct TransactionTests {
    static func transaction(
        memo: String = "转账", amount: String = "5000.00", payeeName: String = "李某", payeeAccount: String = "6217000011112222333",
        payeeType: Transaction.AccountType? = .personal, channel: String = "mobile", firstTime: Bool = true,
        timestamp: String = "2026-11-29T01:13:00+08:00", context: String? = nil, payer: String = "6222021234567890128"
    ) -> Transaction {
        Transaction(memo: memo, amount: DecimalAmount(amount)!, payer: .init(account: payer, name: "王某"),
                    payee: .init(account: payeeAccount, name: payeeName, bank: "某银行", type: payeeType),
                    channel: channel, timestamp: Timestamp(timestamp)!, firstTimePayee: firstTime, context: context)
    }

    static func fired(_ ruleSet: RuleSet, _ transaction: Transaction) -> [String] {
        Screener(ruleSet: ruleSet).screen(Document(transaction: transaction)).hits.map(\.ruleID).sorted()
    }

    @Test("decimal amounts: two decimals at most, never signs or exponents", arguments: [
        ("12500.00", Int64(1_250_000)), ("12500", 1_250_000), ("0.5", 50), ("0.05", 5),
    ])
    func amounts(text: String, cents: Int64) {
        #expect(DecimalAmount(text)?.cents == cents)
    }

    @Test("malformed amounts are refused", arguments: ["-1.00", "1e5", "1.005", "", ".5", "12,500.00", "１２"])
    func badAmounts(text: String) {
        #expect(DecimalAmount(text) == nil)
    }

    @Test("timestamps need a zone and map to the instant")
    func timestamps() throws {
        let beijing = try #require(Timestamp("2026-11-29T01:13:00+08:00"))
        let utc = try #require(Timestamp("2026-11-28T17:13:00Z"))
        #expect(beijing.epochSeconds == utc.epochSeconds)
        #expect(utc.minuteOfDay(atOffset: 480) == 73)
        #expect(Timestamp("2026-11-29T01:13:00.250-05:00") != nil)
        for bad in ["2026-11-29T01:13:00", "2026-02-30T01:00:00Z", "2026-11-29 25:00:00Z", "yesterday", "2026-11-29T01:13:00+8",
                    "2026-11-29T02:13:60+08:00"] {
            #expect(Timestamp(bad) == nil, "\(bad)")
        }
        // A leap second is the 61st second of a minute's end (23:59:60 UTC is 07:59:60 in Beijing), not of any minute.
        #expect(Timestamp("2016-12-31T23:59:60Z") != nil && Timestamp("2017-01-01T07:59:60+08:00") != nil)
    }

    @Test("transaction JSON is validated field by field with stable codes")
    func validation() throws {
        func error(_ json: String) -> TransactionJSON.Invalid? {
            do { _ = try TransactionJSON.transaction(from: Data(json.utf8)); return nil } catch { return error }
        }
        let base = #""timestamp":"2026-11-29T01:13:00+08:00""#
        #expect(error(#"{"amount":12500,\#(base)}"#)?.field == "amount")
        #expect(error(#"{"amount":12500,\#(base)}"#)?.code == "bad_value")
        #expect(error(#"{\#(base)}"#)?.code == "missing_field")
        #expect(error(#"{"amount":"1.00"}"#)?.field == "timestamp")
        #expect(error(#"{"amount":"1.00","timestamp":"tomorrow"}"#)?.field == "timestamp")
        #expect(error(#"{"amount":"1.00",\#(base),"payee":{"type":"company"}}"#)?.field == "payee.type")
        #expect(error(#"{"amount":"1.00",\#(base),"first_time_payee":1}"#)?.field == "first_time_payee")
        #expect(error(#"{"amount":"1.00",\#(base),"currency":"rmb"}"#)?.field == "currency")
        // A boolean is not a number in disguise; a line's `transaction` must be an object, not skipped over.
        #expect(error(#"{"amount":true,\#(base)}"#)?.message == "must be a decimal string such as \"12500.00\"")
        #expect(error(#"{"transaction":"12500","amount":"1.00",\#(base)}"#)?.field == "transaction")
        #expect(error("null")?.description == "transaction: must be an object" && error("5")?.field == "transaction")
        // Short members are identifiers: the daemon's bound, the same everywhere.
        let long = String(repeating: "名", count: 400)  // 1,200 bytes
        #expect(error(#"{"amount":"1.00",\#(base),"payee":{"name":"\#(long)"}}"#)?.description == "payee.name: longer than 1024 bytes")
        // `null` members read as absent, objects included (serialisers that write every member).
        #expect(error(#"{"amount":"1.00",\#(base),"payer":null,"payee":null,"channel":null}"#) == nil)
        let parsed = try TransactionJSON.transaction(from: Data(#"{"transaction":{"memo":"房租","amount":"3000.00",\#(base),"first_time_payee":false,"payee":{"name":"张某","type":"personal"}}}"#.utf8))
        #expect(parsed.memo == "房租")
        #expect(parsed.firstTimePayee == false)
        #expect(parsed.payee.type == .personal)
        #expect(Document(transaction: parsed).fields.map(\.name) == ["memo", "payee_name"])
    }

    @Test("amount, first-time payee, payee type, channel and local-time conditions")
    func conditions() throws {
        let ruleSet = try Fixture.ruleSet([
            Fixture.rule("t.big", "transaction: {amount: {min: 5000}}"),
            Fixture.rule("t.small", "transaction: {amount: {max: 100}}"),
            Fixture.rule("t.new_personal", "transaction: {first_time_payee: true, payee_type: personal}"),
            Fixture.rule("t.corporate", "transaction: {payee_type: corporate}"),
            Fixture.rule("t.mobile", "transaction: {channel: [mobile, online]}"),
            Fixture.rule("t.night", "transaction: {local_time: {from: '23:00', to: '06:00'}}"),
            Fixture.rule("t.memo_fee", "fields: [memo]\nkeywords: {any: [保证金]}\ntransaction: {first_time_payee: true}"),
        ])
        #expect(Self.fired(ruleSet, Self.transaction()) == ["t.big", "t.mobile", "t.new_personal", "t.night"])
        #expect(Self.fired(ruleSet, Self.transaction(amount: "99.99", payeeType: .corporate, channel: "counter", firstTime: false,
                                                    timestamp: "2026-11-29T12:00:00+08:00")) == ["t.corporate", "t.small"])
        // 17:13 UTC is 01:13 in Beijing: local time is read in the rule set's zone.
        #expect(Self.fired(ruleSet, Self.transaction(timestamp: "2026-11-28T17:13:00Z")).contains("t.night"))
        #expect(Self.fired(ruleSet, Self.transaction(memo: "保证金")).contains("t.memo_fee"))
        #expect(!Self.fired(ruleSet, Self.transaction(memo: "保证金", firstTime: false)).contains("t.memo_fee"))
        // A message has no transaction: transaction conditions never hold.
        #expect(Screener(ruleSet: ruleSet).firedRules("保证金 5000元") == [])
        // Amount conditions are in yuan: 5,000 yen is not 5,000 yuan, and with no rates to hand it satisfies none.
        var yen = Self.transaction(amount: "5000")
        yen.currency = "JPY"
        #expect(!Self.fired(ruleSet, yen).contains("t.big") && !Self.fired(ruleSet, yen).contains("t.small"))
        yen.currency = "RMB"
        #expect(Self.fired(ruleSet, yen).contains("t.big"))
        // The evidence quotes the amount as the bank wrote it.
        let big = Screener(ruleSet: ruleSet).screen(Document(transaction: Self.transaction(amount: "12500"))).hits.first { $0.ruleID == "t.big" }
        #expect(big?.evidence.first?.text == "12500")
    }

    @Test("payee account and name look-ups normalise the list entries")
    func payeeLists() throws {
        let ruleSet = try Fixture.ruleSet([
            Fixture.rule("t.flagged", "lists: [{list: flagged, entity: payee_account}]"),
            Fixture.rule("t.name", "lists: [{list: names, entity: payee_name}]"),
        ], lists: ["flagged": "# police list\n6217 0000-1111 2222 333  # case 1\n", "names": "资金清查中心\n"])
        #expect(Self.fired(ruleSet, Self.transaction()) == ["t.flagged"])
        #expect(Self.fired(ruleSet, Self.transaction(payeeName: "资金清查中心", payeeAccount: "1")) == ["t.name"])
        let evidence = Screener(ruleSet: ruleSet).screen(Document(transaction: Self.transaction())).hits.first?.evidence.first
        #expect(evidence?.field == "payee.account")
        #expect(evidence?.source == .list)
        // A listed name is evidence in the text field that holds it, so reports mark it there.
        let named = Document(transaction: Self.transaction(payeeName: " 资金清查中心 ", payeeAccount: "1"))
        let verdict = Screener(ruleSet: ruleSet).screen(named)
        let nameEvidence = try #require(verdict.hits.first { $0.ruleID == "t.name" }?.evidence.first)
        #expect(nameEvidence.field == "payee_name" && nameEvidence.span == TextSpan(start: 0, end: 8))
        let field = try #require(named.fields.first { $0.name == "payee_name" })
        #expect(verdict.evidenceSegments(of: field).map(\.evidence) == [true])
        // Looked up as screening sees text: full-width digits, a zero-width space, traditional characters.
        #expect(Self.fired(ruleSet, Self.transaction(payeeAccount: "６２１７００００１１１１２２２２３３３\u{200B}")) == ["t.flagged"])
        #expect(Self.fired(ruleSet, Self.transaction(payeeName: "資金清查中心", payeeAccount: "1")) == ["t.name"])
        // 帳 simplifies to 帐; a listed 账户 is the same word however it is written.
        #expect(FraudList.normalise("國家金融安全帳戶") == "国家金融安全账户" && FraudList.normalise("安全帐户") == "安全账户")
    }

    @Test("velocity counts first-time transfers per payer within the window, and forgets")
    func velocity() throws {
        let tracker = VelocityTracker(windowSeconds: 1800, maximumPayers: 10)
        #expect(tracker.recordFirstTimeTransfer(payer: "a", at: 0) == 1)
        #expect(tracker.recordFirstTimeTransfer(payer: "a", at: 600) == 2)
        #expect(tracker.recordFirstTimeTransfer(payer: "b", at: 700) == 1)
        #expect(tracker.recordFirstTimeTransfer(payer: "a", at: 1200) == 3)
        #expect(tracker.recordFirstTimeTransfer(payer: "a", at: 3000) == 2)  // 0 and 600 expired; 1200 is exactly 30 minutes back
        for i in 0..<50 { _ = tracker.recordFirstTimeTransfer(payer: "p\(i)", at: 4000 + Int64(i)) }
        #expect(tracker.payerCount <= 10)

        // Full, it forgets the least recently active payers and keeps the active ones, whatever else comes.
        let full = VelocityTracker(windowSeconds: 1800, maximumPayers: 1_000)
        #expect(full.recordFirstTimeTransfer(payer: "idle", at: 0) == 1)
        for i in 0..<5_000 {
            if i % 400 == 0 { #expect(full.recordFirstTimeTransfer(payer: "active", at: Int64(i / 10)) == i / 400 + 1) }
            _ = full.recordFirstTimeTransfer(payer: "new\(i)", at: Int64(i / 10))
            #expect(full.payerCount <= 1_000)
        }
        #expect(full.recordFirstTimeTransfer(payer: "active", at: 500) == 14)  // none of its 13 earlier ones lost
        #expect(full.recordFirstTimeTransfer(payer: "idle", at: 500) == 1)  // forgotten: its transfer at 0 is in the window
        #expect(full.recordFirstTimeTransfer(payer: "new4999", at: 500) == 2)  // the most recent new payer is remembered

        let ruleSet = try Fixture.ruleSet([Fixture.rule("t.third", "transaction: {recent_first_time_payee_transfers: {min: 3}}")])
        let screener = Screener(ruleSet: ruleSet)
        screener.velocity = VelocityTracker()
        let times = ["2026-11-29T01:00:00+08:00", "2026-11-29T01:10:00+08:00", "2026-11-29T01:20:00+08:00"]
        let fired = times.map { screener.screen(Document(transaction: Self.transaction(timestamp: $0))).hits.map(\.ruleID) }
        #expect(fired == [[], [], ["t.third"]])
        // The same transfer screened again (a retried request, a teller's second look) is one transfer, not three.
        screener.velocity = VelocityTracker()
        let again = (0..<3).map { _ in screener.screen(Document(transaction: Self.transaction(timestamp: times[0]))).hits.map(\.ruleID) }
        #expect(again == [[], [], []])
        #expect(screener.screen(Document(transaction: Self.transaction(amount: "5001", timestamp: times[0]))).hits.isEmpty)
        // Payees without an account are told apart by name: three people paid at the same second are three transfers.
        screener.velocity = VelocityTracker()
        let named = ["王某", "李某", "赵某"].map { name in
            screener.screen(Document(transaction: Self.transaction(payeeName: name, payeeAccount: "", timestamp: times[0]))).hits.map(\.ruleID)
        }
        #expect(named == [[], [], ["t.third"]])
        #expect(screener.screen(Document(transaction: Self.transaction(payeeAccount: "6217000099998888777", timestamp: times[0]))).hits.map(\.ruleID)
                == ["t.third"])
    }

    @Test("rules can carry transaction examples, and lint runs them")
    func lintTransactionExamples() throws {
        let yaml = """
            rules:
              - id: t.fee
                category: brushing
                score: 50
                description: fee to a new personal payee
                fields: [memo]
                keywords: {any: [解冻费]}
                transaction: {first_time_payee: true, payee_type: personal}
                examples:
                  match:
                    - transaction: {memo: 解冻费, amount: "3000.00", timestamp: "2026-11-29T01:13:00+08:00", first_time_payee: true, payee: {type: personal}}
                  no_match:
                    - 解冻费
                    - transaction: {memo: 解冻费, amount: "3000.00", timestamp: "2026-11-29T01:13:00+08:00", first_time_payee: false, payee: {type: personal}}
            """
        let ruleSet = try RuleSetLoader.compile(files: ["categories.yaml": Fixture.categories, "rules.d/t.yaml": yaml])
        let report = RuleLinter.lint(ruleSet)
        #expect(report.examplesChecked == 3)
        #expect(report.passed, "\(report.failures)")

        let broken = yaml.replacingOccurrences(of: "amount: \"3000.00\", timestamp", with: "amount: \"3000.123\", timestamp")
        #expect(throws: RuleSetError.self) { try RuleSetLoader.compile(files: ["categories.yaml": Fixture.categories, "rules.d/t.yaml": broken]) }
    }

    @Test("a transaction's verdict carries the category's payment advice, a message's the general advice")
    func paymentAdvice() throws {
        let categories = """
            categories:
              - id: brushing
                name: 刷单返利
                advice: 所有刷单都是诈骗！
                payment_advice: 您正在向个人账户垫付刷单本金，请取消支付。
            """
        let rules = "rules:\n" + Fixture.rule("t.fee", score: 50, "keywords: {any: [垫付]}")
        let ruleSet = try RuleSetLoader.compile(files: ["categories.yaml": categories, "rules.d/t.yaml": rules])
        let screener = Screener(ruleSet: ruleSet)
        #expect(screener.screen("先垫付本金").advice == "所有刷单都是诈骗！")
        #expect(screener.screen(Document(transaction: Self.transaction(memo: "垫付本金"))).advice == "您正在向个人账户垫付刷单本金，请取消支付。")
        // The answer's JSON (written from pre-encoded members) says the same.
        func jsonAdvice(_ verdict: Verdict) throws -> String? {
            try (JSONSerialization.jsonObject(with: Data(verdict.json.utf8)) as? [String: Any])?["advice"] as? String
        }
        #expect(try jsonAdvice(screener.screen("先垫付本金")) == "所有刷单都是诈骗！")
        #expect(try jsonAdvice(screener.screen(Document(transaction: Self.transaction(memo: "垫付本金")))) == "您正在向个人账户垫付刷单本金，请取消支付。")
        // A category without payment advice gives its general advice for transactions too.
        let general = try Fixture.ruleSet([Fixture.rule("t.fee", score: 50, "keywords: {any: [垫付]}")])
        #expect(try jsonAdvice(Screener(ruleSet: general).screen(Document(transaction: Self.transaction(memo: "垫付本金")))) == "所有刷单都是诈骗！")
    }
}
