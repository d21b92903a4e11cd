/// Word boundaries by Unicode's word-segmentation rules (UAX #29) among ASCII characters, with every other
/// character standing apart: what `whole_word: ascii` tests.
///
/// `whole_word: true` asks ICU (`WordBoundaries`), which reads Chinese with a dictionary and costs about
/// 100 ns per character of the clause around each occurrence — most of a whole screening when a common
/// keyword is checked. A rule that only has to keep a spelling from counting inside a link, an id or a longer
/// Latin word (qq in weixin.qq.com, vx in vxabc) needs none of that. Among ASCII characters the answers are
/// ICU's (a test compares the two on random texts): letters (ICU counts `@` as one), digits and `_` join one
/// another; `.` and `'` join a letter to a letter and a digit to a digit, `,` and `;` a digit to a digit;
/// anything else breaks, `:` included (ICU keeps it out of words except for Swedish). ICU also breaks between
/// a Chinese character and an ASCII one; between two Chinese characters, where ICU would consult its
/// dictionary, this always breaks.
enum ASCIIWordBoundary {
    private enum Kind {
        case letter, digit, underscore
        /// `,` `;` (MidNum)
        case joinsDigits
        /// `.` `'` (MidNumLet)
        case joinsBoth
        case other
    }

    private static func kind(_ scalar: Unicode.Scalar) -> Kind {
        switch scalar.value {
        case 0x61...0x7A, 0x41...0x5A, 0x40: return .letter  // ICU counts @ as a letter (e-mail addresses)
        case 0x30...0x39: return .digit
        case 0x5F: return .underscore
        case 0x2C, 0x3B: return .joinsDigits
        case 0x2E, 0x27: return .joinsBoth
        default: return .other
        }
    }

    /// Whether a word boundary falls before index `index` of `text` (its start and end count).
    static func isBoundary(_ index: Int, in text: UnsafeBufferPointer<Unicode.Scalar>) -> Bool {
        guard index > 0, index < text.count else { return true }
        let before = kind(text[index - 1]), after = kind(text[index])
        @inline(__always) func neighbour(_ i: Int) -> Kind { i >= 0 && i < text.count ? kind(text[i]) : .other }
        switch (before, after) {
        case (.letter, .letter), (.letter, .digit), (.digit, .letter), (.digit, .digit),
             (.letter, .underscore), (.digit, .underscore), (.underscore, .underscore),
             (.underscore, .letter), (.underscore, .digit):
            return false  // WB5, WB8–WB10, WB13a/b
        case (.letter, .joinsBoth):
            return neighbour(index + 1) != .letter  // WB6
        case (.joinsBoth, .letter):
            return neighbour(index - 2) != .letter  // WB7
        case (.digit, .joinsDigits), (.digit, .joinsBoth):
            return neighbour(index + 1) != .digit  // WB12
        case (.joinsDigits, .digit), (.joinsBoth, .digit):
            return neighbour(index - 2) != .digit  // WB11
        default:
            return true
        }
    }
}
