import Foundation
import Testing
@testable import FraudScreenCore

/// Screening must answer for any text: nothing a sender writes may crash the engine. Inputs that could crash
/// run in a child process (exit tests) so a crash fails one test instead of the whole run.
@Suite("Robustness")
struct RobustnessTests {
    static func screener() throws -> Screener {
        Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("z.words", "keywords: {any: [刷单, 加微信, vx], whole_word: true}"),
            Fixture.rule("z.window", "keywords: {all: [[刷单], [佣金]], window: 5}"),
            Fixture.rule("z.regex", #"regex: '\d+元'"#),
            Fixture.rule("z.compact", "regex_on: compact\nregex: '(刷单|返利)'"),
            Fixture.rule("z.entities", "entities: {phone: true, url: true}"),
        ]))
    }

    @Test("degenerate texts: empty, only zero-width, only emoji, only punctuation")
    func degenerateTexts() throws {
        let screener = try RobustnessTests.screener()
        for text in ["", "\u{200B}\u{200D}\u{FEFF}", "😀👨‍👩‍👧", "，。！？ ", "\u{0301}\u{0301}"] {
            let verdict = screener.screen(text)
            #expect(verdict.decision == .allow, "\(text.unicodeScalars.map(\.value))")
            #expect(verdict.entities.isEmpty)
        }
        #expect(screener.screen(Document(fields: [])).decision == .allow)
    }

    @Test("a bare 0086 at the end of a text does not crash")
    func bareZeroZeroEightSix() async {
        // Nothing is left once the 0086 prefix is stripped: no phone, and no crash.
        await #expect(processExitsWith: .success) {
            _ = try RobustnessTests.screener().screen("请拨打0086")
        }
    }

    @Test("an amount too large for an integer does not crash (one such text could stop the daemon)")
    func hugeAmount() async {
        await #expect(processExitsWith: .success) {
            let screener = try RobustnessTests.screener()
            for text in ["转账999999999999999亿元到安全账户", "¥999999999999999.99亿", "收益99999999999999999999999万元"] {
                _ = screener.screen(text)
            }
        }
    }

    @Test("a bare +86 does not crash")
    func barePlusEightySix() async {
        await #expect(processExitsWith: .success) {
            _ = try RobustnessTests.screener().screen("国际区号+86。")
        }
    }

    @Test("thousands of random short texts from an evasion-heavy alphabet screen without crashing")
    func randomTexts() async {
        await #expect(processExitsWith: .success) {
            let screener = try RobustnessTests.screener()
            let alphabet: [String] = [
                "0", "8", "6", "1", "3", "5", "9", "+", " ", "-", ".", ",", ":", "/", "元", "万", "w", "q", "x", "v",
                "刷", "单", "佣", "金", "加", "微", "信", "薇", "\u{200B}", "😀", "👨‍👩‍👧", "¥", "http://", "qq", "下载",
                "app", "微信号", "t.cn", "com", "@", "①", "Ａ", "　", "\n", "ß", "ﬁ", "㍿", "\u{0301}", "𠀀",
            ]
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15  // xorshift: the same texts on every run
            func next() -> Int {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return Int(state % UInt64(alphabet.count))
            }
            for _ in 0..<20_000 {
                var text = ""
                for _ in 0..<(next() % 12 + 1) { text += alphabet[next()] }
                // Known crash, covered by its own tests above.
                if text.contains("0086") || text.contains("+86") { continue }
                let verdict = screener.screen(text)
                let scalars = text.unicodeScalars.count
                for hit in verdict.hits {
                    for e in hit.evidence where e.span.start < 0 || e.span.end > scalars || e.span.start > e.span.end {
                        fatalError("evidence span \(e.span) outside \(scalars) scalars of \(text.debugDescription)")
                    }
                }
            }
        }
    }
}
